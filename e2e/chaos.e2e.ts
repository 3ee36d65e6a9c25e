/**
 * One operation at a time, and recovery from broken engine states, on the
 * real engine: several `up`s at once from terminals and the dashboard's API,
 * `stop` during `up`, SIGINT and `kill -9` of `up` in the middle of Compose,
 * a network duplicated through the Engine API (Compose v1's race, which the
 * docker CLI refuses to make), leftover and stuck containers, and an engine
 * restarted under a running stack (a second dockerd in its own network
 * namespace, so the machine's main engine is never restarted). After each:
 * one network, one container per service, every URL answering, the lock free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DustyCli, ok, ROOT, run, sleep, type RunResult } from './support/dusty.js';

const PROJECT = 'e2echaos';
const PORTS = { web: 28381, api: 28382, echo: 28377 };
const SERVICES = ['api', 'cache', 'dusty-router', 'echo', 'web'];
const CLI = join(ROOT, 'bin', 'dusty.js');
const cli = new DustyCli(PROJECT, PORTS);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

/** A `dusty` process left running, with what it printed so far. */
interface Started {
  child: ChildProcess;
  out: () => string;
  done: Promise<RunResult & { signal: NodeJS.Signals | null }>;
}

/** Starts `dusty ARGS` in its own process group, as a terminal would run it. */
const started: ChildProcess[] = [];

function start(args: string[], env = cli.env): Started {
  const child = spawn('node', [CLI, ...args], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr })),
  );
  return { child, out: () => stdout + stderr, done };
}

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Waits until an `up` is inside its Compose call. */
const inCompose = (s: Started) =>
  until('up to start Compose', () => /starting containers with/.test(s.out()), 90_000);

const lockFile = () => join(cli.home, 'operation.lock');

/** Containers of the project, every one (any state), by service. */
async function containersByService(d = docker, project = PROJECT) {
  const list = await d.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  const by = new Map<string, { state: string; name: string }[]>();
  for (const c of list) {
    const s = c.Labels['com.docker.compose.service'] ?? '(none)';
    by.set(s, [...(by.get(s) ?? []), { state: c.State, name: c.Names[0] ?? '' }]);
  }
  return by;
}

async function networksNamed(d = docker, project = PROJECT) {
  const list = await d.listNetworks({ filters: { name: [`${project}_dusty`] } });
  return list.filter((n) => n.Name === `${project}_dusty`);
}

/** The end state every scenario must reach. */
async function expectWhole(): Promise<void> {
  expect((await networksNamed()).length).toBe(1);
  const by = await containersByService();
  expect([...by.keys()].sort()).toEqual(SERVICES);
  for (const [service, list] of by) {
    expect(
      list.map((c) => c.state),
      service,
    ).toEqual(['running']);
  }
  const hello = await cli.httpUntil('web.demo.test', PORTS.web, '/cgi-bin/hello', (b) =>
    b.includes('sees cache: cached'),
  );
  expect(hello.body).toContain('sees cache: cached');
  const api = await cli.httpUntil('api.demo.test', PORTS.api, '/', (_b, s) => s === 200);
  expect(api.status).toBe(200);
  const token = `t-${randomBytes(3).toString('hex')}`;
  expect(await cli.streamEcho('echo.demo.test', PORTS.echo, token)).toBe(`${token}\n`);
  expect(existsSync(lockFile())).toBe(false);
}

/** The dashboard's API over its WebSocket, from a `dusty ui` process of its own. */
class Dashboard {
  private ws!: WebSocket;
  private seq = 0;
  private readonly pending = new Map<number, (r: unknown) => void>();
  private constructor(readonly proc: Started) {}

  static async open(): Promise<Dashboard> {
    const proc = start(['ui', '--no-open']);
    await until('the dashboard URL', () => /Dusty dashboard: http/.test(proc.out()), 30_000);
    const url = new URL(/Dusty dashboard: (\S+)/.exec(proc.out())![1]!);
    const d = new Dashboard(proc);
    d.ws = new WebSocket(`ws://127.0.0.1:${url.port}/ws?token=${url.searchParams.get('token')}`);
    d.ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; seq: number; result: unknown };
      if (m.type === 'result') d.pending.get(m.seq)?.(m.result);
    });
    await new Promise((resolve, reject) => d.ws.once('open', resolve).once('error', reject));
    return d;
  }

  call<T>(
    channel: string,
    input: unknown = {},
  ): Promise<{ ok: boolean; value: T; error?: { message: string } }> {
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve as (r: unknown) => void);
      this.ws.send(JSON.stringify({ type: 'call', seq, channel, input }));
    });
  }

  async operation() {
    const r = await this.call<{
      id: number;
      kind: string;
      status: string;
      step: string;
      pid?: number;
      door?: string;
    } | null>('operation:get');
    return r.value;
  }

  async close() {
    this.ws.close();
    this.proc.child.kill('SIGTERM');
    await this.proc.done;
  }
}

let dash: Dashboard | undefined;

beforeAll(async () => {
  await cli.configure();
});

// A failed test must not leave its `up` running into the next one.
afterEach(() => {
  for (const c of started.splice(0))
    if (c.exitCode === null && c.signalCode === null && c !== dash?.proc.child) c.kill('SIGKILL');
});

afterAll(async () => {
  await dash?.close();
  await cli.destroy();
});

describe('several operations at once', () => {
  it("runs three terminal `up`s and the dashboard's Up one after another, and all agree", async () => {
    dash = await Dashboard.open();
    const ups = [start(['up']), start(['up']), start(['up'])];
    const viaApi = await dash.call<{ operation: number }>('stack:up');
    expect(viaApi.ok).toBe(true);
    const results = await Promise.all(ups.map((u) => u.done));
    for (const r of results) ok(r, 'a concurrent `dusty up`');
    const waited = results.filter((r) =>
      /waiting for the `up` started by pid \d+ \d+ s ago in (a terminal|the dashboard)/.test(
        r.stderr,
      ),
    );
    expect(waited.length).toBeGreaterThanOrEqual(2);
    expect(
      results.filter((r) => /every container is up to date/.test(r.stdout)).length,
    ).toBeGreaterThanOrEqual(1);
    await until(
      "the dashboard's up to finish",
      async () => (await dash!.operation())?.status !== 'running',
      120_000,
    );
    expect((await dash.operation())?.status).toBe('succeeded');
    await expectWhole();
  }, 240_000);

  it("shows a terminal `up` as running in the dashboard, and refuses the dashboard's Up meanwhile with --no-wait semantics in the terminal", async () => {
    ok(await cli.dusty('stop', '--rm'), 'stop --rm');
    const u = start(['up']);
    await inCompose(u);
    await until(
      "the dashboard to show the terminal's up",
      async () => {
        const op = await dash!.operation();
        return op?.status === 'running' && op.kind === 'up' && op.door === 'terminal';
      },
      10_000,
    );
    const op = await dash!.operation();
    expect(op?.pid).toBe(u.child.pid);
    const noWait = await cli.dusty('up', '--no-wait');
    expect(noWait.code).toBe(1);
    expect(noWait.stderr).toMatch(
      /the `up` started by pid \d+ \d+ s ago in a terminal is still running/,
    );
    ok(await u.done, 'up');
    await until(
      'the dashboard to show it finished',
      async () => (await dash!.operation())?.status === 'succeeded',
      10_000,
    );
    await expectWhole();
  }, 240_000);
});

describe('stop during up', () => {
  it('cancels the up after its current Compose call, then stops: the end state is stopped', async () => {
    ok(await cli.dusty('stop', '--rm'), 'stop --rm');
    const u = start(['up']);
    await inCompose(u);
    const stop = ok(await cli.dusty('stop'), 'stop during up');
    expect(stop.stderr).toMatch(/asked the `up` started by pid \d+ .* to stop at its next step/);
    const upResult = await u.done;
    expect(upResult.code).toBe(1);
    expect(upResult.stderr).toMatch(/cancelled by the `stop` of pid \d+ from a terminal/);
    expect(upResult.stderr).toMatch(/Not done: .*wait for every container to run/);
    const by = await containersByService();
    for (const [service, list] of by)
      for (const c of list) expect(c.state, service).not.toBe('running');
    expect(existsSync(lockFile())).toBe(false);
    ok(await cli.dusty('up'), 'up after the cancelled one');
    await expectWhole();
  }, 240_000);
});

describe('interrupted up', () => {
  it('on SIGINT mid-Compose finishes the Compose call, says what was done and not, exits 130', async () => {
    ok(await cli.dusty('stop', '--rm'), 'stop --rm');
    const u = start(['up']);
    await inCompose(u);
    // As a terminal does: the whole foreground process group gets it.
    process.kill(-u.child.pid!, 'SIGINT');
    const r = await u.done;
    expect(r.code, `up exited ${r.code}:\n${r.stderr}`).toBe(130);
    expect(r.stderr).toMatch(/`up` interrupted \(SIGINT\)\./);
    expect(r.stderr).toMatch(
      /Done: validated the specs; .*wrote the Compose file and the host names/,
    );
    expect(r.stderr).toMatch(/Not done: .*wait for every container to run/);
    expect(r.stderr).toContain('Run `dusty up` to finish the job.');
    expect(existsSync(lockFile())).toBe(false);
    ok(await cli.dusty('up'), 'up after SIGINT');
    await expectWhole();
  }, 240_000);

  it('after kill -9 mid-Compose, the next up waits for the orphaned Compose, takes the lock over and finishes', async () => {
    ok(await cli.dusty('stop', '--rm'), 'stop --rm');
    const u = start(['up']);
    await inCompose(u);
    const holder = () =>
      JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number; children?: number[] };
    // The lock records Compose's pid just after starting it.
    await until('the lock to name Compose', () => holder().children?.length === 1, 10_000);
    expect(holder().pid).toBe(u.child.pid);
    process.kill(u.child.pid!, 'SIGKILL');
    await u.done;
    const next = ok(await cli.dusty('up'), 'up after kill -9');
    expect(next.stderr).toMatch(
      /waiting for Compose \(pid \d+\), left running by the `up` started by pid \d+/,
    );
    await expectWhole();
  }, 240_000);
});

describe('broken engine states', () => {
  it('a duplicated network: doctor reports it, up removes the empty one', async () => {
    const [kept] = await networksNamed();
    await docker.createNetwork({
      Name: `${PROJECT}_dusty`,
      CheckDuplicate: false,
      Labels: { 'com.docker.compose.project': PROJECT, 'com.docker.compose.network': 'dusty' },
    });
    expect((await networksNamed()).length).toBe(2);
    const doc = await cli.dusty('doctor');
    expect(doc.stdout + doc.stderr).toMatch(/2 networks are named e2echaos_dusty/);
    const r = ok(await cli.dusty('up'), 'up with two networks');
    expect(r.stderr).toMatch(/repaired: removed the duplicate network e2echaos_dusty/);
    const left = await networksNamed();
    expect(left.map((n) => n.Id)).toEqual([kept!.Id]);
    await expectWhole();
  }, 240_000);

  it('a leftover container and a stuck one: doctor reports both, doctor --fix removes them', async () => {
    const labels = (service: string) => ({
      'com.docker.compose.project': PROJECT,
      'com.docker.compose.service': service,
    });
    const ghost = await docker.createContainer({
      Image: 'dusty-busybox:local',
      Cmd: ['sleep', '600'],
      Labels: labels('renamed-app'),
    });
    await ghost.start();
    const stuck = await docker.createContainer({
      Image: 'dusty-busybox:local',
      Cmd: ['true'],
      Labels: labels('web'),
    });
    const doc = await cli.dusty('doctor');
    const text = doc.stdout + doc.stderr;
    expect(text).toMatch(
      /belongs to the project but to no app or service of the active bundles \(renamed-app, running\)/,
    );
    expect(text).toMatch(/of web is stuck in "created"/);
    ok(await cli.dusty('doctor', '--fix', '--yes'), 'doctor --fix');
    await expect(ghost.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(stuck.inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expectWhole();
  }, 240_000);
});

describe('engine restarted under a running stack', () => {
  // A second dockerd in its own network namespace (scripts/engine-in-netns.sh): restarting the
  // machine's main engine would break every other test using it.
  const NAME = 'dusty-chaos-e2e';
  const PREFIX = '10.203.77';
  const SCRIPT = join(ROOT, 'scripts/engine-in-netns.sh');
  const other = new DustyCli('e2echaosnetns', PORTS);
  let host = '';
  let inner: Docker;

  beforeAll(async () => {
    host = ok(
      await run('bash', [SCRIPT, 'up', NAME, PREFIX, 'dusty-busybox:local', 'dusty-nginx:local'], {
        timeoutMs: 120_000,
      }),
      'engine-in-netns up',
    ).stdout.trim();
    inner = new Docker({ socketPath: host.replace('unix://', '') });
    Object.assign(other.env, { DOCKER_HOST: host });
    await other.configure();
    // Published on the namespace's side of the veth pair, which this host reaches.
    await other.must('config', 'set', 'publish_address', `${PREFIX}.2`);
  }, 180_000);

  afterAll(async () => {
    const compose = join(other.home, 'compiled', 'docker-compose.yml');
    if (existsSync(compose))
      await run('docker-compose', ['-p', other.project, '-f', compose, 'down', '-v', '-t', '1'], {
        env: { ...process.env, DOCKER_HOST: host },
      });
    await run('bash', [SCRIPT, 'down', NAME]);
  });

  const answers = async () => {
    const r = await run('curl', [
      '-sS',
      '--max-time',
      '5',
      '--resolve',
      `web.demo.test:${PORTS.web}:${PREFIX}.2`,
      `http://web.demo.test:${PORTS.web}/cgi-bin/hello`,
    ]);
    return r.stdout;
  };

  it('comes back whole with one `up`', async () => {
    ok(await other.dusty('up'), 'up on the second engine');
    await until(
      'web to answer',
      async () => (await answers()).includes('sees cache: cached'),
      20_000,
    );
    ok(await run('bash', [SCRIPT, 'down', NAME], { timeoutMs: 90_000 }), 'engine down');
    ok(await run('bash', [SCRIPT, 'up', NAME, PREFIX], { timeoutMs: 90_000 }), 'engine up');
    ok(await other.dusty('up'), 'up after the engine restarted');
    await until(
      'web to answer again',
      async () => (await answers()).includes('sees cache: cached'),
      20_000,
    );
    expect((await networksNamed(inner, other.project)).length).toBe(1);
    const by = await containersByService(inner, other.project);
    expect([...by.keys()].sort()).toEqual(SERVICES);
    for (const [service, list] of by)
      expect(
        list.map((c) => c.state),
        service,
      ).toEqual(['running']);
    const token = `t-${randomBytes(3).toString('hex')}`;
    const echo = await run('sh', [
      '-c',
      `(printf '${token}\\n'; sleep 1) | timeout 4 busybox nc ${PREFIX}.2 ${PORTS.echo}`,
    ]);
    expect(echo.stdout).toBe(`${token}\n`);
    expect(existsSync(join(other.home, 'operation.lock'))).toBe(false);
  }, 150_000);
});
