/**
 * The stack's health for `dusty status`: each container's state, what each
 * URL answers through the router, and the one overall state.
 */
import type Docker from 'dockerode';
import { classifyHealth, type OverallHealth, type UrlCheck } from '../../../src-shared/health.js';
import type { Project } from '../project.js';
import { listContainers, type ContainerState } from './containers.js';
import { status, type StatusRow } from './ops.js';
import { probeUrls } from './probe.js';

export interface StackHealth {
  rows: StatusRow[];
  checks: UrlCheck[];
  overall: OverallHealth;
}

/** Rows, URL answers and the overall state, probed now. */
export async function stackHealth(project: Project, docker: Docker): Promise<StackHealth> {
  const [rows, compiled, containers] = await Promise.all([
    status(project, docker),
    project.compile(),
    listContainers(docker),
  ]);
  const urls = rows.flatMap((r) => r.urls.map((url) => ({ app: r.name, url })));
  const checks = await probeUrls(urls, { address: compiled.platform.engineAddress });
  const onPurpose = await stoppedOnPurpose(
    docker,
    [...containers.values()].filter((c) => c.state === 'exited'),
  );
  const overall = classifyHealth({
    containers: rows,
    urls: checks,
    expectedUrls: urls.map((u) => u.url),
    stoppedOnPurpose: onPurpose,
  });
  return { rows, checks, overall };
}

/**
 * Which exited containers were stopped on purpose: a stop through the Engine
 * API (`dusty stop`, `docker stop`, Compose) ends with a `stop` event, while a
 * crash or `docker kill` only dies. The engine keeps recent events, so this
 * is asked after the fact.
 */
export async function stoppedOnPurpose(
  docker: Docker,
  exited: readonly Pick<ContainerState, 'name' | 'id'>[],
): Promise<Set<string>> {
  const out = new Set<string>();
  await Promise.all(
    exited.map(async (c) => {
      try {
        const info = await docker.getContainer(c.id).inspect();
        const finished = Date.parse(info.State.FinishedAt);
        if (Number.isNaN(finished) || finished <= 0) return;
        // Fractional seconds: a whole-second `until` leaves out the events of the current second,
        // so a status asked right after a stop would miss its `stop` and call it a crash.
        const from = (finished / 1000 - 1).toFixed(3);
        const until = (Math.min(Date.now(), finished + 2000) / 1000).toFixed(3);
        const actions = await eventActions(docker, c.id, from, until);
        if (actions.includes('stop')) out.add(c.name);
      } catch {
        // Unknown: counted as not on purpose, which shows as red, the safer mistake.
      }
    }),
  );
  return out;
}

async function eventActions(
  docker: Docker,
  id: string,
  since: string,
  until: string,
): Promise<string[]> {
  // The Engine takes `seconds.fraction` timestamps; dockerode's types say number only.
  const stream = await docker.getEvents({
    since: since as unknown as number,
    until: until as unknown as number,
    filters: { container: [id], type: ['container'] },
  });
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        const ev = JSON.parse(l) as { Action?: string; status?: string };
        return ev.Action ?? ev.status ?? '';
      } catch {
        return '';
      }
    });
}
