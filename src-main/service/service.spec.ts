import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src-shared/api/contract.js';
import { composeProgress } from './api-service.js';
import { applyRecent } from './container-watcher.js';
import { Batcher } from './batcher.js';
import { LogLineParser, MAX_LINE, timeKey } from './log-lines.js';
import { containerRows, noticeForEvent, toApiError } from './rows.js';
import { DustyError } from '../engine/errors.js';
import type { ContainerState } from '../engine/runtime/containers.js';

const frame = (stream: 1 | 2, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

/** A container as the engine lists it: running and healthy unless told otherwise. */
function listed(c: Partial<ContainerState> & Pick<ContainerState, 'name' | 'id'>): ContainerState {
  return {
    containerName: `p_${c.name}_1`,
    image: 'img',
    imageId: 'sha256:1',
    state: 'running',
    health: 'healthy',
    status: 'Up 2 minutes (healthy)',
    labels: {},
    ports: [],
    ...c,
  };
}
describe('log lines', () => {
  it('splits framed output into lines with timestamps, across chunk boundaries', () => {
    const out: LogLine[] = [];
    const p = new LogLineParser('web', false, (l) => out.push(l));
    const all = Buffer.concat([
      frame(1, '2024-05-01T10:00:00.1Z hello\n2024-05-01T10:00:00.2Z wor'),
      frame(1, 'ld\n'),
      frame(2, '2024-05-01T10:00:00.3Z oops\r\n'),
    ]);
    p.push(all.subarray(0, 5));
    p.push(all.subarray(5, 30));
    p.push(all.subarray(30));
    expect(out).toEqual([
      { c: 'web', t: '2024-05-01T10:00:00.1Z', x: 'hello' },
      { c: 'web', t: '2024-05-01T10:00:00.2Z', x: 'world' },
      { c: 'web', t: '2024-05-01T10:00:00.3Z', e: 1, x: 'oops' },
    ]);
  });
  it('reads raw output of a TTY container and flushes the last partial line at the end', () => {
    const out: LogLine[] = [];
    const p = new LogLineParser('tty', true, (l) => out.push(l));
    p.push(Buffer.from('2024-05-01T10:00:00Z a\n2024-05-01T10:00:01Z b'));
    expect(out.map((l) => l.x)).toEqual(['a']);
    p.end();
    expect(out.map((l) => l.x)).toEqual(['a', 'b']);
  });
  it('cuts a runaway line so one line cannot fill memory', () => {
    const out: LogLine[] = [];
    new LogLineParser('w', true, (l) => out.push(l)).push(
      Buffer.from('x'.repeat(MAX_LINE * 2) + '\n'),
    );
    expect(out[0]!.x.length).toBeLessThanOrEqual(MAX_LINE + 2);
  });
  it('orders timestamps with different fraction lengths', () => {
    expect(timeKey('2024-05-01T10:00:00.5Z') > timeKey('2024-05-01T10:00:00.123456789Z')).toBe(
      true,
    );
    expect(timeKey('2024-05-01T10:00:01Z') > timeKey('2024-05-01T10:00:00.999Z')).toBe(true);
  });
});

describe('batching', () => {
  const manual = () => {
    let fire: (() => void) | null = null;
    return {
      setTimer: (fn: () => void) => (fire = fn),
      clearTimer: () => (fire = null),
      tick: () => fire?.(),
    };
  };
  it('hands items over in one batch per tick', () => {
    const t = manual();
    const got: number[][] = [];
    const b = new Batcher<number>({
      interval: 30,
      cap: 100,
      flush: (items) => void got.push(items),
      ...t,
    });
    b.push(1, 2);
    b.push(3);
    expect(got).toEqual([]);
    t.tick();
    expect(got).toEqual([[1, 2, 3]]);
  });
  it('keeps at most cap items for a slow consumer and counts what it dropped', () => {
    const t = manual();
    const got: { items: number[]; dropped: number }[] = [];
    let congested = true;
    const b = new Batcher<number>({
      interval: 30,
      cap: 3,
      flush: (items, dropped) => {
        if (congested) return false;
        got.push({ items, dropped });
      },
      ...t,
    });
    b.push(1, 2, 3, 4);
    t.tick();
    b.push(5);
    expect(b.pending).toBe(3);
    congested = false;
    t.tick();
    expect(got).toEqual([{ items: [3, 4, 5], dropped: 2 }]);
  });
});

describe('what the dashboard shows', () => {
  it('lists planned containers with their state and adds the ones not in the plan', () => {
    const rows = containerRows(
      [
        {
          name: 'web',
          kind: 'app',
          image: { kind: 'pull', ref: 'img' },
          urls: ['http://web.test'],
          dependsOn: [],
          mounts: [],
          assets: [],
        },
      ],
      { web: [{ name: 'greet', description: '' }] },
      new Map<string, ContainerState>([
        [
          'old',
          listed({
            name: 'old',
            id: '2',
            state: 'exited',
            health: undefined,
            status: 'Exited (0) 1 minute ago',
          }),
        ],
        [
          'web',
          listed({
            name: 'web',
            id: '1',
            ports: [
              { private: 80, public: 8080, ip: '127.0.0.1' },
              { private: 80, public: 8080, ip: '127.0.0.1' },
            ],
          }),
        ],
      ]),
    );
    expect(rows.map((r) => [r.name, r.state, r.health])).toEqual([
      ['web', 'running', 'healthy'],
      ['old', 'exited', null],
    ]);
    expect(rows[0]!.ports).toHaveLength(1);
    expect(rows[0]!.scripts).toEqual([{ name: 'greet', description: '' }]);
  });

  it('says a container died unexpectedly, unless Dusty stopped it', () => {
    const ev = {
      Action: 'die',
      Actor: { Attributes: { 'com.docker.compose.service': 'api', exitCode: '137' } },
    };
    expect(noticeForEvent(ev, () => false, 1)).toEqual({
      level: 'error',
      title: 'api stopped',
      body: 'api exited unexpectedly (exit code 137).',
      at: 1,
    });
    expect(noticeForEvent(ev, (s) => s === 'api')).toBeNull();
    expect(
      noticeForEvent(
        {
          Action: 'health_status: unhealthy',
          Actor: { Attributes: { 'com.docker.compose.service': 'db' } },
        },
        () => false,
      )?.title,
    ).toBe('db is unhealthy');
    expect(noticeForEvent({ Action: 'start', Actor: { Attributes: {} } }, () => false)).toBeNull();
  });

  it('carries the failed container, the reason and the log lines as data, not prose', () => {
    const detail = { container: 'web', reason: 'it exited with code 3', logs: ['boom', 'bye'] };
    expect(toApiError(new DustyError('container-failed', 'web did not start', detail))).toEqual({
      code: 'container-failed',
      message: 'web did not start',
      detail,
    });
    expect(toApiError(new Error('plain'))).toEqual({ code: 'error', message: 'plain' });
  });

  it('keeps spec problems with their file and key, and explains raw engine errors', () => {
    const problems = [
      {
        severity: 'error' as const,
        file: 'apps/web.yml',
        path: 'image',
        message: 'expected a string',
      },
    ];
    expect(
      toApiError(new DustyError('invalid-specs', 'the specs are invalid', { problems: problems }))
        .detail?.problems,
    ).toEqual(problems);
    expect(toApiError(new Error('(HTTP code 409) unexpected - conflict: name in use'))).toEqual({
      code: 'engine',
      message: 'the Docker engine refused: conflict: name in use',
    });
  });

  it('reads per-container progress from Compose v1 and v2 output', () => {
    expect(composeProgress('Creating p_web_1 ... done', 'p')).toEqual({
      name: 'web',
      state: 'created',
    });
    expect(composeProgress('Starting p_api_1 ... ', 'p')).toEqual({
      name: 'api',
      state: 'starting',
    });
    expect(composeProgress(' Container p-web-1  Started', 'p')).toEqual({
      name: 'web',
      state: 'started',
    });
    expect(composeProgress('Creating network "p_dusty" with the default driver', 'p')).toBeNull();
  });
});

describe('container state from engine events', () => {
  const listing = () => new Map([['api', listed({ name: 'api', id: 'c1' })]]);
  it('trusts a fresh die event over a listing that still says running', () => {
    const out = applyRecent(listing(), new Map([['c1', { state: 'exited', at: 1000 }]]), 1500);
    expect(out.get('api')).toMatchObject({ state: 'exited', health: undefined });
  });
  it('goes back to the listing once the event is old', () => {
    const out = applyRecent(listing(), new Map([['c1', { state: 'exited', at: 1000 }]]), 5000);
    expect(out.get('api')?.state).toBe('running');
  });
  it('takes a health change from its event', () => {
    const out = applyRecent(listing(), new Map([['c1', { health: 'unhealthy', at: 1000 }]]), 1200);
    expect(out.get('api')).toMatchObject({ state: 'running', health: 'unhealthy' });
  });
});
