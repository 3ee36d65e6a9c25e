import { describe, expect, it } from 'vitest';
import { slowestFirst, timelineText } from '../../../src-shared/timeline.js';
import { ONCE_BEGIN_LINE, ONCE_END_LINE, TimelineRecorder } from './timeline.js';

const ev = (service: string, Action: string, ms: number) => ({
  Action,
  timeNano: ms * 1e6,
  Actor: { Attributes: { 'com.docker.compose.service': service } },
});

function recorder() {
  let clock = 1000;
  const r = new TimelineRecorder(['web', 'db'], 'proj', () => clock, 1000);
  return { r, at: (ms: number) => (clock = ms) };
}

describe('TimelineRecorder', () => {
  it('builds each container’s phases from Compose lines, engine events and once markers', () => {
    const { r, at } = recorder();
    at(1100);
    r.composeLine('Building web');
    at(3000);
    r.composeLine('Creating proj_web_1 ... ');
    r.engineEvent(ev('web', 'create', 3200));
    r.engineEvent(ev('web', 'start', 3500));
    r.logLine('web', `2026-01-01T00:00:00Z ${ONCE_BEGIN_LINE}`, 3600);
    r.logLine('web', ONCE_END_LINE, 5600);
    r.end('web', 'ready', 5900, 'http://web.test answered 200');
    r.finish(6000);
    const web = r.snapshot().containers.find((c) => c.name === 'web')!;
    expect(web.phases).toEqual([
      { phase: 'image', start: 1100, end: 3000, note: 'build' },
      { phase: 'create', start: 3000, end: 3200 },
      { phase: 'start', start: 3200, end: 3500 },
      { phase: 'once', start: 3600, end: 5600 },
      { phase: 'ready', start: 5600, end: 5900, note: 'http://web.test answered 200' },
    ]);
  });

  it('uses the engine’s event time, not the time the event arrived', () => {
    const { r, at } = recorder();
    at(9000);
    r.engineEvent(ev('db', 'create', 1500));
    r.engineEvent(ev('db', 'start', 1700));
    r.engineEvent(ev('db', 'health_status: healthy', 4700));
    r.finish();
    expect(r.snapshot().containers.find((c) => c.name === 'db')!.phases).toEqual([
      { phase: 'create', start: 1500, end: 1500 },
      { phase: 'start', start: 1500, end: 1700 },
      { phase: 'ready', start: 1700, end: 4700, note: 'health check' },
    ]);
  });

  it('ends what was open when the container dies, and everything at finish', () => {
    const { r } = recorder();
    r.engineEvent(ev('web', 'create', 1100));
    r.engineEvent(ev('web', 'start', 1200));
    r.engineEvent(ev('web', 'die', 1300));
    r.engineEvent(ev('db', 'create', 1100));
    r.finish(2000);
    const t = r.snapshot();
    expect(t.finishedAt).toBe(2000);
    expect(t.containers[0]!.phases.at(-1)).toEqual({
      phase: 'ready',
      start: 1200,
      end: 1300,
      note: 'the container exited',
    });
    expect(t.containers[1]!.phases.at(-1)).toEqual({ phase: 'start', start: 1100, end: 2000 });
  });

  it('ignores containers of other projects and services it was not told about', () => {
    const { r } = recorder();
    r.composeLine('Creating other_web_1 ... ');
    r.engineEvent(ev('cache', 'create', 1100));
    expect(r.snapshot().containers.every((c) => c.phases.length === 0)).toBe(true);
  });
});

describe('timelineText', () => {
  it('prints the slowest container first with a bar on one time axis and each phase', () => {
    const t = {
      startedAt: 0,
      finishedAt: 4000,
      containers: [
        { name: 'db', phases: [{ phase: 'start' as const, start: 0, end: 1000 }] },
        {
          name: 'web',
          phases: [
            { phase: 'image' as const, start: 0, end: 2000 },
            { phase: 'ready' as const, start: 2000, end: 4000 },
          ],
        },
        { name: 'idle', phases: [] },
      ],
    };
    expect(slowestFirst(t).map((c) => c.name)).toEqual(['web', 'db']);
    const lines = timelineText(t, 8);
    expect(lines[0]).toBe('web   4.0s |▒▒▒▒████| pull/build 2.0s, first answer 2.0s');
    expect(lines[1]).toBe('db    1.0s |▓▓▓     | start 1.0s');
    expect(lines[2]).toContain('4.0s');
    expect(lines).toHaveLength(3);
  });
});
