/**
 * The sync process: one per project, detached from the command that started
 * it, so the environment keeps syncing after `dusty up` returns. It watches
 * each folder, sends each batch of changes with rsync over one shared ssh
 * connection, and writes each folder's state to the state file. A lost
 * connection marks the folders failed and is retried until it comes back.
 */
import { rm } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { describeTarget, SshSession } from '../../platform/ssh.js';
import { writeFileAtomic } from '../state/files.js';
import { gitIgnored, syncFolder, type SyncFolder, type SyncPlan } from './sync.js';
import {
  readPlan,
  writeState,
  type FolderStatus,
  type SyncPaths,
  type SyncStateFile,
} from './sync-state.js';

/** Changes closer together than this go in one rsync run. */
const BATCH_MS = 25;
/** A failed copy is tried again after this long. */
const RETRY_MS = 2000;

/** Ignores `.git` and the folders git ignored when the watch started (watching node_modules costs). */
async function ignoreFor(folder: SyncFolder): Promise<(path: string) => boolean> {
  const ignoredDirs = new Set(
    (await gitIgnored(folder.local).catch(() => []))
      .filter((p) => p.endsWith('/'))
      .map((p) => p.replace(/\/+$/, '')),
  );
  return (path: string) => {
    const rel = relative(folder.local, path);
    if (!rel || rel.startsWith('..')) return false;
    const parts = rel.split(sep);
    if (parts.includes('.git')) return true;
    for (let i = 1; i <= parts.length; i++)
      if (ignoredDirs.has(parts.slice(0, i).join('/'))) return true;
    return false;
  };
}

class SyncDaemon {
  private session: SshSession | undefined;
  private connecting: Promise<SshSession> | undefined;
  private readonly status = new Map<string, FolderStatus>();
  private readonly dirty = new Set<string>();
  private readonly synced = new Set<string>();
  private readonly running = new Set<string>();
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly plan: SyncPlan,
    private readonly paths: SyncPaths,
  ) {
    for (const f of plan.folders)
      this.status.set(f.name, { name: f.name, local: f.local, remote: f.remote, state: 'syncing' });
  }

  async start(): Promise<void> {
    await writeFileAtomic(this.paths.pid, String(process.pid), 0o644);
    await this.persist();
    for (const folder of this.plan.folders) {
      const ignored = await ignoreFor(folder);
      const w = watch(folder.local, { ignoreInitial: true, ignored, persistent: true });
      w.on('all', () => this.schedule(folder.name));
      w.on('error', (e) => this.fail(folder.name, `watching ${folder.local}: ${String(e)}`));
      this.watchers.push(w);
    }
    // Whatever changed between `up`'s copy and the watch starting.
    for (const f of this.plan.folders) this.schedule(f.name);
  }

  private schedule(name: string): void {
    if (this.stopping) return;
    this.dirty.add(name);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      for (const n of [...this.dirty]) if (!this.running.has(n)) void this.run(n);
    }, BATCH_MS);
  }

  /** The shared connection; folders syncing at once wait for the same one rather than each opening their own. */
  private connection(): Promise<SshSession> {
    if (this.session?.alive()) return Promise.resolve(this.session);
    this.connecting ??= (async () => {
      try {
        await this.session?.close();
        this.session = undefined;
        this.session = await SshSession.open(this.plan.target);
        return this.session;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private async run(name: string): Promise<void> {
    const folder = this.plan.folders.find((f) => f.name === name)!;
    this.dirty.delete(name);
    this.running.add(name);
    await this.set(name, { state: 'syncing', reason: undefined });
    try {
      // `up` made the folders; a deleted one is made again on the retry.
      await syncFolder(folder, this.plan.target, await this.connection(), !this.synced.has(name));
      this.synced.add(name);
      // A change during the copy may have been missed by it: the next run picks it up.
      if (!this.dirty.has(name))
        await this.set(name, { state: 'in-sync', syncedAt: new Date().toISOString() });
    } catch (e) {
      this.synced.delete(name);
      this.fail(name, (e as Error).message);
      setTimeout(() => this.schedule(name), RETRY_MS).unref();
    } finally {
      this.running.delete(name);
      if (this.dirty.has(name)) this.schedule(name);
    }
  }

  private fail(name: string, reason: string): void {
    void this.set(name, { state: 'failed', reason });
  }

  private async set(name: string, patch: Partial<FolderStatus>): Promise<void> {
    if (this.stopping) return;
    Object.assign(this.status.get(name)!, patch);
    await this.persist();
  }

  private persist(): Promise<void> {
    const state: SyncStateFile = {
      pid: process.pid,
      host: describeTarget(this.plan.target),
      folders: [...this.status.values()],
    };
    return writeState(this.paths.state, state).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.connecting?.catch(() => undefined);
    await this.session?.close();
    await rm(this.paths.pid, { force: true });
  }
}

/** Runs until SIGTERM or SIGINT. */
export async function runSyncDaemon(paths: SyncPaths): Promise<void> {
  const plan = await readPlan(paths.plan);
  const daemon = new SyncDaemon(plan, paths);
  const stop = () => {
    void daemon.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined);
  await daemon.start();
}
