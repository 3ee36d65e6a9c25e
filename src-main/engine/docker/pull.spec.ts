import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { followProgress, type ProgressEvent } from './pull.js';

// The modem only parses the stream here; nothing connects to an engine.
const docker = new Docker({ socketPath: '/nonexistent/docker.sock' });

/** A progress stream that sends these lines (split mid-line, as the network does) and ends. */
function streamOf(lines: object[]): PassThrough {
  const s = new PassThrough();
  const text = lines.map((l) => JSON.stringify(l) + '\r\n').join('');
  const cut = Math.floor(text.length / 2);
  setImmediate(() => {
    s.write(text.slice(0, cut));
    s.end(text.slice(cut));
  });
  return s;
}

describe('followProgress', () => {
  it('passes each message on and resolves with all of them at the end', async () => {
    const seen: ProgressEvent[] = [];
    const out = await followProgress(
      docker,
      streamOf([
        { status: 'Pulling fs layer', id: 'a' },
        { status: 'Download complete', id: 'a' },
      ]),
      (e) => seen.push(e),
    );
    expect(seen.map((e) => e.status)).toEqual(['Pulling fs layer', 'Download complete']);
    expect(out).toHaveLength(2);
  });

  it('rejects when the engine reports a failure inside a 200 stream', async () => {
    await expect(
      followProgress(
        docker,
        streamOf([
          { status: 'Pulling from library/x' },
          { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' },
        ]),
      ),
    ).rejects.toThrow('manifest unknown');
    await expect(
      followProgress(docker, streamOf([{ errorDetail: { message: 'no space left' } }])),
    ).rejects.toThrow('no space left');
  });

  it('rejects when the stream itself breaks', async () => {
    const s = new PassThrough();
    setImmediate(() => s.destroy(new Error('connection reset')));
    await expect(followProgress(docker, s)).rejects.toThrow('connection reset');
  });
});
