/**
 * What kind of Docker engine an endpoint is: Docker Desktop, OrbStack,
 * Rancher Desktop, Podman, Colima, a docker-machine VM, a remote host, or the
 * machine's own engine. Told first by the engine itself (`docker info`: its
 * operating system, name and labels; `docker version`'s components), then by
 * its socket path and context name, which is all there is when it is stopped.
 * Each kind knows how it is started, where published ports appear and how
 * code reaches its containers. Pure: the caller does the I/O.
 */

import type { EngineKind } from '../../src-shared/config.js';

/** The fields of `docker info` (and `docker version`'s component names) detection reads. */
export interface EngineFacts {
  OperatingSystem?: string;
  Name?: string;
  Labels?: string[] | null;
  ServerVersion?: string;
  /** `docker version`'s Components[].Name, e.g. `Engine` or `Podman Engine`. */
  Components?: string[];
}

export interface DetectInput {
  /** The endpoint URL (unix://, tcp://, ssh://). */
  host: string;
  /** The docker context's name. */
  context: string;
  /** What the engine says about itself; absent when it does not answer. */
  facts?: EngineFacts | undefined;
  platform: NodeJS.Platform;
  /** Which engine apps and commands are installed, for a stopped engine with no other hint (macOS). */
  installed?: Partial<Record<EngineKind, boolean>>;
}

function fromFacts(f: EngineFacts): EngineKind | undefined {
  const os = f.OperatingSystem ?? '';
  const name = f.Name ?? '';
  const labels = f.Labels ?? [];
  if (os === 'Docker Desktop' || name === 'docker-desktop') return 'docker-desktop';
  if (labels.some((l) => l.startsWith('com.docker.desktop.'))) return 'docker-desktop';
  if (os === 'OrbStack' || name === 'orbstack') return 'orbstack';
  if (name === 'lima-rancher-desktop' || /Rancher Desktop/i.test(os)) return 'rancher-desktop';
  if ((f.Components ?? []).some((c) => /podman/i.test(c))) return 'podman';
  // docker-machine labels the engine with its driver; boot2docker names itself.
  if (labels.some((l) => l.startsWith('provider=')) || /^Boot2Docker/i.test(os))
    return 'docker-machine';
  if (name === 'colima' || name.startsWith('colima-')) return 'colima';
  return undefined;
}

/** The socket's path, for unix:// endpoints. */
function socketPath(host: string): string | undefined {
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

function fromSocket(path: string): EngineKind | undefined {
  if (path.includes('/.orbstack/')) return 'orbstack';
  if (path.includes('/.colima/') || path.includes('/colima/')) return 'colima';
  if (path.includes('/.rd/')) return 'rancher-desktop';
  if (/podman/i.test(path)) return 'podman';
  if (/\/\.docker\/(run|desktop)\/docker(-cli)?\.sock$/.test(path)) return 'docker-desktop';
  return undefined;
}

function fromContext(context: string): EngineKind | undefined {
  if (context === 'desktop-linux' || context === 'desktop-windows') return 'docker-desktop';
  if (context === 'orbstack') return 'orbstack';
  if (context === 'rancher-desktop') return 'rancher-desktop';
  if (context === 'colima' || context.startsWith('colima-')) return 'colima';
  if (context.startsWith('podman')) return 'podman';
  return undefined;
}

/** True for a tcp:// or ssh:// endpoint on another machine (not loopback). */
export function isRemoteHost(host: string): boolean {
  if (!/^(tcp|ssh|https?):\/\//.test(host)) return false;
  try {
    const name = new URL(host).hostname.replace(/^\[(.*)\]$/, '$1');
    return !(name === 'localhost' || name === '::1' || /^127\./.test(name));
  } catch {
    return true;
  }
}

/** The kind of engine an endpoint is; see the module comment for the order of evidence. */
export function detectEngineKind(input: DetectInput): EngineKind {
  const byFacts = input.facts && fromFacts(input.facts);
  if (byFacts) return byFacts;
  const path = socketPath(input.host);
  const byPath = path ? fromSocket(path) : undefined;
  if (byPath) return byPath;
  const byContext = fromContext(input.context);
  if (byContext) return byContext;
  if (isRemoteHost(input.host)) return 'remote';
  if (input.platform === 'linux' || input.platform === 'win32') return 'native';
  // macOS: /var/run/docker.sock belongs to whichever desktop engine is installed.
  const installed = input.installed ?? {};
  const order: EngineKind[] = ['docker-desktop', 'orbstack', 'rancher-desktop', 'colima', 'podman'];
  return order.find((k) => installed[k]) ?? 'docker-desktop';
}

/** A command that starts an engine, as an argument vector. */
export interface StartCommand {
  command: string;
  args: string[];
}

/** How a kind of engine behaves, as Dusty needs to know it. */
export interface EngineTraits {
  label: string;
  /** Where published ports appear: loopback, or the VM's / remote host's own address. */
  ports: 'loopback' | 'vm' | 'remote-host';
  /** How repos reach containers. */
  mounts: 'bind' | 'nfs';
  /** Why, in a sentence, for doctor and status. */
  mountsWhy: string;
  /** True for engines in an app or VM that Dusty may start itself (not remote ones). */
  startable: boolean;
}

export const ENGINE_TRAITS: Record<EngineKind, EngineTraits> = {
  'docker-desktop': {
    label: 'Docker Desktop',
    ports: 'loopback',
    mounts: 'bind',
    mountsWhy: "bind mounts, through Docker Desktop's file sharing",
    startable: true,
  },
  orbstack: {
    label: 'OrbStack',
    ports: 'loopback',
    mounts: 'bind',
    mountsWhy: 'bind mounts; OrbStack shares every macOS folder',
    startable: true,
  },
  'rancher-desktop': {
    label: 'Rancher Desktop',
    ports: 'loopback',
    mounts: 'bind',
    mountsWhy: "bind mounts, through Rancher Desktop's Lima mounts (your home folder)",
    startable: true,
  },
  podman: {
    label: 'Podman',
    ports: 'loopback',
    mounts: 'bind',
    mountsWhy: "bind mounts, through the Podman machine's volumes (your home folder)",
    startable: true,
  },
  colima: {
    label: 'Colima',
    ports: 'loopback',
    mounts: 'bind',
    mountsWhy: "bind mounts, through Colima's virtiofs/sshfs mounts (colima.yaml `mounts`)",
    startable: true,
  },
  'docker-machine': {
    label: 'docker-machine VM',
    ports: 'vm',
    mounts: 'nfs',
    mountsWhy:
      "NFS from this machine: a VirtualBox VM sees only /Users, through shared folders too slow for code, and the original Dusty's VMs expect NFS",
    startable: true,
  },
  remote: {
    label: 'remote engine',
    ports: 'remote-host',
    mounts: 'bind',
    mountsWhy:
      "copies synced to the engine's host (rsync over ssh) and bind-mounted there: a remote engine cannot see this machine's folders",
    startable: false,
  },
  native: {
    label: 'native Linux engine',
    ports: 'loopback',
    mounts: 'bind',
    mountsWhy: 'bind mounts: the engine runs on this machine',
    startable: true,
  },
};

/** What a start command needs to know beyond the kind. */
export interface StartOptions {
  platform: NodeJS.Platform;
  colimaProfile?: string;
  machineName?: string;
  /** Config `vm_memory_size`: memory in MB for the VM; undefined leaves the tool's own setting. */
  memoryMb?: number | undefined;
}

/** Colima and Rancher Desktop take whole GiB; rounded up, so the VM never gets less than asked. */
const gib = (mb: number) => String(Math.max(1, Math.ceil(mb / 1024)));

/**
 * The command that starts a stopped engine of this kind, or undefined when
 * Dusty starts it otherwise (the helper's engine.start for a native engine)
 * or cannot (a remote engine). Colima and Rancher Desktop resize their VM
 * from flags on start; see {@link memoryCommand} for the others.
 */
export function startCommand(kind: EngineKind, opts: StartOptions): StartCommand | undefined {
  const mac = opts.platform === 'darwin';
  const mem = opts.memoryMb;
  switch (kind) {
    case 'docker-desktop':
      return mac
        ? { command: 'open', args: ['-a', 'Docker'] }
        : { command: 'systemctl', args: ['--user', 'start', 'docker-desktop'] };
    case 'orbstack':
      return { command: 'orb', args: ['start'] };
    case 'rancher-desktop':
      return {
        command: 'rdctl',
        args: ['start', ...(mem ? ['--virtual-machine.memory-in-gb', gib(mem)] : [])],
      };
    case 'podman':
      return mac
        ? { command: 'podman', args: ['machine', 'start'] }
        : { command: 'systemctl', args: ['--user', 'start', 'podman.socket'] };
    case 'colima':
      return {
        command: 'colima',
        args: [
          'start',
          '--profile',
          opts.colimaProfile ?? 'default',
          ...(mem ? ['--memory', gib(mem)] : []),
        ],
      };
    case 'docker-machine':
      return { command: 'docker-machine', args: ['start', opts.machineName ?? 'dusty'] };
    case 'native':
    case 'remote':
      return undefined;
  }
}

/**
 * The command that sets a stopped VM's memory before it is started, for the
 * tools whose start command cannot (the original Dusty resized its VirtualBox
 * VM this way on every start); undefined when no memory is configured, the
 * start command carries it, or the engine has no VM Dusty may size (Docker
 * Desktop keeps it in its own settings; native and remote have none).
 */
export function memoryCommand(kind: EngineKind, opts: StartOptions): StartCommand | undefined {
  const mem = opts.memoryMb;
  if (!mem) return undefined;
  switch (kind) {
    case 'docker-machine':
      return {
        command: 'VBoxManage',
        args: ['modifyvm', opts.machineName ?? 'dusty', '--memory', String(mem)],
      };
    case 'orbstack':
      return { command: 'orb', args: ['config', 'set', 'memory_mib', String(mem)] };
    case 'podman':
      return opts.platform === 'darwin'
        ? { command: 'podman', args: ['machine', 'set', '--memory', String(mem)] }
        : undefined;
    default:
      return undefined;
  }
}

/** The Colima profile a context or socket names (`colima-work` → `work`), default `default`. */
export function colimaProfileOf(context: string, host: string): string {
  const m = /^colima-(.+)$/.exec(context) ?? /\/\.colima\/([^/]+)\/docker\.sock$/.exec(host);
  return m?.[1] ?? 'default';
}
