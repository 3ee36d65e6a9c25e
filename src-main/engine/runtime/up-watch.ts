/**
 * What `up` watches while it runs, for its timeline: the engine's events of
 * the project's containers (with the engine's timestamps) and, for each app
 * that starts, the first lines of its log where the start script marks
 * `once`. Everything is closed when `up` ends.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { UrlCheck } from '../../../src-shared/health.js';
import { projectName } from '../docker/compose-runner.js';
import { probeUrls } from './probe.js';
import { ONCE_END_LINE, type TimelineEngineEvent, type TimelineRecorder } from './timeline.js';

type Closable = { destroy(): void };

/** Lines of an app's log read for the `once` markers before giving up on it. */
const ONCE_SCAN_LINES = 2000;

export interface UpWatch {
  close(): void;
}

/** Follows the project's engine events from `since` (epoch ms) into the recorder. */
export async function watchUp(
  docker: Docker,
  recorder: TimelineRecorder,
  apps: ReadonlySet<string>,
  since: number,
): Promise<UpWatch> {
  const open: Closable[] = [];
  let closed = false;
  const events = (await docker.getEvents({
    since: Math.floor(since / 1000),
    filters: { type: ['container'], label: [`com.docker.compose.project=${projectName()}`] },
  })) as unknown as NodeJS.ReadableStream & Closable;
  open.push(events);
  let partial = '';
  events.on('data', (d: Buffer) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      let ev: TimelineEngineEvent & { id?: string; Actor?: { ID?: string } };
      try {
        ev = JSON.parse(p) as typeof ev;
      } catch {
        continue;
      }
      recorder.engineEvent(ev);
      const service = ev.Actor?.Attributes?.['com.docker.compose.service'];
      const id = ev.Actor?.ID ?? ev.id;
      if ((ev.Action ?? ev.status) === 'start' && service && apps.has(service) && id && !closed)
        void followOnce(docker, recorder, service, id, ev.time ?? Math.floor(since / 1000)).then(
          (s) => (closed ? s?.destroy() : s && open.push(s)),
        );
    }
  });
  events.on('error', () => undefined);
  return {
    close() {
      closed = true;
      for (const s of open) s.destroy();
    },
  };
}

/** Reads an app's log from its start until the start script says `once` is done. */
async function followOnce(
  docker: Docker,
  recorder: TimelineRecorder,
  name: string,
  id: string,
  sinceS: number,
): Promise<Closable | undefined> {
  let stream: NodeJS.ReadableStream & Closable;
  try {
    stream = (await docker.getContainer(id).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      since: sinceS,
    })) as unknown as NodeJS.ReadableStream & Closable;
  } catch {
    return undefined;
  }
  const text = new PassThrough();
  docker.modem.demuxStream(stream, text, text);
  let seen = 0;
  let partial = '';
  text.on('data', (d: Buffer) => {
    const lines = (partial + d.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const sp = line.indexOf(' ');
      const at = Date.parse(line.slice(0, sp).replace(/(\.\d{3})\d*/, '$1'));
      recorder.logLine(name, line.slice(sp + 1), Number.isNaN(at) ? Date.now() : at);
      if (line.includes(ONCE_END_LINE) || ++seen > ONCE_SCAN_LINES) return stream.destroy();
    }
  });
  stream.on('error', () => undefined);
  return stream;
}

/**
 * Probes the URLs until each has answered once or `budgetMs` has passed,
 * ending each app's `ready` phase at its first answer; returns the last
 * answer of each URL.
 */
export async function probeUntilAnswered(
  urls: readonly { app: string; url: string }[],
  address: string,
  recorder: TimelineRecorder,
  budgetMs: number,
  /** Answers already had (an answer is not asked for twice). */
  answered: ReadonlyMap<string, UrlCheck> = new Map(),
): Promise<UrlCheck[]> {
  const deadline = Date.now() + budgetMs;
  const last = new Map(answered);
  let pending = urls.filter((u) => !answered.get(u.url)?.ok);
  while (pending.length) {
    const checks = await probeUrls(pending, { address, timeoutMs: 2000 });
    for (const c of checks) {
      last.set(c.url, c);
      if (c.ok)
        recorder.endIfOpen(
          c.app,
          'ready',
          c.at + c.ms,
          `${c.url} answered${c.status ? ` ${c.status}` : ''}`,
        );
    }
    pending = pending.filter((u) => !last.get(u.url)?.ok);
    if (!pending.length || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return urls.map((u) => last.get(u.url)!);
}
