/**
 * The one rule for a `specs_repo` value, shared by `dusty config set`, the
 * import of an original install and the project that reads it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';

/**
 * A path (./x, /x, ~/x, or a folder that exists) is a local specs repo, made
 * absolute; anything else is a git URL Dusty clones, returned as it is.
 */
export function normalizeSpecsRepo(value: string, cwd = process.cwd()): string {
  if (!value) return value;
  if (/^[./~]/.test(value) || existsSync(resolve(cwd, value)))
    return resolve(cwd, value.replace(/^~(?=\/|$)/, homedir()));
  return value;
}
