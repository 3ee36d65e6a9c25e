/**
 * The sync process's files in DUSTY_HOME/sync: its plan, pid, state and log,
 * one set per Compose project. The state file is how `status` and the
 * dashboard learn each folder's sync state without talking to the process.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pidAlive } from '../../platform/pid.js';
import { readJson, writeFileAtomic } from '../state/files.js';
import type { SyncPlan } from './sync.js';

export type FolderSyncState = 'in-sync' | 'syncing' | 'failed';

export interface FolderStatus {
  name: string;
  local: string;
  remote: string;
  state: FolderSyncState;
  /** Why the last copy failed, naming the host and the command. */
  reason?: string | undefined;
  /** When the folder was last found in sync (ISO time). */
  syncedAt?: string | undefined;
}

export interface SyncStateFile {
  pid: number;
  host: string;
  /** Set once every folder is watched: a save from then on is sent. */
  ready?: boolean;
  folders: FolderStatus[];
}

export interface SyncPaths {
  dir: string;
  plan: string;
  pid: string;
  state: string;
  log: string;
}

export function syncPaths(home: string, project: string): SyncPaths {
  const dir = join(home, 'sync');
  return {
    dir,
    plan: join(dir, `${project}.plan.json`),
    pid: join(dir, `${project}.pid`),
    state: join(dir, `${project}.state.json`),
    log: join(dir, `${project}.log`),
  };
}

export async function readPlan(path: string): Promise<SyncPlan> {
  const plan = await readJson<SyncPlan | null>(path, null);
  if (!plan?.target?.host || !Array.isArray(plan.folders))
    throw new Error(`${path} is not a sync plan; run \`dusty up\` again`);
  return plan;
}

export const writePlan = (path: string, plan: SyncPlan) =>
  writeFileAtomic(path, JSON.stringify(plan, null, 2) + '\n');

export const writeState = (path: string, state: SyncStateFile) =>
  writeFileAtomic(path, JSON.stringify(state, null, 2) + '\n', 0o644);

/** The pid in the pid file when that process is alive, else undefined. */
export async function livePid(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return pidAlive(pid) ? pid : undefined;
}

/** Per-folder sync state for `status` and the dashboard; undefined when no sync was set up. */
export async function readSyncStatus(paths: SyncPaths): Promise<FolderStatus[] | undefined> {
  const state = await readJson<SyncStateFile | null>(paths.state, null).catch(() => null);
  if (!state) return undefined;
  if (await livePid(paths.pid)) return state.folders;
  // The process is gone (killed, or the machine slept through a crash): say so rather than "in sync".
  return state.folders.map((f) => ({
    ...f,
    state: 'failed' as const,
    reason: 'the sync process is not running; `dusty up` starts it again',
  }));
}

export async function clearSyncFiles(paths: SyncPaths): Promise<void> {
  await Promise.all([paths.pid, paths.state].map((p) => rm(p, { force: true })));
}
