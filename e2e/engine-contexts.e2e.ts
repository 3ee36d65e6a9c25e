/**
 * Docker contexts for real: a second dockerd in its own network namespace
 * (scripts/engine-in-netns.sh), a context pointing at it in a throw-away
 * DOCKER_CONFIG, `docker context use`; then `up`, `status`, `logs`, `doctor`
 * and the dashboard's server all reach that engine and not the main one.
 * A stopped OrbStack is a stand-in: its socket is a symlink to the second
 * engine that a stand-in `orb start` creates.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineInfo } from '../src-shared/api/contract.js';
import { DashboardClient } from './support/dashboard-client.js';
import { DustyCli, ok, ROOT, run } from './support/dusty.js';

const NETNS = 'dusty-ctx-e2e';
const SECOND = `unix:///run/${NETNS}/docker.sock`;
const MAIN = 'unix:///var/run/docker.sock';
const PROJECT = 'e2ectx';
const CONTEXT = 'dusty-second';

let dir: string;
let cli: DustyCli;
let dockerEnv: NodeJS.ProcessEnv;

/** The docker CLI with the test's DOCKER_CONFIG (current context: the second engine), or -H HOST. */
const docker = (args: string[], host?: string) =>
  run('docker', host ? ['-H', host, ...args] : args, { env: dockerEnv });
/** Container ids of the test project on one engine. */
async function projectContainers(host?: string): Promise<string[]> {
  const r = ok(
    await docker(
      ['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${PROJECT}`],
      host,
    ),
    'docker ps',
  );
  return r.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  ok(
    await run(
      'bash',
      [
        join(ROOT, 'scripts/engine-in-netns.sh'),
        'up',
        NETNS,
        '10.203.15',
        'dusty-busybox:local',
        'dusty-nginx:local',
      ],
      { timeoutMs: 170_000 },
    ),
    'engine-in-netns.sh up',
  );
  dir = mkdtempSync(join(tmpdir(), 'dusty-ctx-'));
  const { DOCKER_HOST: _h, DOCKER_CONTEXT: _c, ...rest } = process.env;
  dockerEnv = { ...rest, DOCKER_CONFIG: join(dir, 'docker-config') };
  ok(await docker(['context', 'create', CONTEXT, '--docker', `host=${SECOND}`]), 'context create');
  ok(await docker(['context', 'use', CONTEXT]), 'context use');
  cli = new DustyCli(PROJECT, { web: 19181, api: 19182, echo: 19877 });
  Object.assign(cli.env, { DOCKER_CONFIG: dockerEnv.DOCKER_CONFIG });
  delete cli.env.DOCKER_HOST;
  delete cli.env.DOCKER_CONTEXT;
  // A line the echo app prints, so its logs can only have come from the container Dusty started.
  cli.editSpec('apps/echo.yml', (t) =>
    t.replace('    - nc -ll', '    - echo hello from the second engine\n    - nc -ll'),
  );
  await cli.configure(['echo']);
}, 180_000);

afterAll(async () => {
  if (cli) await cli.run(['stop', '--rm']);
  await run('bash', [join(ROOT, 'scripts/engine-in-netns.sh'), 'down', NETNS]);
  cli?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the current docker context chooses the engine', () => {
  it('up starts the containers on the context engine, none on the main engine', async () => {
    const r = await cli.must('up', '--no-pull');
    expect(r.stdout).toContain('container');
    const second = await projectContainers(SECOND);
    expect(second.length).toBeGreaterThanOrEqual(2); // echo and the router
    expect(await projectContainers(MAIN)).toEqual([]);
  });

  it('status names the context and endpoint and shows the containers running there', async () => {
    const r = await cli.must('status');
    expect(r.stdout).toContain(`context "${CONTEXT}" (config.json): ${SECOND}`);
    expect(r.stdout).toMatch(/native Linux engine 20\.|native Linux engine \d/);
    expect(r.stdout).toMatch(/echo\s+app\s+running/);
  });

  it('logs come from the container on the context engine', async () => {
    const r = await cli.must('logs', 'echo');
    expect(r.stdout).toContain('hello from the second engine');
  });

  it('doctor names the engine, and says when vm_provider disagrees with the context', async () => {
    const r = await cli.dusty('doctor');
    expect(r.stdout).toContain(`context "${CONTEXT}"`);
    expect(r.stdout).toContain(SECOND);
    await cli.must('config', 'set', 'vm_provider', 'colima');
    try {
      const mismatch = await cli.dusty('doctor');
      expect(mismatch.stdout).toContain(
        "vm_provider is colima, but the docker CLI's engine is a native Linux engine",
      );
      expect(mismatch.stdout).toContain('dusty config set vm_provider auto');
    } finally {
      await cli.must('config', 'set', 'vm_provider', 'auto');
    }
  });

  it('DOCKER_HOST wins over the context, as for the docker CLI', async () => {
    const r = await cli.run(['status'], { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    expect(r.stdout).toContain('context "default" (DOCKER_HOST): unix:///var/run/docker.sock');
    // The main engine has none of the project's containers.
    expect(r.stdout).toMatch(/echo\s+app\s+not created/);
  });
});

describe('the dashboard server follows the context', () => {
  it('names the engine and lists the containers of the context engine', async () => {
    const dash = await DashboardClient.start(cli.env);
    try {
      const engine = await dash.call<EngineInfo>('engine:get');
      expect(engine).toMatchObject({
        context: CONTEXT,
        source: 'config.json',
        endpoint: SECOND,
        kind: 'native',
        running: true,
        mismatch: null,
      });
      const rows =
        await dash.call<{ name: string; id: string | null; state: string }[]>('containers:list');
      const echo = rows.find((r) => r.name === 'echo');
      expect(echo?.state).toBe('running');
      expect(await projectContainers(SECOND)).toContain(echo!.id);
    } finally {
      dash.close();
    }
  });

  it('offers to start a stopped OrbStack and the dashboard starts it with one click (stand-in orb command)', async () => {
    // OrbStack's socket, absent until the stand-in `orb start` links it to the second engine.
    const home = join(dir, 'mac-home');
    const sock = join(home, '.orbstack', 'run', 'docker.sock');
    mkdirSync(join(home, '.orbstack', 'run'), { recursive: true });
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'orb'),
      `#!/bin/sh\necho "orb $*" >> "${join(dir, 'orb-calls')}"\n[ "$1" = start ] && ln -sf /run/${NETNS}/docker.sock "${sock}"\n`,
    );
    chmodSync(join(bin, 'orb'), 0o755);
    ok(await docker(['context', 'create', 'orbstack', '--docker', `host=unix://${sock}`]), 'ctx');
    const env = { ...cli.env, DOCKER_CONTEXT: 'orbstack', PATH: `${bin}:${process.env.PATH}` };
    const dash = await DashboardClient.start(env);
    try {
      const stopped = await dash.call<EngineInfo>('engine:get');
      expect(stopped).toMatchObject({
        context: 'orbstack',
        kind: 'orbstack',
        label: 'OrbStack',
        running: false,
        canStart: true,
        startHow: 'orb start',
      });
      expect(existsSync(sock)).toBe(false);
      // One click in the dashboard's header, as a person would.
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: JSON.parse(readFileSync(join(ROOT, 'e2e/chromium-args.json'), 'utf8')) as string[],
      });
      try {
        const page = await browser.newPage();
        await page.goto(dash.url);
        const badge = page.getByRole('group', { name: 'Docker engine' });
        await expect
          .poll(() => badge.innerText(), { timeout: 20_000 })
          .toContain('OrbStack is stopped');
        await badge.getByRole('button', { name: 'Start OrbStack' }).click();
        await expect.poll(() => badge.innerText(), { timeout: 60_000 }).toMatch(/^OrbStack \d+\./m);
        expect(await badge.getByRole('button').count()).toBe(0);
      } finally {
        await browser.close();
      }
      const started = await dash.call<EngineInfo>('engine:get');
      expect(started).toMatchObject({ kind: 'orbstack', running: true });
      expect(started.version).toMatch(/^\d+\./);
      expect(existsSync(sock)).toBe(true);
    } finally {
      dash.close();
      rmSync(sock, { force: true });
    }
  });
});

describe('folders the engine does not share', () => {
  it('up names the folder Docker Desktop does not share before starting anything (stand-in settings file)', async () => {
    // Docker Desktop for Linux keeps its file sharing list in ~/.docker/desktop/settings-store.json.
    const home = join(dir, 'dd-home');
    mkdirSync(join(home, '.docker', 'desktop'), { recursive: true });
    writeFileSync(
      join(home, '.docker', 'desktop', 'settings-store.json'),
      JSON.stringify({ FilesharingDirectories: ['/somewhere-else'] }),
    );
    await cli.must('stop', '--rm');
    await cli.must('config', 'set', 'vm_provider', 'docker-desktop');
    try {
      const r = await cli.run(['up', '--no-pull'], { HOME: home });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('these folders are not shared with the engine');
      expect(r.stderr).toContain(
        `${cli.home}: in Docker Desktop open Settings > Resources > File sharing, add ${cli.home}`,
      );
      expect(r.stderr).toContain('shared now: /somewhere-else');
      expect(await projectContainers(SECOND)).toEqual([]);
    } finally {
      await cli.must('config', 'set', 'vm_provider', 'auto');
    }
  });
});
