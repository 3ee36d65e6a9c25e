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
/** Past this many changed paths in one folder, its next copy is of the whole folder. */
const MAX_LISTED = 5000;
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
  /** Per folder, the paths (relative, `/`-separated) changed since its last copy. */
  private readonly changed = new Map<string, Set<string>>();
  /** Folders whose next copy is of everything: at the start, after a failure, after too many changes. */
  private readonly whole = new Set<string>();
  private readonly running = new Set<string>();
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private ready = false;
  private writing: Promise<void> = Promise.resolve();

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
    const ready: Promise<unknown>[] = [];
    for (const folder of this.plan.folders) {
      const ignored = await ignoreFor(folder);
      const w = watch(folder.local, { ignoreInitial: true, ignored, persistent: true });
      w.on('all', (_event, path) => this.changedPath(folder, path));
      w.on('error', (e) => this.fail(folder.name, `watching ${folder.local}: ${String(e)}`));
      ready.push(new Promise<void>((r) => w.once('ready', () => r())));
      this.watchers.push(w);
    }
    // A save before the first scan ends would be missed: `up` returns only once this is set.
    await Promise.all(ready);
    // Whatever changed between `up`'s copy and the watch starting.
    for (const f of this.plan.folders) {
      this.whole.add(f.name);
      this.schedule(f.name);
    }
    this.ready = true;
    await this.persist();
  }

  private changedPath(folder: SyncFolder, path: string): void {
    const rel = relative(folder.local, path).split(sep).join('/');
    const paths = this.changed.get(folder.name) ?? new Set<string>();
    this.changed.set(folder.name, paths);
    if (!rel || rel.startsWith('..') || paths.size >= MAX_LISTED) {
      this.whole.add(folder.name);
      paths.clear();
    } else paths.add(rel);
    this.schedule(folder.name);
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
    const whole = this.whole.delete(name);
    const files = [...(this.changed.get(name) ?? [])];
    this.changed.delete(name);
    // Not waited for: the state file is written (and flushed) while rsync runs.
    void this.set(name, { state: 'syncing', reason: undefined });
    try {
      const session = await this.connection();
      // `up` made the remote folders; a whole copy makes a deleted one again.
      if (whole) await syncFolder(folder, this.plan.target, session, { createRemote: true });
      // Even after a whole copy: it skips a file of the same size saved in the same second.
      if (files.length)
        await syncFolder(folder, this.plan.target, session, { createRemote: false, files });
      // A change during the copy is in `changed` again: the next run sends it.
      if (!this.dirty.has(name))
        await this.set(name, { state: 'in-sync', syncedAt: new Date().toISOString() });
    } catch (e) {
      // Everything again once the connection is back (the remote folder may be gone too).
      this.whole.add(name);
      const again = this.changed.get(name) ?? new Set<string>();
      for (const f of files) if (again.size < MAX_LISTED) again.add(f);
      this.changed.set(name, again);
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

  /** Writes the state as it is now, after the writes before it (so the last state is what stays). */
  private persist(): Promise<void> {
    const state: SyncStateFile = structuredClone({
      pid: process.pid,
      host: describeTarget(this.plan.target),
      ready: this.ready,
      folders: [...this.status.values()],
    });
    this.writing = this.writing.then(() =>
      writeState(this.paths.state, state).catch(() => undefined),
    );
    return this.writing;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.connecting?.catch(() => undefined);
    await this.session?.close();
    // A state written after `stop` cleared it would say a stopped sync is running.
    await this.writing;
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
