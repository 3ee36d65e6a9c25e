/**
 * The helper's socket: a folder only root can change, no stale socket left
 * by a crash, and the socket itself mode 0600, owned by the owner.
 */
import { chmod, chown, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';

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
