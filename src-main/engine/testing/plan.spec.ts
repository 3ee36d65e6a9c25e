import { describe, expect, it } from 'vitest';
import { SuiteSchema, TestSpecSchema } from '../../../src-shared/specs/schema.js';
import {
  overallExitCode,
  planServiceContainer,
  splitCommand,
  suiteCompose,
  suiteEnv,
  suiteScript,
  testingHash,
  testingRepo,
  type SuiteResult,
  type TestTarget,
} from './plan.js';
import { bytes, createOptions } from './compose-options.js';

const suite = (raw: Record<string, unknown>) =>
  SuiteSchema.parse({ name: 's', command: ['run-tests'], ...raw });
const target = (libs: TestTarget['libs'] = []): TestTarget => ({
  name: 'web',
  kind: 'app',
  file: 'apps/web.yml',
  repo: 'github.com/x/web',
  workdir: '/srv/web',
  test: TestSpecSchema.parse({ image: 'busybox', suites: [] }),
  libs,
});

describe('suite script', () => {
  it('appends default_args only when no ARGS are given', () => {
    const s = suite({ command: ['prepare', 'pytest'], default_args: 'tests/unit' });
    expect(suiteScript(target(), s, []).trim().split('\n').slice(-2)).toEqual([
      'prepare',
      'pytest tests/unit',
    ]);
    expect(suiteScript(target(), s, ['-k', 'it works']).trim().split('\n').pop()).toBe(
      "pytest '-k' 'it works'",
    );
  });

  it('quotes ARGS so the shell cannot expand them', () => {
    expect(suiteScript(target(), suite({}), ["$HOME's"]).trim().split('\n').pop()).toBe(
      `run-tests '$HOME'\\''s'`,
    );
  });

  it('installs libs, dependencies first, before changing to the mount', () => {
    const lines = suiteScript(
      target([{ name: 'g', repo: 'r', mount: '/opt/g', install: ['make install'] }]),
      suite({}),
      [],
    ).split('\n');
    expect(lines.indexOf("cd '/opt/g'")).toBeLessThan(lines.indexOf('make install'));
    expect(lines.indexOf('make install')).toBeLessThan(lines.indexOf("cd '/srv/web'"));
  });
});

describe('testing image', () => {
  it('changes its hash with what the image is made from, and only with that', () => {
    const withTest = (test: Record<string, unknown>): TestTarget => ({
      ...target(),
      test: TestSpecSchema.parse({ image: 'busybox', ...test }),
    });
    const binds = ['/home/a/web:/srv/web', '/home/a/g:/opt/g'];
    const base = testingHash(withTest({ once: ['x'] }), binds, 'sha256:1');
    // The same image: suites and their descriptions, bind order, where the repos sit on this machine.
    for (const same of [
      testingHash(
        withTest({ once: ['x'], suites: [{ name: 'u', description: 'new', command: ['t'] }] }),
        binds,
        'sha256:1',
      ),
      testingHash(withTest({ once: ['x'] }), [...binds].reverse(), 'sha256:1'),
      testingHash(withTest({ once: ['x'] }), ['/other/web:/srv/web', '/x/g:/opt/g'], 'sha256:1'),
    ])
      expect(same).toBe(base);
    // Another image: the base, the once commands, the working folder, the mount points.
    for (const other of [
      testingHash(withTest({ once: ['x'] }), binds, 'sha256:2'),
      testingHash(withTest({ once: ['y'] }), binds, 'sha256:1'),
      testingHash({ ...withTest({ once: ['x'] }), workdir: '/app' }, binds, 'sha256:1'),
      testingHash(withTest({ once: ['x'] }), ['/home/a/web:/app'], 'sha256:1'),
    ])
      expect(other).not.toBe(base);
  });

  it('gets a valid repository name per project', () => {
    expect(testingRepo('dusty', 'Web_App')).toBe('dusty-testing/web_app');
    expect(testingRepo('e2e', 'web')).toBe('dusty-testing/e2e.web');
  });
});

describe('suite environment and services', () => {
  it("lets the suite's environment win over the test section's", () => {
    const test = TestSpecSchema.parse({ image: 'i', compose: { environment: { A: '1', B: '2' } } });
    expect(suiteEnv(test, suite({ compose: { environment: ['B=3', 'C'] } }))).toEqual([
      'A=1',
      'B=3',
      'C',
    ]);
  });

  it('makes a private copy: no ports, no name, fresh volumes for named and persistent ones', () => {
    const p = planServiceContainer('db', {
      image: 'postgres',
      command: 'postgres -c "log statement=all"',
      ports: ['5432:5432'],
      container_name: 'db',
      volumes: ['/persist/db:/var/lib/db', 'dbdata:/data', '/etc/conf:/etc/conf:ro'],
      healthcheck: { test: 'true' },
    });
    expect(p.cmd).toEqual(['postgres', '-c', 'log statement=all']);
    expect(p.anonymousVolumes).toEqual(['/var/lib/db', '/data']);
    expect(p.binds).toEqual(['/etc/conf:/etc/conf:ro']);
    expect(p.ignored).toEqual(['healthcheck']);
  });

  it('refuses a service without an image', () => {
    expect(() => planServiceContainer('db', { build: '.' })).toThrow(/needs an `image`/);
  });

  it('splits commands like Compose', () => {
    expect(splitCommand(`sh -c 'echo "a b"' x\\ y ""`)).toEqual([
      'sh',
      '-c',
      'echo "a b"',
      'x y',
      '',
    ]);
  });
});

describe('exit code', () => {
  const r = (exitCode: number): SuiteResult => ({
    target: 't',
    suite: 's',
    exitCode,
    passed: exitCode === 0,
    durationMs: 1,
    finishedAt: '',
  });
  it("is the suite's own for one suite and 1 when any of several failed", () => {
    expect(overallExitCode([r(3)], false)).toBe(3);
    expect(overallExitCode([r(0), r(3)], true)).toBe(1);
    expect(overallExitCode([r(0), r(0)], true)).toBe(0);
  });
});

describe("a suite's compose block", () => {
  it('applies every key the original applied, the suite over the test section', () => {
    const test = TestSpecSchema.parse({
      image: 'i',
      compose: { environment: { A: '1' }, privileged: false, user: 'app' },
    });
    const merged = suiteCompose(
      test,
      suite({
        compose: {
          environment: ['B=2'],
          privileged: true,
          shm_size: '64m',
          ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 50 },
          tmpfs: ['/scratch:size=1m'],
          cap_add: 'NET_ADMIN',
          extra_hosts: ['x:1.2.3.4'],
          healthcheck: { test: 'true' },
        },
      }),
    );
    const own = createOptions(merged, true);
    expect(own.config).toEqual({ Env: ['A=1', 'B=2'], User: 'app' });
    expect(own.hostConfig).toEqual({
      Privileged: true,
      ShmSize: 64 * 1024 * 1024,
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 2048 },
        { Name: 'nproc', Soft: 50, Hard: 50 },
      ],
      Tmpfs: { '/scratch': 'size=1m' },
      CapAdd: ['NET_ADMIN'],
      ExtraHosts: ['x:1.2.3.4'],
    });
    expect(own.ignored).toEqual(['healthcheck']);
    // In its services' network namespace, the namespace's settings are theirs.
    const joined = createOptions(merged, false);
    expect(joined.hostConfig.ExtraHosts).toBeUndefined();
    expect(joined.ignored).toEqual(['extra_hosts', 'healthcheck']);
  });

  it('refuses a size it cannot read, naming the key', () => {
    expect(() => createOptions({ mem_limit: 'lots' }, true)).toThrow(
      /compose mem_limit: expected a size such as 512m, found "lots"/,
    );
    expect(bytes('1.5g', 'x')).toBe(1.5 * 1024 ** 3);
  });
});
