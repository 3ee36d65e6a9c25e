/**
 * Starting and stopping the detached sync process, and the first full copy
 * `up` makes itself (so its errors stop `up` before any container starts).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { SyncPlan } from './sync.js';
import { readJson } from '../state/files.js';
import {
  clearSyncFiles,
  livePid,
  writePlan,
  type SyncPaths,
  type SyncStateFile,
} from './sync-state.js';

const MAIN = fileURLToPath(new URL('./sync-main.js', import.meta.url));

/** True when `pid` runs Dusty's sync process (not some process that reused the number). */
async function isSyncProcess(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  // Without /proc (macOS) the pid file is all there is to go on.
  return cmdline === undefined || cmdline.includes('sync-main');
}

/** Stops the project's sync process, if one runs, and forgets its state. */
export async function stopSync(paths: SyncPaths): Promise<boolean> {
  const pid = await livePid(paths.pid);
  let stopped = false;
  if (pid && (await isSyncProcess(pid))) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await livePid(paths.pid)) === pid) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // Its process group: the process and whatever it started (its ssh connection, an rsync).
    for (const target of [-pid, pid])
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone, as it should be
      }
    stopped = true;
  }
  await clearSyncFiles(paths);
  return stopped;
}

/** Whether the sync process watches every folder (set once its first scan ended). */
async function watching(paths: SyncPaths): Promise<boolean> {
  const state = await readJson<SyncStateFile | null>(paths.state, null).catch(() => null);
  return state?.ready === true;
}

/** Starts the detached sync process for a plan (stopping an older one); waits until it watches every folder. */
export async function startSync(paths: SyncPaths, home: string, project: string, plan: SyncPlan) {
  await stopSync(paths);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await writePlan(paths.plan, plan);
  const log = await open(paths.log, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [MAIN, home, project], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      // Under Electron, execPath is the app: make it behave as Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.unref();
    // Watching starts with a scan of every folder: a big repo on a busy machine takes a while.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if ((await livePid(paths.pid)) === child.pid && (await watching(paths))) return child.pid;
      if (child.exitCode !== null || child.signalCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Not left running behind an `up` that failed.
    if (child.exitCode === null) child.kill('SIGKILL');
    const tail = (await readFile(paths.log, 'utf8').catch(() => '')).trim().split('\n').slice(-3);
    throw new Error(
      `the sync process did not start (see ${paths.log}): ${tail.join(' ') || 'no output'}`,
    );
  } finally {
    await log.close();
  }
}
