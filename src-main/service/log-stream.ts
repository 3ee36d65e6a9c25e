/** Following the logs of one or several containers for a dashboard subscription. */
import type Docker from 'dockerode';
import type { LogLine } from '../../src-shared/api/contract.js';
import { DustyError } from '../engine/errors.js';
import { listContainers } from '../engine/runtime/containers.js';
import { Batcher } from './batcher.js';
import { LogLineParser, timeKey } from './log-lines.js';

export interface LogFollowOptions {
  names: string[];
  tail: number;
  /** Receives a batch; returns false when the consumer is congested. */
  onLines: (lines: LogLine[], dropped: number) => boolean;
  /** Every stream ended (the containers stopped). */
  onEnd: () => void;
  /** Milliseconds between batches. */
  interval?: number;
  /** Most lines kept waiting for a slow consumer. */
  cap?: number;
}

export interface LogFollower {
  close(): void;
}

type DestroyableStream = NodeJS.ReadableStream & { destroy(): void };

/** Opens one Engine API log stream per container; lines are batched and interleaved by time. */
export async function followLogs(docker: Docker, opts: LogFollowOptions): Promise<LogFollower> {
  const existing = await listContainers(docker);
  const missing = opts.names.filter((n) => !existing.has(n));
  if (missing.length)
    throw new DustyError(
      'not-running',
      `${missing.join(', ')} ha${missing.length === 1 ? 's' : 've'} no container; start it with Up`,
    );
  const several = opts.names.length > 1;
  const batcher = new Batcher<LogLine>({
    // Twenty messages a second at most: see MESSAGE_LINES in api-service.ts.
    interval: opts.interval ?? 50,
    cap: opts.cap ?? 50_000,
    flush: (lines, dropped) => {
      if (several) {
        const keyed = lines.map((l, i) => ({ l, k: timeKey(l.t), i }));
        keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
        lines = keyed.map((k) => k.l);
      }
      return opts.onLines(lines, dropped);
    },
  });
  const streams: DestroyableStream[] = [];
  let open = 0;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const s of streams) s.destroy();
    batcher.close();
  };
  try {
    for (const name of opts.names) {
      const c = docker.getContainer(existing.get(name)!.id);
      const info = await c.inspect();
      const stream = (await c.logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        tail: opts.tail,
      })) as unknown as DestroyableStream;
      streams.push(stream);
      open++;
      const parser = new LogLineParser(name, info.Config.Tty, (l) => batcher.push(l));
      stream.on('data', (d: Buffer) => parser.push(d));
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        parser.end();
        if (--open === 0 && !closed) {
          batcher.flushNow();
          opts.onEnd();
          close();
        }
      };
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', finish);
    }
  } catch (e) {
    close();
    throw e;
  }
  return { close };
}
