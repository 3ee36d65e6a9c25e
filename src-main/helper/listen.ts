/**
 * The helper's socket: a folder only root can change, no stale socket left
 * by a crash, and the socket itself mode 0600, owned by the owner.
 */
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';

/** Refuses unless the socket's directory is a real directory only root can write to. */
export async function checkSocketDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory (a symlink?)`);
  const me = process.getuid?.() ?? 0;
  if (info.uid !== 0 && info.uid !== me)
    throw new Error(`${dir} belongs to uid ${info.uid}, not root`);
  const othersWrite = (info.mode & 0o022) !== 0;
  const sticky = (info.mode & 0o1000) !== 0;
  if (othersWrite && !sticky) throw new Error(`${dir} is writable by others`);
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(true);
    }, 2000);
    probe.once('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT');
    });
  });
}

/** Removes a socket left by a crash; refuses when a live helper still answers on it. */
export async function clearStaleSocket(socketPath: string): Promise<void> {
  let info;
  try {
    info = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!info.isSocket())
    throw new Error(`${socketPath} exists and is not a socket; not touching it`);
  if (await answers(socketPath)) throw new Error(`another helper is answering on ${socketPath}`);
  await unlink(socketPath);
}

/** Listens on `socketPath`, created 0600 (no moment with a wider mode) and handed to the owner. */
export async function listenOwned(
  server: net.Server,
  socketPath: string,
  uid: number,
  gid: number,
): Promise<void> {
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previousUmask);
  }
  await chown(socketPath, uid, gid);
  await chmod(socketPath, 0o600);
}
