/**
 * The engine's side of the platform layer: which provider runs the engine
 * (config `vm_provider`), the facts the compiler needs from it, starting the
 * engine, and NFS exports of repos for providers that mount them over NFS.
 */
import type Docker from 'dockerode';
import { HelperClient } from '../platform/helper-client.js';
import { ExecRunner } from '../platform/command-runner.js';
import {
  createProvider,
  memoryOf,
  resolveProviderName,
  type Provider,
} from '../platform/providers.js';
import { colimaProfileOf } from '../platform/engine-kinds.js';
import { unsharedFolders } from '../platform/file-sharing.js';
import type { EngineEndpoint } from '../platform/docker-context.js';
import { engineDeps, forgetEngineFacts } from './docker/engine-info.js';
import type { PlatformFacts } from './compiler/index.js';
import type { RepoInfo } from './repos/repos.js';
import type { StateStore } from './state/store.js';
import { projectName } from './docker/compose-runner.js';
import { resolveRemoteRoot } from './remote/remote-root.js';
import type { RemoteEndpoint } from './remote/doctor.js';

export class Platform {
  private constructor(
    readonly provider: Provider,
    private readonly store: StateStore,
    private readonly helper: HelperClient,
    private readonly publishAddress: string,
    private readonly remoteDir = '',
    private readonly endpoint?: EngineEndpoint,
  ) {}

  /** The configured (or detected) provider for this person. */
  static async create(store: StateStore, helper = new HelperClient()): Promise<Platform> {
    const config = await store.config();
    // `auto` asks the docker CLI's engine what it is (cached a few seconds, so compile and up ask once).
    const deps = engineDeps({
      runner: new ExecRunner(),
      helper,
      isRoot: process.getuid?.() === 0,
      memoryMb: memoryOf(config.vm_memory_size),
    });
    const name = await resolveProviderName(config.vm_provider, deps);
    return new Platform(
      createProvider(name, deps),
      store,
      helper,
      config.publish_address,
      config.remote_dir,
      deps.endpoint,
    );
  }

  /**
   * The engine's host when it is remote: where ssh goes (known without
   * connecting) and the folder code is copied to (which may ask the host).
   */
  remote(): RemoteEndpoint | undefined {
    const target = this.provider.sshTarget?.();
    if (!target) return undefined;
    return {
      target,
      root: () => resolveRemoteRoot(this.store.home, target, this.remoteDir, projectName()),
    };
  }

  /** What the compiler needs to know about where the engine runs. */
  async facts(): Promise<PlatformFacts> {
    const p = this.provider;
    const engineAddress = await p.engineAddress();
    const remote = this.remote();
    if (remote) {
      const { target } = remote;
      // Everything the containers mount is a copy under one folder on the engine's host.
      const root = await remote.root();
      return {
        engineAddress,
        // The router listens on the address the host names point at, which the laptop reaches.
        publishAddress: this.publishAddress || engineAddress,
        dustyDir: root,
        persistDir: `${root}/persist`,
        repoMount: { type: 'bind' },
        remote: { target, root },
      };
    }
    const native = p.name === 'native';
    return {
      engineAddress,
      // Natively the router listens on loopback only: a dev stack is not for the network.
      publishAddress: this.publishAddress || (native ? '127.0.0.1' : undefined),
      dustyDir: this.store.home,
      // boot2docker keeps /persist on its persistent disk, as the original Dusty relied on.
      persistDir: p.name === 'docker-machine' ? '/persist' : this.store.persistDir,
      repoMount:
        p.mountMode === 'nfs' && p.nfsServerAddress
          ? { type: 'nfs', server: await p.nfsServerAddress() }
          : { type: 'bind' },
    };
  }

  /** Makes sure the engine answers; a quick ping first, since that is the common case. */
  async ensureEngine(docker: Docker): Promise<void> {
    const up = await docker.ping().then(
      () => true,
      () => false,
    );
    if (up) return;
    await this.provider.ensureEngine();
    forgetEngineFacts();
  }

  /**
   * Says which folders bind mounts need that the engine's VM does not share
   * (Docker Desktop's file sharing list, Colima's mounts), and how to share
   * each; undefined when every one is shared.
   */
  unsharedMessage(repos: RepoInfo[]): string | undefined {
    if (this.provider.mountMode !== 'bind') return undefined;
    const e = this.endpoint;
    const colimaProfile = e ? colimaProfileOf(e.context, e.host) : 'default';
    const paths = [...repos.map((r) => r.path), this.store.home];
    const missing = unsharedFolders(this.provider.name, paths, { colimaProfile });
    if (!missing.length) return undefined;
    return (
      'these folders are not shared with the engine, so containers would start on empty mounts; nothing was started:\n' +
      missing.map((m) => `  ${m.folder}: ${m.how}`).join('\n')
    );
  }

  /** Exports the repo folders to the VM through the helper, where repos are mounted over NFS. */
  async exportRepos(repos: RepoInfo[]): Promise<string | undefined> {
    const p = this.provider;
    if (p.mountMode !== 'nfs' || !p.nfsClientAddress) return undefined;
    const client = await p.nfsClientAddress();
    const paths = [...new Set(repos.map((r) => r.path))].sort();
    if (!(await this.helper.available()))
      return `repos are mounted over NFS, but the helper that edits /etc/exports is not installed: run \`dusty setup\` once (needed: ${paths.join(', ')} to ${client})`;
    await this.helper.call('exports.apply', { entries: paths.map((path) => ({ path, client })) });
    return undefined;
  }
}
