/**
 * Whether root may trust a path: every folder from it up to `/` is owned by
 * root and writable by nobody else (a root-owned folder with the sticky bit,
 * such as /tmp, counts as safe: others cannot rename what is not theirs).
 * A folder somebody else can write lets them swap what root reads or runs.
 */
import type { Stats } from 'node:fs';
import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** Who besides root may own a trusted folder (the tests' non-root helper owns its temp folders). */
export interface TrustOptions {
  /** Uids accepted as owners besides root. */
  owners?: readonly number[];
}

/** Why `info` (of `where`) is not a folder root can trust, or null. */
function folderProblem(where: string, info: Stats, owners: readonly number[]): string | null {
  if (!info.isDirectory()) return `${where} is not a folder`;
  if (info.uid !== 0 && !owners.includes(info.uid)) {
    return `${where} belongs to uid ${info.uid}, not root`;
  }
  const othersWrite = (info.mode & 0o022) !== 0;
  const sticky = (info.mode & 0o1000) !== 0;
  if (othersWrite && !(sticky && info.uid === 0)) {
    return `${where} is writable by group or others (mode ${(info.mode & 0o7777).toString(8)})`;
  }
  return null;
}

/**
 * Throws, naming the first folder at fault, unless `dir` (resolved through
 * any links, which must themselves lie in trusted folders) and every folder
 * above it are trusted.
 */
export function checkTrustedFolders(dir: string, options: TrustOptions = {}): void {
  const owners = options.owners ?? [];
  const seen = new Set<string>();
  const walk = (start: string) => {
    for (let at = path.resolve(start); ; at = path.dirname(at)) {
      if (seen.has(at)) return;
      seen.add(at);
      const info = lstatSync(at);
      if (info.isSymbolicLink()) {
        // The link's folder is checked on the way up; its target gets a walk of its own.
        walk(realpathSync(at));
      } else {
        const problem = folderProblem(at, info, owners);
        if (problem) throw new Error(`${problem}; root must not trust what is under it`);
      }
      if (at === path.dirname(at)) return;
    }
  };
  walk(dir);
}

/**
 * Throws unless `file` is a regular file owned by root, writable by nobody
 * else, without setuid or setgid, in trusted folders; returns its real path.
 */
export function checkTrustedFile(file: string, options: TrustOptions = {}): string {
  const real = realpathSync(file);
  checkTrustedFolders(path.dirname(file), options);
  checkTrustedFolders(path.dirname(real), options);
  const info = lstatSync(real);
  const owners = options.owners ?? [];
  if (!info.isFile()) throw new Error(`${file} is not a regular file`);
  if (info.uid !== 0 && !owners.includes(info.uid)) {
    throw new Error(`${file} belongs to uid ${info.uid}, not root`);
  }
  if ((info.mode & 0o022) !== 0) {
    throw new Error(
      `${file} is writable by group or others (mode ${(info.mode & 0o7777).toString(8)})`,
    );
  }
  return real;
}
