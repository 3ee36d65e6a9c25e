/**
 * Telling the NFS server to re-read its exports, where one runs.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRunner } from './command-runner.js';
import type { ProgramLookup, SystemProgram } from './system-programs.js';
import { trustedProgram } from './system-programs.js';
import { HELPER_DEFAULTS } from '../../src-shared/helper-protocol.js';

/** Whether the exports were reloaded, and the sentence saying why (not). */
export interface NfsReloadOutcome {
  reloaded: boolean;
  reloadDetail: string;
}

/** The I/O a reload needs. */
export interface NfsReloadDeps {
  runner: CommandRunner;
  platform?: NodeJS.Platform;
  /** Reads the kernel's nfsd thread count; null when nfsd is absent. */
  nfsdThreads?: () => Promise<number | null>;
  /** Finds exportfs or nfsd: null when absent, throws when present but untrusted. */
  findExecutable?: (name: SystemProgram) => string | null;
  programs?: ProgramLookup;
}

async function kernelNfsdThreads(): Promise<number | null> {
  try {
    const n = Number((await readFile('/proc/fs/nfsd/threads', 'utf8')).trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/**
 * Reloads the exports of the NFS server after `exportsFile` changed: on
 * Linux `exportfs -ra` when nfsd runs and the file is the one exportfs
 * reads; on macOS `nfsd checkexports` then `nfsd update`.
 */
export async function reloadNfsExports(
  exportsFile: string,
  deps: NfsReloadDeps,
): Promise<NfsReloadOutcome> {
  const platform = deps.platform ?? process.platform;
  const find =
    deps.findExecutable ?? ((name: SystemProgram) => trustedProgram(name, deps.programs));
  if (platform === 'darwin') {
    if (path.resolve(exportsFile) !== HELPER_DEFAULTS.exportsFile) {
      return { reloaded: false, reloadDetail: `nfsd reads /etc/exports, not ${exportsFile}` };
    }
    const nfsd = find('nfsd');
    if (!nfsd) return { reloaded: false, reloadDetail: 'nfsd is not installed' };
    const check = await deps.runner.run(nfsd, ['checkexports']);
    if (check.code !== 0) {
      return { reloaded: false, reloadDetail: `nfsd checkexports failed: ${check.stderr.trim()}` };
    }
    const update = await deps.runner.run(nfsd, ['update']);
    return update.code === 0
      ? { reloaded: true, reloadDetail: 'nfsd update re-read the exports' }
      : { reloaded: false, reloadDetail: `nfsd update failed: ${update.stderr.trim()}` };
  }
  if (path.resolve(exportsFile) !== HELPER_DEFAULTS.exportsFile) {
    return { reloaded: false, reloadDetail: `exportfs reads /etc/exports, not ${exportsFile}` };
  }
  const exportfs = find('exportfs');
  if (!exportfs)
    return { reloaded: false, reloadDetail: 'exportfs is not installed (no NFS server)' };
  const threads = await (deps.nfsdThreads ?? kernelNfsdThreads)();
  if (threads === null || threads <= 0) {
    return {
      reloaded: false,
      reloadDetail:
        'no NFS server runs here (the kernel nfsd has no threads); the file is ready for when one starts',
    };
  }
  const result = await deps.runner.run(exportfs, ['-ra']);
  return result.code === 0
    ? { reloaded: true, reloadDetail: 'exportfs -ra re-read the exports' }
    : { reloaded: false, reloadDetail: `exportfs -ra failed: ${result.stderr.trim()}` };
}
