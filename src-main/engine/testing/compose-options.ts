/**
 * A Compose service definition turned into the Engine API's create options,
 * for the containers of a test run (a suite's services and the suite's own
 * container, whose `compose` block the original Dusty handed to Compose
 * whole). Pure.
 */
import type Docker from 'dockerode';
import { DustyError } from '../errors.js';

type HostConfig = NonNullable<Docker.ContainerCreateOptions['HostConfig']>;

export interface CreateOptions {
  config: Omit<Docker.ContainerCreateOptions, 'HostConfig'>;
  hostConfig: HostConfig;
  binds: string[];
  /** Paths that get a fresh anonymous volume (named and persistent volumes, so the copy is private). */
  anonymousVolumes: string[];
  /** Keys that were not applied, for a warning. */
  ignored: string[];
}

/** Keys that only make sense in the shared Compose project; a test copy drops them silently. */
const DROPPED = new Set([
  'container_name',
  'ports',
  'links',
  'depends_on',
  'networks',
  'network_mode',
  'net',
  'restart',
  'external_links',
  'expose',
  'description',
  'image',
  'build',
  'dockerfile',
  'command',
]);

/** Keys about the network namespace: only its owner (the first container of a suite) may set them. */
const NETWORK_KEYS = new Set([
  'hostname',
  'domainname',
  'dns',
  'dns_search',
  'extra_hosts',
  'mac_address',
]);

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `512m`, `1g`, `1024` as bytes. */
export function bytes(v: unknown, key: string): number {
  if (typeof v === 'number') return v;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?b?$/i.exec(text.trim());
  if (!m)
    throw new DustyError(
      'invalid-specs',
      `compose ${key}: expected a size such as 512m, found "${text}"`,
    );
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === 'string' || typeof v === 'number' ? [`${v}`] : [];

/** Compose-style `K=V` list or mapping as `K=V` strings (a bare key passes the host's value). */
export function envList(env: unknown): string[] {
  if (Array.isArray(env)) return env.map(String);
  if (env && typeof env === 'object')
    return Object.entries(env).map(([k, v]) =>
      v === null || v === undefined ? k : `${k}=${String(v)}`,
    );
  return [];
}

function toMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of envList(v)) {
    const eq = e.indexOf('=');
    out[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
  }
  return out;
}

/** Splits a Compose command string as Compose does (shell-like words, no expansion). */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

export const words = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? splitCommand(v) : Array.isArray(v) ? v.map(String) : undefined;

function ulimits(v: unknown): { Name: string; Soft: number; Hard: number }[] {
  if (!v || typeof v !== 'object') return [];
  return Object.entries(v).map(([Name, l]) => {
    if (typeof l === 'number') return { Name, Soft: l, Hard: l };
    const { soft, hard } = (l ?? {}) as { soft?: number; hard?: number };
    return { Name, Soft: Number(soft ?? hard), Hard: Number(hard ?? soft) };
  });
}

function tmpfs(v: unknown): Record<string, string> {
  return Object.fromEntries(
    list(v).map((t) => {
      const colon = t.indexOf(':');
      return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
    }),
  );
}

type Apply = (o: CreateOptions, v: unknown, key: string) => void;

const config =
  <K extends keyof CreateOptions['config']>(
    k: K,
    f: (v: unknown) => CreateOptions['config'][K],
  ): Apply =>
  (o, v) => {
    o.config[k] = f(v);
  };
const host =
  <K extends keyof HostConfig>(k: K, f: (v: unknown, key: string) => HostConfig[K]): Apply =>
  (o, v, key) => {
    o.hostConfig[k] = f(v, key);
  };

function devices(v: unknown) {
  return list(v).map((d) => {
    const [PathOnHost = '', PathInContainer = PathOnHost, CgroupPermissions = 'rwm'] = d.split(':');
    return { PathOnHost, PathInContainer, CgroupPermissions };
  });
}

/** The Compose keys a test container applies, each to its Engine API setting. */
const APPLY: Record<string, Apply> = {
  environment: config('Env', envList),
  labels: config('Labels', toMap),
  user: config('User', String),
  working_dir: config('WorkingDir', String),
  entrypoint: config('Entrypoint', (v) => words(v) ?? []),
  tty: config('Tty', Boolean),
  stdin_open: config('OpenStdin', Boolean),
  stop_signal: config('StopSignal', String),
  hostname: config('Hostname', String),
  domainname: config('Domainname', String),
  mac_address: config('MacAddress', String),
  privileged: host('Privileged', Boolean),
  init: host('Init', Boolean),
  read_only: host('ReadonlyRootfs', Boolean),
  cap_add: host('CapAdd', list),
  cap_drop: host('CapDrop', list),
  security_opt: host('SecurityOpt', list),
  group_add: host('GroupAdd', list),
  dns: host('Dns', list),
  dns_search: host('DnsSearch', list),
  extra_hosts: host('ExtraHosts', (v) =>
    Array.isArray(v) ? list(v) : Object.entries(toMap(v)).map(([k, x]) => `${k}:${x}`),
  ),
  devices: host('Devices', devices),
  shm_size: host('ShmSize', bytes),
  mem_limit: host('Memory', bytes),
  memswap_limit: host('MemorySwap', bytes),
  cpu_shares: host('CpuShares', Number),
  cpus: host('NanoCpus', (v) => Math.round(Number(v) * 1e9)),
  cpuset: host('CpusetCpus', String),
  oom_score_adj: host('OomScoreAdj', Number),
  pid: host('PidMode', String),
  ipc: host('IpcMode', String),
  sysctls: host('Sysctls', toMap),
  ulimits: host('Ulimits', ulimits),
  tmpfs: host('Tmpfs', tmpfs),
  volumes: (o, v) => volumes(o, v),
};

function volumes(o: CreateOptions, v: unknown) {
  for (const vol of Array.isArray(v) ? (v as unknown[]) : []) {
    if (typeof vol !== 'string') {
      const t = (vol as { target?: unknown } | null)?.target;
      if (typeof t === 'string') o.anonymousVolumes.push(t);
      continue;
    }
    const parts = vol.split(':');
    if (parts.length === 1) o.anonymousVolumes.push(parts[0]!);
    else {
      const [src, dst] = parts as [string, string];
      const persistent = src === '/persist' || src.startsWith('/persist/');
      if (src.startsWith('/') && !persistent) o.binds.push(vol);
      else o.anonymousVolumes.push(dst);
    }
  }
}

/**
 * The create options of a Compose definition. `ownsNetwork` is false for a
 * container that joins another's network namespace: settings of the
 * namespace (host name, DNS, extra hosts) are then the owner's and are
 * reported as not applied.
 */
export function createOptions(def: Record<string, unknown>, ownsNetwork: boolean): CreateOptions {
  const o: CreateOptions = {
    config: {},
    hostConfig: {},
    binds: [],
    anonymousVolumes: [],
    ignored: [],
  };
  for (const [key, v] of Object.entries(def)) {
    if (DROPPED.has(key) || v === undefined || v === null) continue;
    if (!ownsNetwork && NETWORK_KEYS.has(key)) o.ignored.push(key);
    else if (APPLY[key]) APPLY[key](o, v, key);
    else o.ignored.push(key);
  }
  return o;
}
