/**
 * `dusty test` on the real engine: suites that pass and fail (exit code
 * kept), a suite with a private service reached by name, the cached testing
 * image reused and rebuilt with --recreate, ARGS and default_args, `all` with
 * its summary, and nothing left behind by a run interrupted with SIGINT.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, DustyCli, expectCode } from './support/dusty.js';

const PROJECT = 'e2esuites';
const REPO = `dusty-testing/${PROJECT}.web`;
const dusty = new DustyCli(PROJECT);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const WEB_TEST = `
test:
  image: dusty-busybox:local
  once:
    - echo made-by-once > /once-marker
  suites:
    - name: unit
      description: Checks the greeting the page shows
      command:
        - sh tests/unit.sh
      default_args: world
    - name: fails
      description: Fails with exit code 3 on purpose
      command:
        - echo failing on purpose
        - exit 3
    - name: args
      description: Prints the marker, an env var and its arguments
      command:
        - cat /once-marker
        - echo "SUITE_VAR=$SUITE_VAR"
        - printf 'arg:%s\\n'
      default_args: default-one default-two
      compose:
        environment:
          SUITE_VAR: from-suite
    - name: services
      description: Reaches its private cache by name
      services: [cache]
      command:
        - for i in 1 2 3 4 5 6 7 8 9 10; do if wget -q -O - http://cache:6379/; then exit 0; fi; sleep 0.5; done; exit 1
    - name: slow
      description: Sleeps for as many seconds as its argument
      command:
        - echo slow-started
        - sleep
      default_args: '0'
`;

async function testingImages(): Promise<string[]> {
  const list = await docker.listImages({ filters: { reference: [REPO] } });
  return list.map((i) => i.Id);
}

async function leftovers(runLabel: string): Promise<{ containers: number; networks: number }> {
  const filters = { label: [runLabel] };
  const [cs, ns] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ]);
  return { containers: cs.length, networks: ns.length };
}

beforeAll(async () => {
  await dusty.useCopies();
  const web = readFileSync(join(dusty.specs, 'apps/web.yml'), 'utf8');
  dusty.writeSpec('apps/web.yml', web.slice(0, web.indexOf('test:')) + WEB_TEST.trimStart());
  for (const id of await testingImages())
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
});

afterAll(async () => {
  for (const id of await testingImages())
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
  dusty.cleanup();
});

describe('dusty test', () => {
  it('lists the suites with their descriptions when no suite is named', async () => {
    const r = expectCode(await dusty.run(['test', 'web']), 0);
    for (const [name, description] of [
      ['unit', 'Checks the greeting the page shows'],
      ['fails', 'Fails with exit code 3 on purpose'],
      ['services', 'Reaches its private cache by name'],
    ])
      expect(r.stdout).toMatch(new RegExp(`^${name}\\s+${description}`, 'm'));
  });

  it('runs a passing suite with its default_args, the lib installed, and exits 0', async () => {
    const r = expectCode(await dusty.run(['test', 'web', 'unit']), 0);
    expect(r.stdout).toContain('Hello, world!');
    expect(r.stderr).toMatch(/testing image .* built/);
    const results = JSON.parse(
      readFileSync(join(dusty.home, 'test-results.json'), 'utf8'),
    ) as Record<string, { passed: boolean; exitCode: number }>;
    expect(results['web/unit']).toMatchObject({ passed: true, exitCode: 0 });
  });

  it('keeps the exit code of a failing suite', async () => {
    const r = await dusty.run(['test', 'web', 'fails']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('failing on purpose');
    expect(r.stderr).toContain('failed with exit code 3');
  });

  it('appends ARGS shell-quoted instead of default_args, with the suite environment and the once result', async () => {
    const withArgs = expectCode(
      await dusty.run(['test', 'web', 'args', 'one', 'two words', '$HOME']),
      0,
    );
    expect(withArgs.stdout).toContain('made-by-once');
    expect(withArgs.stdout).toContain('SUITE_VAR=from-suite');
    expect(withArgs.stdout.match(/^arg:.*$/gm)).toEqual(['arg:one', 'arg:two words', 'arg:$HOME']);
    const without = expectCode(await dusty.run(['test', 'web', 'args']), 0);
    expect(without.stdout.match(/^arg:.*$/gm)).toEqual(['arg:default-one', 'arg:default-two']);
  });

  it("reaches the suite's private service by name", async () => {
    const r = expectCode(await dusty.run(['test', 'web', 'services']), 0);
    expect(r.stdout).toContain('cached');
  });

  it('reuses the testing image on the next run and rebuilds it with --recreate', async () => {
    expectCode(await dusty.run(['test', 'web', 'unit']), 0);
    const first = await testingImages();
    expect(first).toHaveLength(1);
    const again = expectCode(await dusty.run(['test', 'web', 'unit']), 0);
    expect(again.stderr).toMatch(/testing image .* reused/);
    expect(await testingImages()).toEqual(first);
    const recreated = expectCode(await dusty.run(['test', '--recreate', 'web', 'unit']), 0);
    expect(recreated.stderr).toMatch(/testing image .* built/);
    const after = await testingImages();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(first[0]);
  });

  it('runs every suite with `all`, exits non-zero when one fails, and prints a summary', async () => {
    const r = await dusty.run(['test', 'web', 'all']);
    expect(r.code).toBe(1);
    const summary = r.stderr.slice(r.stderr.lastIndexOf('SUITE'));
    expect(summary).toMatch(/^SUITE\s+RESULT\s+TIME/);
    expect(summary).toMatch(/^unit\s+passed\s+\d/m);
    expect(summary).toMatch(/^fails\s+failed \(3\)\s+\d/m);
    expect(summary).toMatch(/^services\s+passed/m);
  });

  it('removes the containers and network of a run interrupted with SIGINT', async () => {
    const slow = dusty.spawn(['test', 'web', 'slow', '60']);
    const result = collect(slow);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the slow suite did not start')), 60_000);
      let out = '';
      slow.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('slow-started')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const running = await docker.listContainers({
      filters: { label: [`dev.dusty.project=${PROJECT}`, 'dev.dusty.test-run'] },
    });
    const runIds = [...new Set(running.map((c) => c.Labels['dev.dusty.test-run']!))];
    expect(runIds).toHaveLength(1);
    const label = `dev.dusty.test-run=${runIds[0]}`;
    expect((await leftovers(label)).networks).toBe(1);
    slow.kill('SIGINT');
    const r = await result;
    expect(r.code).toBe(130);
    expect(await leftovers(label)).toEqual({ containers: 0, networks: 0 });
  });

  it('sweeps what a killed run left behind on the next run', async () => {
    const labels = {
      'dev.dusty.test-run': 'deadbeef0000',
      'dev.dusty.project': PROJECT,
      'dev.dusty.test-pid': '999999999',
      'dev.dusty.test-host': hostname(),
    };
    await docker.createNetwork({ Name: `${PROJECT}-test-deadbeef0000`, Labels: labels });
    await docker.createContainer({ Image: 'dusty-busybox:local', Cmd: ['true'], Labels: labels });
    const label = 'dev.dusty.test-run=deadbeef0000';
    expect(await leftovers(label)).toEqual({ containers: 1, networks: 1 });
    expectCode(await dusty.run(['test', 'web', 'unit']), 0);
    expect(await leftovers(label)).toEqual({ containers: 0, networks: 0 });
  });
});
