/**
 * The HealthMonitor without Docker: a real local HTTP server stands where the
 * router listens (it answers by Host header, 502 for an app that does not
 * answer, as nginx does), a port nobody listens on is a router that is gone,
 * and the container rows are what the engine would list. Only probing and the
 * state transitions are under test here; health.e2e.ts has the real engine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  ContainerRow,
  HealthState,
  Notice,
  OperationState,
} from '../../src-shared/api/contract.js';
import { HealthMonitor } from './health-monitor.js';

let server: Server;
let port: number;
/** What the stand-in router answers per host name; 502 when absent (the app does not answer). */
let answers: Record<string, number>;
let requests: string[];
let monitor: HealthMonitor | undefined;

beforeEach(async () => {
  answers = {};
  requests = [];
  server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    requests.push(host);
    res.writeHead(answers[host] ?? 502).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  monitor?.dispose();
  monitor = undefined;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A port that refuses connections: listened on once, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

const row = (name: string, state: string, urls: string[] = []): ContainerRow => ({
  name,
  kind: 'app',
  state,
  health: null,
  containerName: `p_${name}_1`,
  id: `id-${name}`,
  image: 'img',
  ports: [],
  urls,
  scripts: [],
});

/** A monitor over rows and an operation the test changes, recording what it tells. */
function monitorOf(initial: ContainerRow[]) {
  const world = {
    rows: initial,
    operation: null as OperationState | null,
    stopping: new Set<string>(),
    changes: [] as HealthState[],
    notices: [] as Notice[],
  };
  monitor = new HealthMonitor({
    // Asked only about containers that had exited before the monitor started; none here.
    docker: {} as Docker,
    address: () => '127.0.0.1',
    rows: () => world.rows,
    operation: () => world.operation,
    expectedStop: (name) => world.stopping.has(name),
    onChange: (h) => world.changes.push(h),
    notify: (n) => world.notices.push(n),
    intervalMs: 40,
  });
  return { world, monitor };
}

const level = (m: HealthMonitor) => m.state.overall.level;

describe('HealthMonitor: probing through the router and the overall state (no Docker)', () => {
  it('is green once every running app’s URL answers, with each answer', async () => {
    answers['web.demo.test'] = 200;
    answers['api.demo.test'] = 404; // an app's own 404 is an answer
    const web = `http://web.demo.test:${port}/`;
    const api = `http://api.demo.test:${port}/health`;
    const { world, monitor } = monitorOf([
      row('web', 'running', [web]),
      row('api', 'running', [api]),
    ]);
    monitor.recompute();
    // Running but not probed yet: amber, checking.
    expect(monitor.state.overall.level).toBe('amber');
    expect(monitor.state.overall.summary).toMatch(/^checking/);
    await monitor.probeNow();
    expect(monitor.state.overall).toEqual({
      level: 'green',
      word: 'healthy',
      summary: '2 running, 2 URLs answering',
      broken: [],
    });
    expect(monitor.state.urls.map((u) => [u.url, u.ok, u.status])).toEqual([
      [web, true, 200],
      [api, true, 404],
    ]);
    expect(requests.sort()).toEqual(['api.demo.test', 'web.demo.test']);
    expect(world.changes.at(-1)?.overall.level).toBe('green');
    expect(world.notices).toEqual([]);
  });

  it('goes red naming the URL the router cannot reach an app behind, notifies once, and green again', async () => {
    answers['web.demo.test'] = 200;
    const web = `http://web.demo.test:${port}/`;
    const api = `http://api.demo.test:${port}/`;
    const { world, monitor } = monitorOf([
      row('web', 'running', [web]),
      row('api', 'running', [api]),
    ]);
    await monitor.probeNow();
    expect(monitor.state.overall).toEqual({
      level: 'red',
      word: 'broken',
      summary: `${api} does not answer`,
      broken: [api],
    });
    const answer = monitor.state.urls.find((u) => u.url === api);
    expect(answer).toMatchObject({ ok: false, status: 502 });
    expect(answer?.error).toMatch(/router answered 502/);
    expect(world.notices.map((n) => [n.level, n.title])).toEqual([
      ['error', 'api does not answer'],
    ]);
    expect(world.notices[0]?.body).toContain(api);
    // Still broken at the next probe: no second notice.
    await monitor.probeNow();
    expect(world.notices.length).toBe(1);
    answers['api.demo.test'] = 200;
    await monitor.probeNow();
    expect(level(monitor)).toBe('green');
    expect(world.changes.map((c) => c.overall.level)).toEqual(['red', 'green']);
  });

  it('goes red when the router’s port is closed, saying why', async () => {
    const gone = `http://web.demo.test:${await closedPort()}/`;
    const { world, monitor } = monitorOf([row('web', 'running', [gone])]);
    await monitor.probeNow();
    expect(monitor.state.overall.broken).toEqual([gone]);
    expect(monitor.state.urls[0]).toMatchObject({ ok: false, status: null });
    expect(monitor.state.urls[0]?.error).toMatch(/refused/i);
    expect(world.notices[0]).toMatchObject({ title: 'web does not answer' });
    expect(world.notices[0]?.body).toContain(gone);
  });

  it('red for a container that died, not for one stopped on purpose; amber while something starts', async () => {
    answers['web.demo.test'] = 200;
    const web = `http://web.demo.test:${port}/`;
    const { world, monitor } = monitorOf([row('web', 'running', [web]), row('db', 'running')]);
    await monitor.probeNow();
    expect(level(monitor)).toBe('green');

    world.rows = [row('web', 'running', [web]), row('db', 'exited')];
    monitor.changed();
    expect(monitor.state.overall).toEqual({
      level: 'red',
      word: 'broken',
      summary: 'db stopped unexpectedly',
      broken: ['db'],
    });

    // The same exit after a stop through the Engine API (its `stop` event) is on purpose.
    monitor.engineEvent({
      Action: 'stop',
      Actor: { Attributes: { 'com.docker.compose.service': 'db' } },
    });
    monitor.changed();
    expect(monitor.state.overall).toMatchObject({
      level: 'amber',
      word: 'partial',
      summary: '1 of 2 running; db is stopped',
    });

    // Started again: amber while it starts, green once it runs.
    monitor.engineEvent({
      Action: 'start',
      Actor: { Attributes: { 'com.docker.compose.service': 'db' } },
    });
    world.rows = [row('web', 'running', [web]), row('db', 'restarting')];
    monitor.changed();
    expect(monitor.state.overall).toMatchObject({ level: 'amber', summary: 'db is starting' });
    world.rows = [row('web', 'running', [web]), row('db', 'running')];
    monitor.changed();
    expect(level(monitor)).toBe('green');

    // During an operation nothing is red yet: amber says what runs.
    world.operation = { kind: 'up', status: 'running' } as OperationState;
    world.rows = [row('web', 'running', [web]), row('db', 'exited')];
    monitor.changed();
    expect(monitor.state.overall).toMatchObject({ level: 'amber', summary: 'up in progress' });
    // Dusty stopping it itself is not a failure either.
    world.operation = null;
    world.stopping.add('db');
    monitor.changed();
    expect(level(monitor)).toBe('amber');
    expect(world.notices).toEqual([]);
  });

  it('probes every few seconds only while someone watches', async () => {
    answers['web.demo.test'] = 200;
    const { monitor } = monitorOf([row('web', 'running', [`http://web.demo.test:${port}/`])]);
    const unwatch = monitor.watch();
    await new Promise((r) => setTimeout(r, 300));
    const watched = requests.length;
    expect(watched).toBeGreaterThanOrEqual(3);
    unwatch();
    await new Promise((r) => setTimeout(r, 100));
    const after = requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(requests.length).toBe(after);
  });
});
