/**
 * What `up` does for a remote engine: copy the code and Dusty's files the
 * containers mount to the engine's host before any container starts, then
 * leave a sync process watching. A lost connection stops `up` with the host
 * and the failed command named; the copies are idempotent, so `up` again
 * resumes where it stopped.
 */
import { existsSync } from 'node:fs';
import { describeTarget, runSshChecked, SshSession, type SshTarget } from '../../platform/ssh.js';
import { projectName } from '../docker/compose-runner.js';
import { tlsPaths } from '../tls/paths.js';
import type { CompiledProject } from '../project.js';
import type { StateStore } from '../state/store.js';
import { planFolders, syncFolder, type SyncFolder, type SyncPlan } from './sync.js';
import { startSync, stopSync } from './sync-control.js';
import { readSyncStatus, syncPaths, type FolderStatus } from './sync-state.js';

export const syncPathsOf = (store: StateStore) => syncPaths(store.home, projectName());

/** Each synced folder's state, or undefined when this environment does not sync. */
export function syncStatus(store: StateStore): Promise<FolderStatus[] | undefined> {
  return readSyncStatus(syncPathsOf(store));
}

/** Ends the watcher (`stop`); `up` starts it again. */
export function stopCodeSync(store: StateStore): Promise<boolean> {
  return stopSync(syncPathsOf(store));
}

export class RemoteCopy {
  private constructor(
    private readonly store: StateStore,
    private readonly plan: SyncPlan,
    private readonly session: SshSession,
  ) {}

  get host(): string {
    return describeTarget(this.plan.target);
  }

  /** Stops the old watcher (it would race the copy) and connects once for the whole `up`. */
  static async open(
    store: StateStore,
    compiled: CompiledProject,
    remote: { target: SshTarget; root: string },
  ): Promise<RemoteCopy> {
    await stopCodeSync(store);
    const plan: SyncPlan = {
      target: remote.target,
      root: remote.root,
      folders: planFolders(remote.root, compiled.repos, store.assetsDir),
    };
    return new RemoteCopy(store, plan, await SshSession.open(remote.target));
  }

  /** Copies each repo in use and the assets, three at a time. */
  async copyCode(onFolder: (f: SyncFolder) => void): Promise<void> {
    const queue = [...this.plan.folders];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        await syncFolder(f, this.plan.target, this.session);
        onFolder(f);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  /** Copies the compiled files (the router's config) and makes the folders containers write to. */
  async copyCompiled(containers: string[]): Promise<void> {
    const { root, target } = this.plan;
    const compiled: SyncFolder = {
      name: 'compiled',
      kind: 'state',
      local: this.store.compiledDir,
      remote: `${root}/compiled`,
    };
    await syncFolder(compiled, target, this.session);
    // The router's certificate and key (never the CA's key, which stays in tls/).
    const routerTls = tlsPaths(this.store.home).routerDir;
    if (existsSync(routerTls))
      await syncFolder(
        { name: 'router-tls', kind: 'state', local: routerTls, remote: `${root}/tls/router` },
        target,
        this.session,
      );
    await runSshChecked(
      target,
      ['mkdir', '-p', `${root}/persist`, ...containers.map((c) => `${root}/cp/${c}`)],
      { session: this.session, timeoutMs: 60_000 },
    );
  }

  /** Hands over to the detached watcher. */
  async startWatching(): Promise<void> {
    await this.session.close();
    await startSync(syncPathsOf(this.store), this.store.home, projectName(), this.plan);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
