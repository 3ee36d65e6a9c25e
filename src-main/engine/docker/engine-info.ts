/**
 * The engine Dusty talks to, as `status`, `doctor`, the dashboard and the
 * menubar name it: the context and endpoint, the kind of engine, its version,
 * whether it answers, and whether the configured `vm_provider` agrees.
 */
import type Docker from 'dockerode';
import type { EngineInfo } from '../../../src-shared/api/contract.js';
import { ENGINE_TRAITS, startCommand, type EngineFacts } from '../../platform/engine-kinds.js';
import { resolveProviderName, type ProviderDeps } from '../../platform/providers.js';
import { createDocker } from './client.js';
import {
  describeEndpoint,
  resolveEndpoint,
  type EngineEndpoint,
} from '../../platform/docker-context.js';

/** What the engine said about itself, and when; a few seconds old is fresh enough. */
const cache = new Map<string, { at: number; facts: Promise<EngineFacts | undefined> }>();
const FRESH_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}

/** `docker info` and `docker version` in one, or undefined when the engine does not answer within 3 s. */
export function engineFacts(
  endpoint: EngineEndpoint,
  docker?: Docker,
): Promise<EngineFacts | undefined> {
  const hit = cache.get(endpoint.host);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.facts;
  const d = docker ?? createDocker(endpoint);
  const facts = withTimeout(
    Promise.all([d.info(), d.version().catch(() => undefined)]).then(
      ([info, version]: [Record<string, unknown>, Docker.DockerVersion | undefined]) => ({
        OperatingSystem: info.OperatingSystem as string | undefined,
        Name: info.Name as string | undefined,
        Labels: info.Labels as string[] | null | undefined,
        ServerVersion: info.ServerVersion as string | undefined,
        Components: (version as { Components?: { Name: string }[] } | undefined)?.Components?.map(
          (c) => c.Name,
        ),
      }),
    ),
    3000,
  );
  cache.set(endpoint.host, { at: Date.now(), facts });
  // A failed look is not kept: the next caller (after a start) asks again.
  void facts.then((f) => {
    if (!f) cache.delete(endpoint.host);
  });
  return facts;
}

/** Forgets what engines said, after one was started or stopped. */
export function forgetEngineFacts(): void {
  cache.clear();
}

/** Provider deps that read the docker CLI's endpoint and ask the engine what it is. */
export function engineDeps(base: Omit<ProviderDeps, 'endpoint' | 'engineFacts'>): ProviderDeps {
  const endpoint = resolveEndpoint(base.env ?? process.env);
  return { ...base, endpoint, engineFacts: () => engineFacts(endpoint) };
}

/**
 * Describes the engine for `status`, `doctor` and the dashboard. `configured`
 * is the `vm_provider` setting. Never throws for an engine that does not
 * answer: that is what `running: false` says; a broken docker configuration
 * is reported in `error`.
 */
export async function describeEngine(
  configured: string,
  base: Omit<ProviderDeps, 'endpoint' | 'engineFacts'>,
): Promise<EngineInfo> {
  let deps: ProviderDeps;
  try {
    deps = engineDeps(base);
  } catch (e) {
    return brokenConfig(configured, (e as Error).message);
  }
  const endpoint = deps.endpoint!;
  const facts = await deps.engineFacts!();
  const detected = await resolveProviderName('auto', deps);
  const provider = await resolveProviderName(configured, deps);
  const traits = ENGINE_TRAITS[provider];
  const start = startCommand(provider, { platform: deps.platform ?? process.platform });
  const explicit = configured !== 'auto' && configured !== '';
  return {
    context: endpoint.context,
    source: endpoint.source,
    endpoint: endpoint.host,
    description: describeEndpoint(endpoint),
    kind: provider,
    label: traits.label,
    detectedKind: detected,
    detectedLabel: ENGINE_TRAITS[detected].label,
    running: facts !== undefined,
    version: facts?.ServerVersion ?? null,
    os: facts?.OperatingSystem ?? null,
    configured: configured || 'auto',
    mismatch:
      explicit && detected !== provider
        ? `vm_provider is ${provider}, but the engine the docker CLI uses (${describeEndpoint(endpoint)}) is ${ENGINE_TRAITS[detected].label}: Dusty runs containers there while treating it as ${traits.label}. Run \`dusty config set vm_provider auto\`, or switch with \`docker context use NAME\`.`
        : null,
    mounts: traits.mounts,
    mountsWhy: traits.mountsWhy,
    canStart: traits.startable,
    startHow: start
      ? [start.command, ...start.args].join(' ')
      : provider === 'native'
        ? "the helper's engine.start"
        : null,
    error: null,
  };
}

function brokenConfig(configured: string, message: string): EngineInfo {
  return {
    context: '',
    source: 'default',
    endpoint: '',
    description: message,
    kind: 'native',
    label: 'unknown engine',
    detectedKind: 'native',
    detectedLabel: 'unknown engine',
    running: false,
    version: null,
    os: null,
    configured: configured || 'auto',
    mismatch: null,
    mounts: 'bind',
    mountsWhy: '',
    canStart: false,
    startHow: null,
    error: message,
  };
}

/** One line for `status`: `Docker Desktop 27.3.1 (context "desktop-linux": unix:///...)`. */
export function engineLine(e: EngineInfo): string {
  if (e.error) return `engine: ${e.error}`;
  const state = e.running ? (e.version ?? 'running') : 'not answering';
  return `engine: ${e.label} ${state}, context "${e.context}" (${e.source}): ${e.endpoint}`;
}
