/** Pure helpers that turn engine facts into what the dashboard shows. */
import type { ApiError, ContainerRow, Notice, ScriptInfo } from '../../src-shared/api/contract.js';
import { isErrorCode } from '../../src-shared/errors.js';
import { DustyError } from '../engine/errors.js';
import { imageLabel, type ContainerPlan } from '../engine/compiler/index.js';
import type { ContainerState } from '../engine/runtime/containers.js';
import type { EngineEvent } from './container-watcher.js';

const KIND_LABEL = 'dev.dusty.kind';
const URLS_LABEL = 'dev.dusty.urls';

/** The plan of the active bundles merged with the containers that exist (orphans included, at the end). */
export function containerRows(
  plan: ContainerPlan[],
  scripts: Record<string, ScriptInfo[]>,
  actual: ReadonlyMap<string, ContainerState>,
): ContainerRow[] {
  const row = (
    name: string,
    p: ContainerPlan | undefined,
    s: ContainerState | undefined,
  ): ContainerRow => {
    const labelKind = s?.labels[KIND_LABEL];
    const kind = p?.kind ?? (labelKind === 'app' || labelKind === 'router' ? labelKind : 'service');
    const health = s?.health;
    return {
      name,
      kind,
      state: s?.state ?? 'not created',
      health:
        health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : null,
      containerName: s?.containerName ?? null,
      id: s?.id ?? null,
      image: p ? imageLabel(p.image) : '',
      ports: (s?.ports ?? []).filter(
        (x, i, all) => all.findIndex((y) => y.private === x.private && y.public === x.public) === i,
      ),
      urls: p?.urls ?? s?.labels[URLS_LABEL]?.split(' ').filter(Boolean) ?? [],
      scripts: scripts[name] ?? [],
    };
  };
  const rows = plan.map((p) => row(p.name, p, actual.get(p.name)));
  for (const [name, s] of actual)
    if (!plan.some((p) => p.name === name)) rows.push(row(name, undefined, s));
  return rows;
}

/**
 * A notice for an engine event worth interrupting the person for: a container
 * that died when Dusty did not stop it, or one whose healthcheck fails.
 */
export function noticeForEvent(
  ev: EngineEvent,
  expected: (service: string) => boolean,
  now = Date.now(),
): Notice | null {
  const attrs = ev.Actor?.Attributes ?? {};
  const service = attrs['com.docker.compose.service'] ?? attrs.name ?? 'a container';
  const action = ev.Action ?? ev.status ?? '';
  if (action === 'die') {
    if (expected(service)) return null;
    const code = attrs.exitCode ?? '?';
    return {
      level: 'error',
      title: `${service} stopped`,
      body: `${service} exited unexpectedly (exit code ${code}).`,
      at: now,
    };
  }
  if (action.startsWith('health_status') && action.includes('unhealthy')) {
    return {
      level: 'warning',
      title: `${service} is unhealthy`,
      body: `The healthcheck of ${service} fails.`,
      at: now,
    };
  }
  return null;
}

/** Any thrown value as an `ApiError` whose message a person can act on. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof DustyError)
    return Object.keys(e.detail).length
      ? { code: e.code, message: e.message, detail: e.detail }
      : { code: e.code, message: e.message };
  const err = e as { message?: unknown; code?: unknown };
  const message = typeof err?.message === 'string' && err.message ? err.message : String(e);
  if (/^\(HTTP code (\d+)\)/.test(message)) {
    // A raw Engine API error: keep its reason, say where it came from.
    const why = message.replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '').trim();
    return { code: 'engine', message: `the Docker engine refused: ${why}` };
  }
  // The helper client's errors carry the helper protocol's codes.
  return { code: isErrorCode(err?.code) ? err.code : 'error', message };
}
