import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  abandonedProgress,
  describeHolder,
  holderProgress,
  OperationCancelled,
  OpLock,
  type LockHolder,
  type OpProgress,
} from './lock.js';
import { watchOperations } from './monitor.js';
import { Steps } from './steps.js';

const homes: string[] = [];
const home = () => {
  const h = mkdtempSync(join(tmpdir(), 'dusty-lock-'));
  homes.push(h);
  return h;
};
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** A pid that existed and has ended. */
const deadPid = () => spawnSync('true').pid;

describe('OpLock', () => {
  it('writes who holds it, refuses a second taker without waiting, and frees on release', async () => {
    const lock = new OpLock(home());
    const h = await lock.acquire({ op: 'up', door: 'dashboard', wait: false });
    const file = JSON.parse(readFileSync(lock.lockPath, 'utf8')) as LockHolder;
    expect(file).toMatchObject({ pid: process.pid, op: 'up', door: 'dashboard' });
    expect(Math.abs(file.startedAt - Date.now())).toBeLessThan(5000);
    const busy = await lock
      .acquire({ op: 'stop', door: 'terminal', wait: false })
      .catch((e: unknown) => e as { code: string; message: string });
    expect((busy as { code: string }).code).toBe('busy');
    expect((busy as { message: string }).message).toMatch(
      new RegExp(
        `^the \`up\` started by pid ${process.pid} 0 s ago in the dashboard is still running`,
      ),
    );
    await h.release({ status: 'succeeded' });
    expect(await lock.holder()).toBeUndefined();
    const again = await lock.acquire({ op: 'stop', door: 'terminal', wait: false });
    await again.release({ status: 'succeeded' });
  });

  it('makes a waiter say whom it waits for, then run after the holder', async () => {
    const lock = new OpLock(home(), { pollMs: 20 });
    const first = await lock.acquire({ op: 'up', door: 'terminal', wait: true });
    const said: string[] = [];
    let got = false;
    const second = lock
      .acquire({ op: 'up', door: 'dashboard', wait: true, onWait: (m) => said.push(m) })
      .then((h) => ((got = true), h));
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toBe(false);
    expect(said).toEqual([
      `waiting for the \`up\` started by pid ${process.pid} 0 s ago in a terminal`,
    ]);
    await first.release({ status: 'succeeded' });
    const h = await second;
    expect(h.holder.door).toBe('dashboard');
    await h.release({ status: 'succeeded' });
  });

  it('lets only one of many simultaneous takers hold it at a time', async () => {
    const lock = new OpLock(home(), { pollMs: 5 });
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const h = await lock.acquire({ op: 'up', door: 'terminal', wait: true });
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        await h.release({ status: 'succeeded' });
      }),
    );
    expect(most).toBe(1);
    expect(await lock.read()).toBeUndefined();
  });

  it("takes over a dead process's lock and marks its progress failed", async () => {
    const lock = new OpLock(home(), { pollMs: 10 });
    const dead = deadPid();
    const stale = {
      pid: dead,
      op: 'up',
      door: 'terminal',
      startedAt: Date.now() - 60_000,
      host: hostname(),
    };
    writeFileSync(lock.lockPath, JSON.stringify(stale));
    writeFileSync(
      lock.progressPath,
      JSON.stringify({
        ...stale,
        status: 'running',
        step: 'starting containers',
        lines: [],
        containers: [],
        warnings: [],
        urls: [],
      }),
    );
    expect(await lock.holder()).toBeUndefined();
    const h = await lock.acquire({ op: 'up', door: 'terminal', wait: false });
    expect(h.holder.pid).toBe(process.pid);
    const p = JSON.parse(readFileSync(lock.progressPath, 'utf8')) as {
      status: string;
      pid: number;
      error: string;
    };
    // Our own progress may already have replaced it; either way the dead one is not "running".
    expect(p.pid === dead ? p.status : 'failed').toBe('failed');
    await h.release({ status: 'succeeded' });
  });

  it("waits for a dead holder's Compose child before taking over", async () => {
    const lock = new OpLock(home(), { pollMs: 20 });
    const child = spawn('sleep', ['0.6']);
    const stale = {
      pid: deadPid(),
      op: 'up',
      door: 'terminal',
      startedAt: Date.now(),
      host: hostname(),
      children: [child.pid],
    };
    writeFileSync(lock.lockPath, JSON.stringify(stale));
    const said: string[] = [];
    const t0 = Date.now();
    let exited = false;
    child.on('exit', () => (exited = true));
    const h = await lock.acquire({
      op: 'up',
      door: 'terminal',
      wait: true,
      onWait: (m) => said.push(m),
    });
    expect(exited || Date.now() - t0 >= 500).toBe(true);
    expect(said[0]).toMatch(new RegExp(`waiting for Compose \\(pid ${child.pid}\\)`));
    await h.release({ status: 'succeeded' });
  });

  it('passes a cancel request from another front door to the holder', async () => {
    const lock = new OpLock(home());
    const h = await lock.acquire({ op: 'up', door: 'terminal', wait: false });
    expect(await h.cancelled()).toBeUndefined();
    const holder = await lock.requestCancel({ pid: 4242, op: 'stop', door: 'dashboard' });
    expect(holder?.op).toBe('up');
    expect(await h.cancelled()).toBe('cancelled by the `stop` of pid 4242 from the dashboard');
    expect(h.signal.aborted).toBe(true);
    await h.release({ status: 'cancelled' });
    // The request was for that operation only.
    const next = await lock.acquire({ op: 'up', door: 'terminal', wait: false });
    expect(await next.cancelled()).toBeUndefined();
    await next.release({ status: 'succeeded' });
  });

  it('publishes progress for other processes and keeps the outcome after release', async () => {
    const lock = new OpLock(home());
    const h = await lock.acquire({ op: 'up', door: 'terminal', wait: false });
    h.publish({ step: 'starting containers', lines: ['Creating x_web_1 ... done'] });
    await new Promise((r) => setTimeout(r, 300));
    expect(await lock.progress()).toMatchObject({ status: 'running', step: 'starting containers' });
    await h.release({ status: 'succeeded', step: '3 containers running' });
    expect(await lock.progress()).toMatchObject({
      status: 'succeeded',
      step: '3 containers running',
    });
  });

  it('fails a waiter interrupted by a signal', async () => {
    const lock = new OpLock(home(), { pollMs: 10 });
    const h = await lock.acquire({ op: 'up', door: 'terminal', wait: false });
    const ac = new AbortController();
    const waiting = lock.acquire({ op: 'up', door: 'terminal', wait: true, signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(OperationCancelled);
    await h.release({ status: 'succeeded' });
  });
});

describe('describeHolder', () => {
  it('says which operation, which process, how long ago and where', () => {
    const h = { pid: 7, op: 'up', door: 'menubar', startedAt: 1_000, host: 'x' } as const;
    expect(describeHolder(h, 13_400)).toBe('the `up` started by pid 7 12 s ago in the menubar app');
    expect(describeHolder(h, 1_000 + 600_000)).toBe(
      'the `up` started by pid 7 10 min ago in the menubar app',
    );
  });
});

describe('holderProgress and snapshot', () => {
  const h: LockHolder = { pid: 7, op: 'up', door: 'terminal', startedAt: 50_000, host: hostname() };
  const published = (pid: number, startedAt: number): OpProgress => ({
    ...holderProgress({ ...h, pid, startedAt }, undefined),
    step: 'pulling images',
  });

  it("shows the holder's own progress, never a previous run's file", () => {
    expect(holderProgress(h, published(7, 50_000)).step).toBe('pulling images');
    expect(holderProgress(h, published(7, 10_000)).step).toBe('starting');
    expect(holderProgress(h, published(8, 50_000)).step).toBe('starting');
    expect(holderProgress(h, undefined)).toMatchObject({ pid: 7, op: 'up', status: 'running' });
  });

  it('reads the lock and the progress file together', async () => {
    const dir = home();
    const lock = new OpLock(dir, { isAlive: (pid) => pid === 7 });
    expect(await lock.snapshot()).toEqual({});
    writeFileSync(join(dir, 'operation.progress.json'), JSON.stringify(published(6, 1)));
    expect((await lock.snapshot()).running).toBeUndefined();
    expect((await lock.snapshot()).last?.pid).toBe(6);
    writeFileSync(join(dir, 'operation.lock'), JSON.stringify(h));
    const snap = await lock.snapshot();
    expect(snap.holder?.pid).toBe(7);
    expect(snap.running).toMatchObject({ pid: 7, step: 'starting' });
    expect(abandonedProgress(snap.running!, 'ended without saying how', 99)).toMatchObject({
      status: 'failed',
      error: 'the process (pid 7) ended without saying how',
      finishedAt: 99,
    });
  });
});

describe('Steps', () => {
  const plan = {
    validate: { todo: 'validate the specs', done: 'validated the specs' },
    start: { todo: 'start the containers', done: 'started the containers' },
    wait: { todo: 'wait for the containers', done: 'waited for the containers' },
  };

  it('says what was done and what was not when cancelled between steps', async () => {
    const state: { why?: string } = {};
    const steps = new Steps(plan, async () => state.why);
    await steps.begin('validate');
    state.why = 'interrupted (SIGINT)';
    const e = await steps.begin('start').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OperationCancelled);
    expect((e as OperationCancelled).done).toEqual(['validated the specs']);
    expect((e as OperationCancelled).notDone).toEqual([
      'start the containers',
      'wait for the containers',
    ]);
    expect((e as Error).message).toBe(
      'interrupted (SIGINT).\nDone: validated the specs.\nNot done: start the containers; wait for the containers.',
    );
  });

  it('counts a step cancelled from inside as not done', async () => {
    const steps = new Steps(plan);
    await steps.begin('validate');
    await steps.begin('start');
    await steps.begin('wait');
    const e = steps.cancelledError('stopped');
    expect(e.notDone).toEqual(['wait for the containers']);
    expect(e.done).toEqual(['validated the specs', 'started the containers']);
  });
});

describe('watchOperations', () => {
  it("follows another process's operation from its progress to its outcome", async () => {
    const lock = new OpLock(home());
    const other = spawn('sleep', ['30']);
    try {
      const base = {
        pid: other.pid!,
        op: 'up' as const,
        door: 'terminal' as const,
        startedAt: Date.now(),
      };
      writeFileSync(lock.lockPath, JSON.stringify({ ...base, host: hostname() }));
      const progress = { ...base, lines: [], containers: [], warnings: [], urls: [] };
      writeFileSync(
        lock.progressPath,
        JSON.stringify({ ...progress, status: 'running', step: 'getting repos' }),
      );
      const seen: OpProgress[] = [];
      const stop = watchOperations(lock, (p) => seen.push(p), 20);
      await until(() => seen.length === 1);
      expect(seen[0]).toMatchObject({ pid: other.pid, status: 'running', step: 'getting repos' });
      writeFileSync(
        lock.progressPath,
        JSON.stringify({ ...progress, status: 'succeeded', step: '5 containers running' }),
      );
      rmSync(lock.lockPath);
      await until(() => seen.length === 2);
      expect(seen[1]).toMatchObject({ status: 'succeeded', step: '5 containers running' });
      stop();
    } finally {
      other.kill();
    }
  });

  it('ignores the operations of its own process', async () => {
    const lock = new OpLock(home());
    const seen: OpProgress[] = [];
    const stop = watchOperations(lock, (p) => seen.push(p), 20);
    const h = await lock.acquire({ op: 'up', door: 'dashboard', wait: false });
    await new Promise((r) => setTimeout(r, 200));
    await h.release({ status: 'succeeded' });
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(seen).toEqual([]);
  });
});

async function until(test: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
