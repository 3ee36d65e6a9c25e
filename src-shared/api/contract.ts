/**
 * The one contract between the main side (Electron IPC or the `dusty ui` web
 * server) and the dashboard. Every call the renderer may make is declared here
 * with a zod schema for its input and a type for its output; every event main
 * pushes is declared with its payload. Channel names are `area:verb`.
 *
 * Errors cross as data (`Result`), never as thrown exceptions, so the sentence
 * the engine wrote reaches the person intact.
 *
 * Streams (logs, terminals) are subscriptions: a call returns an id, chunks
 * arrive as events keyed by that id (`logs:chunk`, `terminal:data`), then
 * `stream:end`; `stream:unsubscribe` destroys the Docker
 * stream behind it.
 */
import { z } from 'zod';
import type { ErrorCode, ErrorDetail } from '../errors.js';
import type { Problem } from '../specs/schema.js';
import {
  CONFIG_KEYS,
  CONFIG_LABELS,
  VM_PROVIDERS,
  type Config,
  type ConfigKey,
} from '../config.js';
import type { HealthState } from '../health.js';
import type { UpTimeline } from '../timeline.js';

export type { HealthLevel, HealthState, OverallHealth, UrlCheck } from '../health.js';
export type { UpTimeline } from '../timeline.js';

// ---------------------------------------------------------------- results

/** An error as the person reads it: `message` is a full sentence written by the engine. */
export interface ApiError {
  code: ErrorCode;
  message: string;
  /** Extra structured facts: spec problems, the failed container's last log lines. */
  detail?: ErrorDetail;
}

export type { ErrorCode, ErrorDetail };

/** What every call resolves with. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string, detail?: ErrorDetail): Result<never> => ({
  ok: false,
  error: detail ? { code, message, detail } : { code, message },
});

// ---------------------------------------------------------------- data shapes

/** Where the dashboard is running and for which project. */
export interface AppInfo {
  version: string;
  /** The Compose project name (`dusty`, or DUSTY_PROJECT). */
  project: string;
  dustyHome: string;
  /** `electron` or `web`. */
  shell: 'electron' | 'web';
}

/** The Docker engine Dusty talks to: the one the docker CLI would use (DOCKER_HOST, else the context). */
/** The local CA behind the router's https URLs, as the dashboard shows it. */
export interface HttpsInfo {
  /** Whether the router serves https at all (`dusty config set https false` turns it off). */
  enabled: boolean;
  /** The CA's subject, or null before the first `up` made one. */
  subject: string | null;
  /** The host-name suffixes it may sign for. */
  permitted: string[];
  /** Whether this CA is trusted (through Dusty's helper or by hand). */
  trusted: boolean;
  /** Suffixes the specs use that the CA may not sign for (`dusty https recreate`). */
  outside: string[];
  /** The one command that trusts it without the helper. */
  trustCommand: string;
}

/** What trusting the CA did: the helper put it in these stores, or there is no helper and this command does it. */
export type TrustOutcome =
  { how: 'helper'; stores: string[]; skipped: string[] } | { how: 'manual'; command: string };

export interface EngineInfo {
  /** The docker context's name (`default` when DOCKER_HOST or nothing chose one). */
  context: string;
  /** What chose it: `DOCKER_HOST`, `DOCKER_CONTEXT`, `config.json` (the current context) or `default`. */
  source: string;
  /** The engine's URL, e.g. `unix:///Users/me/.orbstack/run/docker.sock`. */
  endpoint: string;
  /** The endpoint in one sentence, e.g. `context "orbstack" (current context in ~/.docker/config.json): unix://...`. */
  description: string;
  /** The engine kind Dusty treats it as (the `vm_provider` setting, or what was detected). */
  kind: string;
  /** The kind as people say it: `Docker Desktop`, `OrbStack`, `native Linux engine`... */
  label: string;
  /** What the engine itself (or its socket and context) says it is. */
  detectedKind: string;
  /** That kind as people say it. */
  detectedLabel: string;
  running: boolean;
  /** The engine's version when it answers. */
  version: string | null;
  /** Its operating system as `docker info` reports it. */
  os: string | null;
  /** The `vm_provider` setting. */
  configured: string;
  /** When an explicit `vm_provider` disagrees with the engine the docker CLI uses: what and how to fix it. */
  mismatch: string | null;
  mounts: 'bind' | 'nfs';
  /** How code reaches containers, and why that way. */
  mountsWhy: string;
  /** Whether Dusty can start this engine when it is stopped. */
  canStart: boolean;
  /** The command that starts it, e.g. `open -a Docker`. */
  startHow: string | null;
  /** The docker CLI configuration is broken (a missing context, bad JSON): what and where. */
  error: string | null;
}

/** One bundle with what switching it on would start. */
export interface BundleInfo {
  name: string;
  description: string;
  active: boolean;
  /** The closure of this bundle alone: every app, service and lib it brings. */
  apps: string[];
  services: string[];
  libs: string[];
  file: string;
}

/** The specs repo's validity, with every problem found (file and key). */
export interface SpecsReport {
  ok: boolean;
  specsPath: string | null;
  problems: Problem[];
  counts: { apps: number; services: number; libs: number; bundles: number };
}

export interface PortInfo {
  private: number;
  public?: number | undefined;
  ip?: string | undefined;
}

/** One app or service of the active bundles (and the router), with its container's state. */
export interface ContainerRow {
  name: string;
  kind: 'app' | 'service' | 'router';
  /** `running`, `exited`, `created`, `restarting`, `paused`, `dead`, or `not created`. */
  state: string;
  health: 'healthy' | 'unhealthy' | 'starting' | null;
  containerName: string | null;
  id: string | null;
  image: string;
  ports: PortInfo[];
  /** Host-name links, e.g. `http://web.demo.test`. */
  urls: string[];
  /** Names of the app's scripts (apps only). */
  scripts: ScriptInfo[];
}

export interface ScriptInfo {
  name: string;
  description: string;
}

/** What an operation does; every front door's state-changing operations take one lock. */
export type OperationKind =
  | 'up'
  | 'stop'
  | 'restart'
  | 'bundles'
  | 'config'
  | 'env'
  | 'assets'
  | 'repos'
  | 'disk'
  | 'test'
  | 'doctor --fix';

/** Per-container progress of an operation. */
export interface ContainerProgress {
  name: string;
  state: string;
  health?: string | undefined;
}

/** The running or last operation, from any front door, pushed whole on each change. */
export interface OperationState {
  id: number;
  kind: OperationKind;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: number;
  finishedAt?: number;
  /** The current step, e.g. `starting containers with docker-compose 1.29.2 (v1)`. */
  step: string;
  /** The last lines of output (compose, repos, pulls), capped. */
  lines: string[];
  warnings: string[];
  containers: ContainerProgress[];
  urls: { app: string; url: string }[];
  /** `up` only: where the time went so far, per container. */
  timeline?: UpTimeline;
  error?: ApiError;
  /** Where it was started (a terminal's `dusty up` shows in the dashboard too). */
  door?: 'terminal' | 'dashboard' | 'menubar';
  /** The process running it. */
  pid?: number;
}

/** A repo used by the specs, cloned by Dusty or overridden with a local folder. */
export interface RepoRow {
  name: string;
  mode: 'managed' | 'overridden' | 'local';
  path: string;
  usedBy: string[];
  /** With a remote engine: the copy on its host and whether it is in sync (absent otherwise). */
  sync?: RepoSync | undefined;
}

/** One synced folder's state; `reason` names the host and the command that failed. */
export interface RepoSync {
  state: 'in-sync' | 'syncing' | 'failed';
  remote: string;
  reason?: string | undefined;
}

/** Settings as shown in the dashboard. */
export interface SettingsInfo {
  config: Config;
  descriptions: Record<ConfigKey, string>;
}

/** One log line; `t` is the engine's timestamp (RFC 3339), `e` marks stderr. */
export interface LogLine {
  c: string;
  t: string;
  e?: 1;
  x: string;
}

/** Something worth telling the person: a container died, became unhealthy, `up` finished. */
export interface Notice {
  level: 'info' | 'warning' | 'error';
  title: string;
  body: string;
  at: number;
}

// ---------------------------------------------------------------- calls

const name = z.string().min(1).max(200);
const id = z.string().min(1).max(64);
const empty = z.object({}).strict();
const dims = { cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(500) };

/** Inputs of every call, checked again on the main side with these schemas. */
export const callInputs = {
  /** Which project, which home, which shell. */
  'app:info': empty,
  /** The Docker engine Dusty talks to: context, endpoint, kind, version, whether it answers. */
  'engine:get': empty,
  /** Starts the engine (its app, VM or service) when it is stopped, and waits until it answers. */
  'engine:start': empty,
  /** Validates the configured specs repo and returns every problem with its file and key. */
  'specs:validate': empty,
  /** Every bundle with its description, whether it is active, and what it would start. */
  'bundles:list': empty,
  /** Switches a bundle on (applied at the next `up`); returns the bundles. */
  'bundles:activate': z.object({ name }).strict(),
  /** Switches a bundle off (applied at the next `up`); returns the bundles. */
  'bundles:deactivate': z.object({ name }).strict(),
  /** Starts `up` in the background (after any other front door's operation); progress arrives as `operation:changed`. Fails with `busy` while this front door runs one. */
  'stack:up': z.object({ pull: z.boolean().optional(), recreate: z.boolean().optional() }).strict(),
  /** Stops every container (or the named ones) in the background; progress arrives as `operation:changed`. */
  'stack:stop': z.object({ names: z.array(name).max(200).optional() }).strict(),
  /** The running or last operation, or null. */
  'operation:get': empty,
  /** Every app and service of the active bundles with its container's state. */
  'containers:list': empty,
  /** What each URL answered last and the overall state (green, amber, red, grey). */
  'health:get': empty,
  /** The local CA behind the https URLs: whether it is trusted, and the command that trusts it. */
  'https:get': empty,
  /** Trusts the CA through the helper (the system store and browser profiles); without it, gives the command. */
  'https:trust': empty,
  /** Restarts one container. */
  'containers:restart': z.object({ name }).strict(),
  /** Stops one container. */
  'containers:stop': z.object({ name }).strict(),
  /** Follows the logs of one or several containers, interleaved; returns the subscription id. */
  'logs:subscribe': z
    .object({
      names: z.array(name).min(1).max(50),
      /** Lines of history per container to start from (capped at 5000). */
      tail: z.number().int().min(0).max(5000).default(200),
    })
    .strict(),
  /** Opens a shell (or runs an app's script with arguments) in a running container with a TTY; returns the session id. */
  'terminal:open': z
    .object({
      name,
      ...dims,
      script: z.object({ name, args: z.array(z.string().max(4000)).max(100) }).optional(),
    })
    .strict(),
  /** Re-attaches to a terminal session (after a reload); returns what it printed recently. */
  'terminal:attach': z.object({ id }).strict(),
  /** Sends keystrokes to a terminal session. */
  'terminal:input': z.object({ id, data: z.string().max(65536) }).strict(),
  /** Tells a terminal session its new size. */
  'terminal:resize': z.object({ id, ...dims }).strict(),
  /** Ends a subscription or session and destroys the Docker stream behind it. */
  'stream:unsubscribe': z.object({ id }).strict(),
  /** Every repo the specs use, with where it lives. */
  'repos:list': empty,
  /** Uses a local folder for a repo. */
  'repos:override': z.object({ repo: name, path: z.string().min(1).max(4096) }).strict(),
  /** Lets Dusty clone and pull a repo again. */
  'repos:manage': z.object({ repo: name }).strict(),
  /** The settings with their meanings. */
  'config:get': empty,
  /** Changes one setting; the value is parsed as the CLI parses it. */
  'config:set': z
    .object({
      key: z.enum(CONFIG_KEYS),
      value: z.string().max(4096),
    })
    .strict(),
} as const;

/** What each call resolves with (inside `Result`). */
export interface CallOutputs {
  'app:info': AppInfo;
  'engine:get': EngineInfo;
  'engine:start': EngineInfo;
  'specs:validate': SpecsReport;
  'bundles:list': BundleInfo[];
  'bundles:activate': BundleInfo[];
  'bundles:deactivate': BundleInfo[];
  'stack:up': { operation: number };
  'stack:stop': { operation: number };
  'operation:get': OperationState | null;
  'containers:list': ContainerRow[];
  'health:get': HealthState;
  'https:get': HttpsInfo;
  'https:trust': TrustOutcome;
  'containers:restart': null;
  'containers:stop': null;
  'logs:subscribe': { id: string };
  'terminal:open': { id: string; title: string };
  'terminal:attach': { replay: string };
  'terminal:input': null;
  'terminal:resize': null;
  'stream:unsubscribe': null;
  'repos:list': RepoRow[];
  'repos:override': RepoRow[];
  'repos:manage': RepoRow[];
  'config:get': SettingsInfo;
  'config:set': SettingsInfo;
}

export type CallName = keyof typeof callInputs & keyof CallOutputs;
export type CallInput<C extends CallName> = z.input<(typeof callInputs)[C]>;
export type ParsedInput<C extends CallName> = z.output<(typeof callInputs)[C]>;
export type CallOutput<C extends CallName> = CallOutputs[C];

export const CALL_NAMES = Object.keys(callInputs) as CallName[];

export function isCallName(s: unknown): s is CallName {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(callInputs, s);
}

// ---------------------------------------------------------------- events

/** Payloads of every event main pushes. */
export interface EventPayloads {
  /** The containers' state changed (from Docker engine events); the whole list. */
  'containers:changed': ContainerRow[];
  /** A URL answered differently, or the overall state changed. */
  'health:changed': HealthState;
  /** The CA was trusted (or the https settings changed). */
  'https:changed': HttpsInfo;
  /** Bundles were switched on or off. */
  'bundles:changed': BundleInfo[];
  /** The running operation progressed, finished or failed. */
  'operation:changed': OperationState;
  /** A batch of log lines for a subscription (about every 50 ms); `dropped` counts lines skipped to keep up. */
  'logs:chunk': { id: string; lines: LogLine[]; dropped?: number };
  /** Terminal output for a session. */
  'terminal:data': { id: string; data: string };
  /** A subscription or session ended (the container stopped, the shell exited, or it was unsubscribed). */
  'stream:end': { id: string; exitCode?: number };
  /** A subscription or session failed. */
  /** A container exited unexpectedly or became unhealthy, or an operation finished. */
  'notices:new': Notice;
}

export type EventName = keyof EventPayloads;

export const EVENT_NAMES: EventName[] = [
  'containers:changed',
  'health:changed',
  'https:changed',
  'bundles:changed',
  'operation:changed',
  'logs:chunk',
  'terminal:data',
  'stream:end',
  'notices:new',
];

/** An event as it crosses a transport. */
export type EventMessage = {
  [E in EventName]: { channel: E; payload: EventPayloads[E] };
}[EventName];

// ---------------------------------------------------------------- the client side

/** The typed API the dashboard uses, whatever carries it. */
export interface DustyApi {
  call<C extends CallName>(channel: C, input: CallInput<C>): Promise<Result<CallOutput<C>>>;
  on<E extends EventName>(channel: E, listener: (payload: EventPayloads[E]) => void): () => void;
}

/**
 * What the Electron preload exposes as `window.dusty`: the raw call and one
 * event listener, both on this contract's channel names only.
 */
export interface DustyBridge {
  call(channel: CallName, input: unknown): Promise<Result<unknown>>;
  onEvent(listener: (message: EventMessage) => void): () => void;
}

/** The IPC channel names the preload uses (one for calls, one for events). */
export const IPC_CALL = 'dusty:call';
export const IPC_EVENT = 'dusty:event';

// ---------------------------------------------------------------- WebSocket framing

/** Client to server over the WebSocket. */
export interface WsCall {
  type: 'call';
  seq: number;
  channel: string;
  input: unknown;
}

/** Server to client over the WebSocket. */
export type WsServerMessage =
  { type: 'result'; seq: number; result: Result<unknown> } | ({ type: 'event' } & EventMessage);

export { CONFIG_KEYS, CONFIG_LABELS, VM_PROVIDERS };
