/**
 * `cp`: files between the host and containers, or between two containers,
 * through the Engine API's archive endpoints.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tarFs from 'tar-fs';
import tarStream from 'tar-stream';
import { DustyError } from '../errors.js';
import { runningContainer } from './containers.js';

export type Location =
  { container: string; path: string } | { container?: undefined; path: string };

/** `NAME:/path` names a path in a container; anything else is a host path. */
export function parseLocation(s: string): Location {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(\/.*)$/.exec(s);
  if (m) return { container: m[1]!, path: m[2]! };
  if (/^[A-Za-z0-9][A-Za-z0-9_.-]*:/.test(s))
    throw new DustyError('usage', `${s}: a container path must be absolute, as in NAME:/path`);
  return { path: s };
}

/** Rewrites the first path component of every entry, so a copy can land under a new name. */
function renameTop(name: string, from: string, to: string): string {
  if (from === to) return name;
  if (name === from || name === `${from}/`) return name.replace(from, to);
  if (name.startsWith(`${from}/`)) return to + name.slice(from.length);
  return name;
}

async function containerIsDir(c: Docker.Container, path: string): Promise<boolean | undefined> {
  try {
    const info = (await c.infoArchive({ path })) as unknown as {
      headers?: Record<string, string>;
      destroy?: () => void;
    };
    // dockerode hands back the HEAD response as an unread stream; left open, its
    // socket keeps the process alive after the copy is done.
    info.destroy?.();
    const header = info.headers?.['x-docker-container-path-stat'];
    if (!header) return undefined;
    const st = JSON.parse(Buffer.from(header, 'base64').toString()) as { mode: number };
    return (st.mode & 0x80000000) !== 0; // Go's os.ModeDir
  } catch {
    return undefined;
  }
}

async function hostIsDir(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

/**
 * Makes the folder a copy lands in, as the original Dusty did (`mkdir -p` in
 * the container), so `cp a:/f b:/new/place/f` works like it did there.
 */
async function ensureContainerDir(c: Docker.Container, name: string, dir: string): Promise<void> {
  if ((await containerIsDir(c, dir)) !== undefined) return;
  const exec = await c.exec({ Cmd: ['mkdir', '-p', dir], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise((done) => {
    stream.on('end', done);
    stream.on('close', done);
    stream.resume();
  });
  if ((await exec.inspect()).ExitCode !== 0)
    throw new DustyError('copy-failed', `cannot make the folder ${name}:${dir} (mkdir -p failed)`);
}

/** Where a copy lands: into DST when it is an existing folder, else as DST. */
function target(dst: string, dstIsDir: boolean | undefined, srcName: string) {
  return dstIsDir ? { dir: dst, name: srcName } : { dir: dirname(dst), name: basename(dst) };
}

/** Copies SRC to DST, each a host path or `NAME:/path`. */
export async function copy(docker: Docker, srcArg: string, dstArg: string): Promise<string> {
  const src = parseLocation(srcArg);
  const dst = parseLocation(dstArg);
  if (!src.container && !dst.container)
    throw new DustyError('usage', 'one of SRC and DST must be a container path (NAME:/path)');
  const srcName = basename(src.path.replace(/\/+$/, '')) || '/';

  if (!src.container) {
    const local = resolve(src.path);
    if ((await hostIsDir(local)) === undefined)
      throw new DustyError('not-found', `${src.path} does not exist`);
    const c = await runningContainer(docker, dst.container!);
    const t = target(dst.path, await containerIsDir(c, dst.path), srcName);
    await ensureContainerDir(c, dst.container!, t.dir);
    const pack = tarFs.pack(dirname(local), {
      entries: [basename(local)],
      map: (h) => ({ ...h, name: renameTop(h.name, basename(local), t.name) }),
    });
    await c
      .putArchive(pack as unknown as NodeJS.ReadableStream, { path: t.dir })
      .catch((e: Error) => {
        throw new DustyError(
          'copy-failed',
          `cannot copy into ${dst.container}:${t.dir}: ${e.message}`,
        );
      });
    return `${local} -> ${dst.container}:${posix.join(t.dir, t.name)}`;
  }

  const from = await runningContainer(docker, src.container);
  const archive = await from.getArchive({ path: src.path }).catch(() => {
    throw new DustyError('not-found', `${src.container}:${src.path} does not exist`);
  });
  if (!dst.container) {
    const local = resolve(dst.path);
    const t = target(local, await hostIsDir(local), srcName);
    await pipeline(
      archive,
      tarFs.extract(t.dir, { map: (h) => ({ ...h, name: renameTop(h.name, srcName, t.name) }) }),
    );
    return `${src.container}:${src.path} -> ${t.dir}/${t.name}`;
  }
  const to = await runningContainer(docker, dst.container);
  const t = target(dst.path, await containerIsDir(to, dst.path), srcName);
  await ensureContainerDir(to, dst.container, t.dir);
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  extract.on('entry', (header, stream, next) => {
    stream.pipe(pack.entry({ ...header, name: renameTop(header.name, srcName, t.name) }, next));
  });
  extract.on('finish', () => pack.finalize());
  archive.pipe(extract);
  await to.putArchive(pack as unknown as NodeJS.ReadableStream, { path: t.dir });
  return `${src.container}:${src.path} -> ${dst.container}:${posix.join(t.dir, t.name)}`;
}
