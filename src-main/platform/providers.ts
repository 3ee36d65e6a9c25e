/**
 * Where the Docker engine runs and how Dusty reaches it, chosen by the config
 * key `vm_provider`: one provider per engine kind (see ./engine-kinds.ts).
 * `auto` follows the engine the docker CLI would use (DOCKER_HOST, else the
 * Docker context); a named provider wins over that. All I/O comes in through
 * {@link ProviderDeps}, so tests can script the engine commands.
 */
import { existsSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import type { HelperClient } from './helper-client.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dockerEnv, resolveEndpoint, type EngineEndpoint } from './docker-context.js';
import type { CommandRunner } from './command-runner.js';
import { ENGINE_KINDS, type EngineKind } from '../../src-shared/config.js';
import {
  ENGINE_TRAITS,
  colimaProfileOf,
  detectEngineKind,
  memoryCommand,
  startCommand,
  type EngineFacts,
} from './engine-kinds.js';
import { startNativeEngine } from './native-engine.js';
import { parseSshEndpoint, resolveSshConfig, type SshTarget } from './ssh.js';

/** The provider names `vm_provider` accepts: one per engine kind. */
export const PROVIDER_NAMES = ENGINE_KINDS;
/** See {@link PROVIDER_NAMES}. */
export type ProviderName = EngineKind;

/** Where the engine runs, and how code and host names reach it. */
export interface Provider {
  name: ProviderName;
  /** The address the engine's published ports are reached on (what Dusty's host names point at). */
  engineAddress(): Promise<string>;
  /** Makes sure the engine answers, starting it (or its VM) when it can. */
  ensureEngine(): Promise<void>;
  /** Stops the VM; nothing to do for native, remote and the desktop apps. */
  shutdown(): Promise<void>;
  /** How repos get into containers: bind mounts, or NFS volumes served from this machine. */
  mountMode: 'bind' | 'nfs';
  /** The address NFS requests come from (the exports file's client). */
  nfsClientAddress?(): Promise<string>;
  /** The address of this machine as the engine sees it (the NFS server address). */
  nfsServerAddress?(): Promise<string>;
  /** Environment for docker and compose commands (DOCKER_HOST and friends). */
  env(): Promise<Record<string, string>>;
  /** For an engine on another host: how to reach that host with ssh (for code sync). */
  sshTarget?(): SshTarget;
}

/** The I/O providers use. */
export interface ProviderDeps {
  runner: CommandRunner;
  /** The privileged helper, when installed; used to start the native engine. */
  helper?: Pick<HelperClient, 'available' | 'call'>;
  /** Environment to read DOCKER_HOST, DOCKER_CONTEXT and DOCKER_CONFIG from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  /** Whether this process is root (may start dockerd itself). */
  isRoot?: boolean;
  /** Resolves a host name to an address; defaults to DNS lookup. */
  resolve?: (host: string) => Promise<string>;
  /** Name of the docker-machine VM. */
  machineName?: string;
  /** Colima profile; by default the one the context or socket names. */
  colimaProfile?: string;
  /** The engine endpoint; by default the one the docker CLI would use with `env`. */
  endpoint?: EngineEndpoint;
  /** What the engine says about itself (`docker info`), or undefined when it does not answer. */
  engineFacts?: () => Promise<EngineFacts | undefined>;
  /** Whether a file exists (installed engine apps); defaults to fs.existsSync. */
  exists?: (path: string) => boolean;
  /** How long to wait for a started desktop engine to answer. */
  startWaitMs?: number;
  /** Config `vm_memory_size`: memory in MB for a VM the provider creates or starts. */
  memoryMb?: number | undefined;
}

/** Config `vm_memory_size` as a number of MB, or undefined when empty (the tool's own default). */
export function memoryOf(vmMemorySize: string | undefined): number | undefined {
  const mb = Number(vmMemorySize);
  return vmMemorySize && Number.isInteger(mb) && mb > 0 ? mb : undefined;
}

/** Sizes a stopped VM before its start, where the tool does that with a separate command. */
async function applyMemory(deps: ProviderDeps, kind: ProviderName, machineName?: string) {
  const platform = deps.platform ?? process.platform;
  const cmd = memoryCommand(kind, { platform, memoryMb: deps.memoryMb, machineName });
  if (!cmd) return;
  const r = await deps.runner.run(cmd.command, cmd.args, { timeoutMs: 120_000 });
  if (r.code !== 0)
    throw failed(
      `setting the VM's memory to ${deps.memoryMb} MB (vm_memory_size; \`${[cmd.command, ...cmd.args].join(' ')}\`)`,
      r,
    );
}

function endpointOf(deps: ProviderDeps): EngineEndpoint {
  return deps.endpoint ?? resolveEndpoint(deps.env ?? process.env);
}

/** Compose named-volume options for an NFS mount of `path` served from `serverAddress`. */
export function nfsVolumeSpec(
  serverAddress: string,
  path: string,
): { driver: 'local'; driver_opts: { type: 'nfs'; o: string; device: string } } {
  return {
    driver: 'local',
    driver_opts: {
      type: 'nfs',
      // nolock: no rpc.statd on the VM side; actimeo=1 so edits show up within a second.
      o: `addr=${serverAddress},rw,nolock,hard,vers=3,actimeo=1`,
      device: `:${path}`,
    },
  };
}

/** Parses `docker-machine env --shell bash` output (`export KEY="value"` lines). */
export function parseShellEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m =
      /^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))\s*$/.exec(
        line,
      );
    if (!m?.[1]) continue;
    env[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? m[4] ?? '');
  }
  return env;
}

/** The host part of a tcp:// or ssh:// DOCKER_HOST, or null for a local socket. */
export function remoteDockerHost(dockerHost: string | undefined): string | null {
  if (!dockerHost || !/^(tcp|ssh):\/\//.test(dockerHost)) return null;
  try {
    const host = new URL(dockerHost).hostname;
    return host.replace(/^\[(.*)\]$/, '$1') || null;
  } catch {
    return null;
  }
}

/** Which engine apps and commands are installed, for a stopped engine on macOS. */
async function installedKinds(deps: ProviderDeps): Promise<Partial<Record<EngineKind, boolean>>> {
  const exists = deps.exists ?? existsSync;
  const app = (name: string) =>
    exists(`/Applications/${name}.app`) || exists(join(homedir(), 'Applications', `${name}.app`));
  const colima = await deps.runner.run('colima', ['version'], { timeoutMs: 10_000 });
  return {
    'docker-desktop': app('Docker'),
    orbstack: app('OrbStack'),
    'rancher-desktop': app('Rancher Desktop'),
    colima: colima.code === 0,
  };
}

/**
 * The kind of the engine the docker CLI would use (DOCKER_HOST, else the
 * context): from what it says about itself when it answers, else from its
 * socket and context name. docker-machine is never guessed, only detected.
 */
export async function detectProviderName(deps: ProviderDeps): Promise<ProviderName> {
  const endpoint = endpointOf(deps);
  const platform = deps.platform ?? process.platform;
  const facts = await deps.engineFacts?.().catch(() => undefined);
  const input = { host: endpoint.host, context: endpoint.context, facts, platform };
  const kind = detectEngineKind(input);
  // Only a stopped engine behind the macOS default socket needs to know what is installed.
  if (facts || platform !== 'darwin' || kind !== 'docker-desktop') return kind;
  return detectEngineKind({ ...input, installed: await installedKinds(deps) });
}

/** `configured` when it names a provider, detection when it is empty or `auto`; throws on an unknown name. */
export async function resolveProviderName(
  configured: string | undefined | null,
  deps: ProviderDeps,
): Promise<ProviderName> {
  if (!configured || configured === 'auto') return detectProviderName(deps);
  if ((PROVIDER_NAMES as readonly string[]).includes(configured)) return configured as ProviderName;
  throw new Error(`vm_provider "${configured}" is not one of auto, ${PROVIDER_NAMES.join(', ')}`);
}

/** The docker CLI's endpoint, or undefined when its configuration is broken (reported elsewhere). */
function safeEndpoint(env: ProviderDeps['env']): EngineEndpoint | undefined {
  try {
    return resolveEndpoint(env ?? process.env);
  } catch {
    return undefined;
  }
}

function failed(what: string, result: { code: number; stderr: string; stdout: string }): Error {
  const why = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
  return new Error(`${what} failed (exit ${result.code})${why ? `: ${why}` : ''}`);
}

class NativeProvider implements Provider {
  readonly name = 'native';
  readonly mountMode = 'bind';
  constructor(private readonly deps: ProviderDeps) {}

  async engineAddress(): Promise<string> {
    return '127.0.0.1';
  }

  async ensureEngine(): Promise<void> {
    const { runner, helper } = this.deps;
    if ((await runner.run('docker', ['info'], { timeoutMs: 20_000 })).code === 0) return;
    if (helper && (await helper.available())) {
      await helper.call('engine.start', {});
      return;
    }
    if (this.deps.isRoot ?? process.getuid?.() === 0) {
      await startNativeEngine({ runner });
      return;
    }
    throw new Error(
      'the Docker engine is not running and Dusty cannot start it: run `dusty setup` once to install the helper, or start Docker yourself',
    );
  }

  async shutdown(): Promise<void> {}

  async env(): Promise<Record<string, string>> {
    return definedOnly(dockerEnv(endpointOf(this.deps)));
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/**
 * Docker Desktop, OrbStack, Rancher Desktop and Podman: an app (or machine)
 * that publishes ports on loopback and shares the person's folders, started
 * with its own command and then given time to answer.
 */
class DesktopProvider implements Provider {
  readonly mountMode = 'bind';
  constructor(
    readonly name: 'docker-desktop' | 'orbstack' | 'rancher-desktop' | 'podman',
    private readonly deps: ProviderDeps,
  ) {}

  async engineAddress(): Promise<string> {
    return '127.0.0.1';
  }

  private async answers(): Promise<boolean> {
    const env = dockerEnv(endpointOf(this.deps));
    const r = await this.deps.runner.run('docker', ['info'], { timeoutMs: 20_000, env });
    return r.code === 0;
  }

  async ensureEngine(): Promise<void> {
    if (await this.answers()) return;
    const platform = this.deps.platform ?? process.platform;
    const start = startCommand(this.name, { platform, memoryMb: this.deps.memoryMb })!;
    const label = ENGINE_TRAITS[this.name].label;
    await applyMemory(this.deps, this.name);
    const started = await this.deps.runner.run(start.command, start.args, { timeoutMs: 300_000 });
    if (started.code !== 0)
      throw failed(`starting ${label} (${[start.command, ...start.args].join(' ')})`, started);
    // `open -a Docker` returns at once; the engine answers some seconds later.
    const deadline = Date.now() + (this.deps.startWaitMs ?? 180_000);
    while (Date.now() < deadline) {
      if (await this.answers()) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(
      `${label} was started (${[start.command, ...start.args].join(' ')}) but its engine did not answer within ${Math.round((this.deps.startWaitMs ?? 180_000) / 1000)} s; open ${label} and look at its status`,
    );
  }

  async shutdown(): Promise<void> {}

  async env(): Promise<Record<string, string>> {
    return definedOnly(dockerEnv(endpointOf(this.deps)));
  }
}

class DockerMachineProvider implements Provider {
  readonly name = 'docker-machine';
  readonly mountMode = 'nfs';
  private readonly machine: string;
  constructor(private readonly deps: ProviderDeps) {
    this.machine = deps.machineName ?? 'dusty';
  }

  private run(args: string[], timeoutMs = 600_000) {
    return this.deps.runner.run('docker-machine', args, { timeoutMs });
  }

  /** The machine's state as docker-machine prints it, or 'missing'. */
  private async status(): Promise<string> {
    const result = await this.run(['status', this.machine], 60_000);
    if (result.code !== 0) {
      if (/does not exist|not found/i.test(result.stderr + result.stdout)) return 'missing';
      throw failed(`docker-machine status ${this.machine}`, result);
    }
    return result.stdout.trim();
  }

  async engineAddress(): Promise<string> {
    const result = await this.run(['ip', this.machine], 60_000);
    if (result.code !== 0) throw failed(`docker-machine ip ${this.machine}`, result);
    return result.stdout.trim();
  }

  async ensureEngine(): Promise<void> {
    const status = await this.status();
    if (status === 'missing') {
      const memory = this.deps.memoryMb ? ['--virtualbox-memory', String(this.deps.memoryMb)] : [];
      const created = await this.run(['create', '--driver', 'virtualbox', ...memory, this.machine]);
      if (created.code !== 0) throw failed(`docker-machine create ${this.machine}`, created);
      return;
    }
    if (status !== 'Running') {
      await applyMemory(this.deps, this.name, this.machine);
      const started = await this.run(['start', this.machine]);
      if (started.code !== 0) throw failed(`docker-machine start ${this.machine}`, started);
    }
  }

  async shutdown(): Promise<void> {
    const status = await this.status();
    if (status !== 'Running') return;
    const stopped = await this.run(['stop', this.machine]);
    if (stopped.code !== 0) throw failed(`docker-machine stop ${this.machine}`, stopped);
  }

  async nfsClientAddress(): Promise<string> {
    return this.engineAddress();
  }

  /** VirtualBox gives the host .1 on the VM's host-only network. */
  async nfsServerAddress(): Promise<string> {
    return (await this.engineAddress()).replace(/\.\d+$/, '.1');
  }

  async env(): Promise<Record<string, string>> {
    const result = await this.run(['env', this.machine, '--shell', 'bash'], 60_000);
    if (result.code !== 0) throw failed(`docker-machine env ${this.machine}`, result);
    return parseShellEnv(result.stdout);
  }
}

interface ColimaStatus {
  ip_address?: string;
  docker_socket?: string;
  running?: boolean;
}

class ColimaProvider implements Provider {
  readonly name = 'colima';
  // Colima mounts the home folder into its VM (virtiofs or sshfs), so bind mounts reach code there.
  readonly mountMode = 'bind';
  private readonly profile: string;
  constructor(private readonly deps: ProviderDeps) {
    const endpoint = deps.endpoint ?? safeEndpoint(deps.env);
    this.profile =
      deps.colimaProfile ??
      (endpoint ? colimaProfileOf(endpoint.context, endpoint.host) : 'default');
  }

  private run(args: string[], timeoutMs = 600_000) {
    return this.deps.runner.run('colima', [...args, '--profile', this.profile], { timeoutMs });
  }

  private async status(): Promise<ColimaStatus | null> {
    const result = await this.run(['status', '--json'], 60_000);
    if (result.code !== 0) return null;
    try {
      return JSON.parse(result.stdout) as ColimaStatus;
    } catch {
      throw new Error(
        `colima status --json printed something that is not JSON: ${result.stdout.slice(0, 200)}`,
      );
    }
  }

  async engineAddress(): Promise<string> {
    const status = await this.status();
    if (!status) throw new Error(`the Colima VM (${this.profile}) is not running`);
    // Without --network-address, Colima forwards published ports to localhost.
    return status.ip_address || '127.0.0.1';
  }

  async ensureEngine(): Promise<void> {
    if (await this.status()) return;
    const platform = this.deps.platform ?? process.platform;
    const opts = { platform, colimaProfile: this.profile, memoryMb: this.deps.memoryMb };
    const start = startCommand('colima', opts)!;
    const started = await this.deps.runner.run(start.command, start.args, { timeoutMs: 600_000 });
    if (started.code !== 0) throw failed([start.command, ...start.args].join(' '), started);
  }

  async shutdown(): Promise<void> {
    if (!(await this.status())) return;
    const stopped = await this.run(['stop']);
    if (stopped.code !== 0) throw failed('colima stop', stopped);
  }

  async nfsClientAddress(): Promise<string> {
    // Lima's user-mode network makes the VM's connections come from localhost.
    return (await this.status())?.ip_address || '127.0.0.1';
  }

  async nfsServerAddress(): Promise<string> {
    const ip = (await this.status())?.ip_address;
    // host.lima.internal is 192.168.5.2 on Lima's user-mode network.
    return ip ? ip.replace(/\.\d+$/, '.1') : '192.168.5.2';
  }

  async env(): Promise<Record<string, string>> {
    const socket = (await this.status())?.docker_socket;
    if (!socket) return {};
    return { DOCKER_HOST: socket.startsWith('unix://') ? socket : `unix://${socket}` };
  }
}

class RemoteProvider implements Provider {
  readonly name = 'remote';
  // Code reaches the remote host by sync (rsync over ssh) and is bind-mounted there.
  readonly mountMode = 'bind';
  private readonly endpoint: EngineEndpoint;
  private readonly host: string;
  constructor(private readonly deps: ProviderDeps) {
    const endpoint = endpointOf(deps);
    const host = remoteDockerHost(endpoint.host);
    if (!host) {
      throw new Error(
        `vm_provider remote needs an engine at tcp://HOST:PORT or ssh://USER@HOST (DOCKER_HOST or a docker context), but the ${endpoint.context === 'default' ? 'endpoint' : `context "${endpoint.context}"`} is ${endpoint.host}`,
      );
    }
    this.endpoint = endpoint;
    this.host = host;
  }

  sshTarget(): SshTarget {
    // tcp:// says nothing about ssh: the host's name, with user and port from ~/.ssh/config.
    return this.endpoint.host.startsWith('ssh://')
      ? parseSshEndpoint(this.endpoint.host)
      : { host: this.host };
  }

  async engineAddress(): Promise<string> {
    const resolve = this.deps.resolve ?? (async (h: string) => (await lookup(h)).address);
    // An ssh:// host may be an alias of ~/.ssh/config; `ssh -G` names the real host without connecting.
    const host =
      this.endpoint.host.startsWith('ssh://') && !this.deps.resolve
        ? ((await resolveSshConfig(this.sshTarget()).catch(() => undefined))?.hostname ?? this.host)
        : this.host;
    return resolve(host);
  }

  async ensureEngine(): Promise<void> {
    const result = await this.deps.runner.run('docker', ['info'], {
      timeoutMs: 30_000,
      env: dockerEnv(this.endpoint),
    });
    if (result.code !== 0) {
      const why = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
      throw new Error(
        `\`docker -H ${this.endpoint.host} info\` failed (exit ${result.code})${why ? `: ${why}` : ''}. ` +
          'Dusty cannot start a remote engine: check the host is up, you can ssh to it, and Docker runs there (`dusty doctor` checks each).',
      );
    }
  }

  async shutdown(): Promise<void> {}

  async env(): Promise<Record<string, string>> {
    return definedOnly(dockerEnv(this.endpoint));
  }
}

/** The provider called `name`, doing its I/O through `deps`. */
export function createProvider(name: ProviderName, deps: ProviderDeps): Provider {
  switch (name) {
    case 'native':
      return new NativeProvider(deps);
    case 'docker-machine':
      return new DockerMachineProvider(deps);
    case 'colima':
      return new ColimaProvider(deps);
    case 'remote':
      return new RemoteProvider(deps);
    case 'docker-desktop':
    case 'orbstack':
    case 'rancher-desktop':
    case 'podman':
      return new DesktopProvider(name, deps);
  }
}
