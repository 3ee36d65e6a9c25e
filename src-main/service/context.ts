/**
 * The ports every use case runs over, and the context built from them once.
 * The real ports come from `openDusty` (index.ts); unit tests inject fakes.
 */
import type Docker from 'dockerode';
import type { PlatformFacts } from '../engine/compiler/index.js';
import type { RemoteEndpoint } from '../engine/remote/doctor.js';
import { OpLock, type FrontDoor } from '../engine/ops-lock/index.js';
import { Project } from '../engine/project.js';
import type { RepoInfo } from '../engine/repos/repos.js';
import type { HostsOutcome } from '../engine/runtime/up.js';
import type { StateStore } from '../engine/state/store.js';
import type { HelperClient } from '../platform/helper-client.js';

/** Where the engine runs (the configured `vm_provider`): what `up` and doctor need of it. */
export interface ProviderPort {
  facts(): Promise<PlatformFacts>;
  /** The engine's host when it is remote (ssh target, and the copies' folder there). */
  remote?(): RemoteEndpoint | undefined;
  /** Makes the engine answer, starting it or its VM. */
  ensureEngine(docker: Docker): Promise<void>;
  /** Says which repo folders the engine's VM does not share; undefined when all are. */
  unsharedMessage(repos: RepoInfo[]): string | undefined;
  /** Exports repo folders where the provider mounts them over NFS; a warning when it cannot. */
  exportRepos(repos: RepoInfo[]): Promise<string | undefined>;
}

/** The privileged helper, as far as use cases talk to it. */
export type HelperPort = Pick<HelperClient, 'available' | 'call'>;

/**
 * The front door the use cases run for, and how its state-changing
 * operations wait for the one operation lock. The CLI sets `wait` (--no-wait)
 * and `signal` (Ctrl-C) per command.
 */
export interface DoorPolicy {
  name: FrontDoor;
  /** False: fail at once with `busy` when another operation holds the lock. */
  wait?: boolean | undefined;
  /** Aborting it stops the running operation at its next safe point. */
  signal?: AbortSignal | undefined;
  /** Tells the person whom the operation waits for. */
  onWait?: ((message: string) => void) | undefined;
}

export interface ServicePorts {
  /** Per-user state (DUSTY_HOME). */
  store: StateStore;
  /** The Docker engine. */
  docker: Docker;
  helper: HelperPort;
  /** The configured provider, resolved once on first use. */
  provider: () => Promise<ProviderPort>;
  /** Writes Dusty's section of the hosts file by the best means available. */
  applyHosts: (entries: { ip: string; hostname: string }[]) => Promise<HostsOutcome>;
  /** The hosts file Dusty writes; `custom` when DUSTY_HOSTS_FILE chose it. */
  hostsFile: { path: string; custom: boolean };
  /** The helper's audit log, for `dump`. */
  auditLog: string;
  version: string;
  door: DoorPolicy;
}

/** What each use case receives: the ports, the project built over them and the operation lock. */
export interface ServiceContext extends ServicePorts {
  project: Project;
  lock: OpLock;
}

export function createContext(ports: ServicePorts): ServiceContext {
  return {
    ...ports,
    project: new Project(ports.store, async () => (await ports.provider()).facts()),
    lock: new OpLock(ports.store.home),
  };
}
