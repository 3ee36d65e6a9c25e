/**
 * Whole-or-nothing rewrites of small system files. The new text goes to a
 * temporary file in the same directory, is fsynced, and renamed over the old
 * one. Where rename cannot work because the file is a bind mount (as
 * /etc/hosts is inside a container), the new text is first journalled to
 * `FILE.dusty-pending` and then written in place, so a crash mid-write is
 * repaired by {@link recoverInterruptedWrite} on the next start.
 *
 * Files are read and written as latin1 so that every byte outside Dusty's
 * lines survives, even bytes that are not valid UTF-8.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { lstat, open, readFile, readdir, realpath, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** Suffix of the copy of the previous version kept next to each edited file. */
export const BACKUP_SUFFIX = '.dusty-backup';
/** Suffix of the journal of an in-place write that has not finished yet. */
export const PENDING_SUFFIX = '.dusty-pending';
const TMP_MARK = '.dusty-tmp-';

/** What a rewrite did. Texts are latin1 (one character per byte). */
export interface RewriteOutcome {
  changed: boolean;
  before: string;
  after: string;
  /** True when the file could not be renamed over and was rewritten in place. */
  inPlace: boolean;
}

/** How a file is rewritten. */
export interface RewriteOptions {
  /**
   * Open the file itself with O_NOFOLLOW: a symbolic link placed at its path
   * is refused, not followed (the helper, which fixes its files at start).
   * Without it a link is resolved and its target rewritten.
   */
  noFollow?: boolean;
}

const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task queued for the same key has settled. */
function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const tail = next.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** UTF-8 text as the latin1 string whose bytes are its UTF-8 encoding. */
export function toFileText(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** The inverse of {@link toFileText}. */
export function fromFileText(text: string): string {
  return Buffer.from(text, 'latin1').toString('utf8');
}

async function resolveTarget(filePath: string): Promise<string> {
  try {
    return await realpath(filePath);
  } catch (err) {
    if (errno(err) === 'ENOENT') return path.resolve(filePath);
    throw err;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to a fresh temporary file beside `target`, durably, and returns its path. */
async function writeTemp(target: string, data: Buffer, like: Stats | null): Promise<string> {
  const dir = path.dirname(target);
  const tmp = path.join(
    dir,
    `.${path.basename(target)}${TMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`,
  );
  const mode = like ? like.mode & 0o7777 : 0o644;
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(data);
    // open()'s mode is filtered by the umask; the copy must match the original.
    await handle.chmod(mode);
    if (like && process.getuid?.() === 0) await handle.chown(like.uid, like.gid);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  return tmp;
}

/** Replaces `target` with `data` by rename; throws the rename error untouched. */
async function replaceByRename(target: string, data: Buffer, like: Stats | null): Promise<void> {
  const tmp = await writeTemp(target, data, like);
  try {
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(path.dirname(target));
}

/**
 * The image first written over a file of `oldLength` bytes in place: the new
 * text, padded with spaces to the old length when it is shorter. A reader
 * between that write and the truncate sees the new text and trailing blanks
 * (harmless in hosts and exports files), never the tail of the old one.
 */
export function inPlaceImage(data: Buffer, oldLength: number): Buffer {
  if (data.length >= oldLength) return data;
  return Buffer.concat([data, Buffer.alloc(oldLength - data.length, 0x20)]);
}

async function writeInPlace(target: string, data: Buffer, flags = 0): Promise<void> {
  const handle = await open(target, constants.O_WRONLY | flags);
  try {
    const image = inPlaceImage(data, (await handle.stat()).size);
    // One write of the whole image, then the truncate: never shorter than the
    // new text, never a mix of old and new; the journal covers a crash between.
    let offset = 0;
    while (offset < image.length) {
      const { bytesWritten } = await handle.write(image, offset, image.length - offset, offset);
      offset += bytesWritten;
    }
    await handle.truncate(data.length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function rewriteInPlace(
  target: string,
  data: Buffer,
  like: Stats | null,
  flags: number,
): Promise<void> {
  const pending = target + PENDING_SUFFIX;
  await replaceByRename(pending, data, like);
  await writeInPlace(target, data, flags);
  await unlink(pending);
  await fsyncDir(path.dirname(target));
}

/**
 * Finishes or discards what a killed writer left behind next to `filePath`:
 * replays a journalled in-place write, and removes stray temporary files.
 * Returns true when the file was repaired from the journal.
 */
export async function recoverInterruptedWrite(filePath: string): Promise<boolean> {
  const target = await resolveTarget(filePath);
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}`;
  const strays = (await readdir(dir).catch(() => [] as string[])).filter(
    (name) => name.startsWith(prefix) && name.includes(TMP_MARK),
  );
  for (const name of strays) await unlink(path.join(dir, name)).catch(() => undefined);
  const pending = target + PENDING_SUFFIX;
  let data: Buffer;
  try {
    const info = await lstat(pending);
    if (!info.isFile()) return false;
    data = await readFile(pending);
  } catch (err) {
    if (errno(err) === 'ENOENT') return false;
    throw err;
  }
  await writeInPlace(target, data);
  await unlink(pending);
  return true;
}

/**
 * Rewrites `filePath` with `transform(oldText)`, whole or not at all.
 * Concurrent calls for the same file run one after another. Nothing is
 * written when the text is unchanged. The previous version is kept as
 * `FILE.dusty-backup`; mode and owner are preserved. A missing file counts
 * as empty and is created with mode 0644. `transform` may throw to refuse,
 * leaving the file untouched.
 */
export function rewriteFile(
  filePath: string,
  transform: (before: string) => string,
  options: RewriteOptions = {},
): Promise<RewriteOutcome> {
  return serialise(path.resolve(filePath), async () => {
    const target = options.noFollow ? path.resolve(filePath) : await resolveTarget(filePath);
    const flags = options.noFollow ? constants.O_NOFOLLOW : 0;
    const { like, old } = await readCurrent(target, flags);
    const before = old.toString('latin1');
    const after = transform(before);
    if (after === before) return { changed: false, before, after, inPlace: false };
    const data = Buffer.from(after, 'latin1');
    if (like) await replaceByRename(target + BACKUP_SUFFIX, old, like);
    try {
      await replaceByRename(target, data, like);
      return { changed: true, before, after, inPlace: false };
    } catch (err) {
      // A bind-mounted file cannot be renamed over (EBUSY; EXDEV on some kernels).
      const code = errno(err);
      if (!like || (code !== 'EBUSY' && code !== 'EXDEV')) throw err;
    }
    await rewriteInPlace(target, data, like, flags);
    return { changed: true, before, after, inPlace: true };
  });
}

/** The file's status and bytes, read through one descriptor; a missing file is empty. */
async function readCurrent(
  target: string,
  flags: number,
): Promise<{ like: Stats | null; old: Buffer }> {
  let handle;
  try {
    handle = await open(target, constants.O_RDONLY | constants.O_NONBLOCK | flags);
  } catch (err) {
    if (errno(err) === 'ENOENT') return { like: null, old: Buffer.alloc(0) };
    if (errno(err) === 'ELOOP')
      throw Object.assign(new Error(`${target} is a symbolic link; not following it`), {
        code: 'ELOOP',
      });
    throw err;
  }
  try {
    const like = await handle.stat();
    if (!like.isFile()) throw new Error(`${target} is not a regular file`);
    return { like, old: await handle.readFile() };
  } finally {
    await handle.close();
  }
}
