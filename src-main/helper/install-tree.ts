/**
 * Copying what root will run into a folder only root can change, and
 * proving it afterwards. Regular files and folders only: a symbolic link is
 * followed and its target copied (a pnpm-style node_modules/zod -> store/...
 * must not stay a link into the owner's folder), except, when asked, a link
 * that stays inside the tree being copied (an Electron bundle's frameworks
 * need theirs). Modes are decided here, 0755 or 0644, and set after chown,
 * never carried over: a setuid bit or group write in the source never
 * reaches root's copy.
 */
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import {
  chmod,
  chown,
  lchown,
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  symlink,
} from 'node:fs/promises';
import path from 'node:path';

/** How a tree is copied. */
export interface CopyOptions {
  /** Keep links whose target lies inside the top folder copied (as links, made relative). */
  keepInternalLinks?: boolean;
  /** Whose files may be copied besides world-readable ones: root must not publish what only root can read. */
  ownerUid: number;
  /** Leaves out entries for which this returns false. */
  filter?: (source: string) => boolean;
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Copies one regular file through one descriptor, so what was checked is what is copied. */
async function copyFileAsRoot(source: string, dest: string, options: CopyOptions): Promise<void> {
  const input = await open(source, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await input.stat();
    if (!info.isFile())
      throw new Error(`${source} is neither a regular file nor a folder; refusing to install it`);
    // Root reads what the owner names: copy only what the owner could read anyway.
    if (info.uid !== options.ownerUid && (info.mode & 0o004) === 0) {
      throw new Error(
        `${source} is neither the owner's nor readable by everyone; refusing to copy it`,
      );
    }
    const mode = (info.mode & 0o100) !== 0 ? 0o755 : 0o644;
    const output = await open(dest, 'wx', 0o600);
    try {
      await output.writeFile(await input.readFile());
      await output.chown(0, 0);
      await output.chmod(mode);
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

async function makeFolder(dest: string): Promise<void> {
  await mkdir(dest, { mode: 0o700 });
  await chown(dest, 0, 0);
  await chmod(dest, 0o755);
}

/**
 * Copies `source` (a file or folder) to `dest`, which must not exist,
 * as root's own. Throws on anything that is neither a regular file nor a
 * folder, and on a link that loops.
 */
export async function copyTreeAsRoot(
  source: string,
  dest: string,
  options: CopyOptions,
): Promise<void> {
  const top = await realpath(source);
  const walk = async (from: string, to: string, ancestors: readonly string[]): Promise<void> => {
    if (options.filter && !options.filter(from)) return;
    let info: Stats = await lstat(from);
    let real = from;
    if (info.isSymbolicLink()) {
      real = await realpath(from);
      if (options.keepInternalLinks && inside(top, real) && inside(top, path.dirname(from))) {
        const target = path.relative(path.dirname(to), path.join(dest, path.relative(top, real)));
        await symlink(target, to);
        await lchown(to, 0, 0);
        return;
      }
      info = await lstat(real);
    }
    if (info.isDirectory()) {
      const realDir = await realpath(real);
      if (ancestors.includes(realDir)) throw new Error(`${from} links back to a folder above it`);
      await makeFolder(to);
      for (const name of (await readdir(real)).sort()) {
        await walk(path.join(from, name), path.join(to, name), [...ancestors, realDir]);
      }
      return;
    }
    if (!info.isFile()) {
      throw new Error(`${from} is neither a regular file nor a folder; refusing to install it`);
    }
    await copyFileAsRoot(real, to, options);
  };
  await walk(source, dest, []);
}

/** One thing wrong with an installed tree. */
function entryProblem(entry: string, info: Stats): string | null {
  if (info.uid !== 0) return `${entry} belongs to uid ${info.uid}, not root`;
  if (info.isSymbolicLink()) return null;
  if (!info.isFile() && !info.isDirectory())
    return `${entry} is neither a regular file nor a folder`;
  if ((info.mode & 0o022) !== 0) return `${entry} is writable by group or others`;
  if ((info.mode & 0o6000) !== 0) return `${entry} has the setuid or setgid bit`;
  return null;
}

/**
 * Throws, listing what is wrong, unless every entry under `dir` is root's:
 * owned by root, writable by nobody else, no setuid or setgid bit, only
 * regular files and folders, and links only to places inside `dir`.
 */
export async function verifyTreeIsRoots(dir: string): Promise<void> {
  const problems: string[] = [];
  const top = await realpath(dir);
  const walk = async (entry: string): Promise<void> => {
    const info = await lstat(entry);
    const problem = entryProblem(entry, info);
    if (problem) problems.push(problem);
    if (info.isSymbolicLink()) {
      const real = await realpath(entry).catch(() => null);
      if (real === null || !inside(top, real)) problems.push(`${entry} links outside ${dir}`);
    } else if (info.isDirectory()) {
      for (const name of await readdir(entry)) await walk(path.join(entry, name));
    }
  };
  await walk(top);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new Error(`the installed copy is not root's alone: ${shown}${more}`);
  }
}
