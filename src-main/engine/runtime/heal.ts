/**
 * Engine states that make Compose fail, found and repaired: several networks
 * with the project's network name (Compose v1 creates two when two `up`s race,
 * and every later call fails with "network ... is ambiguous"), project
 * containers Compose no longer knows, more than one container for a service,
 * containers stuck in "created" or "dead", and a hosts section that disagrees
 * with the running stack. `up` repairs all but the hosts section (which it
 * rewrites anyway) before it starts; `doctor` reports each and `doctor --fix`
 * repairs them.
 */
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { readSection } from '../../platform/section-text.js';
import { projectName } from '../docker/compose-runner.js';
import { explainEngineError } from '../docker/client.js';

export type FindingKind =
  | 'duplicate-network'
  | 'unknown-container'
  | 'duplicate-container'
  | 'stuck-container'
  | 'hosts-section';

export interface Finding {
  kind: FindingKind;
  /** What is wrong, for a person. */
  found: string;
  /** What the repair does. */
  fix: string;
  /** Repairs it; resolves with what was done. */
  repair: () => Promise<string>;
}

export interface HostsView {
  file: string;
  /** The entries the compiled stack wants. */
  entries: { ip: string; hostname: string }[];
  apply: (entries: { ip: string; hostname: string }[]) => Promise<unknown>;
}

export interface HealInput {
  docker: Docker;
  /** The Compose services the compiled project has (apps, services, the router). */
  services: string[];
  /** Checked only when given and the stack runs. */
  hosts?: HostsView | undefined;
}

const COMPOSE = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  network: 'com.docker.compose.network',
};

/** The engine's name for the project's network. */
export const projectNetwork = () => `${projectName()}_dusty`;

const short = (id: string) => id.slice(0, 12);

/** Everything wrong with the project's engine state; reads only. */
export async function findBrokenState(input: HealInput): Promise<Finding[]> {
  const { docker } = input;
  let containers: Docker.ContainerInfo[];
  let networks: Docker.NetworkInspectInfo[];
  try {
    [containers, networks] = await Promise.all([
      docker.listContainers({
        all: true,
        filters: { label: [`${COMPOSE.project}=${projectName()}`] },
      }),
      docker.listNetworks({ filters: { name: [projectNetwork()] } }),
    ]);
  } catch (e) {
    throw explainEngineError(e);
  }
  const findings: Finding[] = [];
  findings.push(...duplicateNetworks(docker, containers, networks));
  const removed = new Set<string>();
  const remove = (c: Docker.ContainerInfo, kind: FindingKind, found: string, fix: string) => {
    if (removed.has(c.Id)) return;
    removed.add(c.Id);
    findings.push({
      kind,
      found,
      fix,
      repair: async () => {
        await docker
          .getContainer(c.Id)
          .remove({ force: true, v: false })
          .catch((e: { statusCode?: number }) => {
            if (e.statusCode !== 404) throw e;
          });
        return `removed container ${nameOf(c)} (${short(c.Id)})`;
      },
    });
  };
  const known = new Set(input.services);
  for (const c of containers) {
    const service = c.Labels[COMPOSE.service];
    if (!service || !known.has(service))
      remove(
        c,
        'unknown-container',
        `container ${nameOf(c)} belongs to the project but to no app or service of the active bundles (${service ?? 'no service label'}, ${c.State})`,
        `remove container ${nameOf(c)}`,
      );
    else if (c.State === 'created' || c.State === 'dead')
      remove(
        c,
        'stuck-container',
        `container ${nameOf(c)} of ${service} is stuck in "${c.State}"`,
        `remove container ${nameOf(c)} (\`dusty up\` creates it again)`,
      );
  }
  for (const [service, list] of groupBy(containers, (c) => c.Labels[COMPOSE.service])) {
    if (!service || !known.has(service) || list.length < 2) continue;
    const keep = pickContainer(list);
    for (const c of list)
      if (c !== keep)
        remove(
          c,
          'duplicate-container',
          `${service} has ${list.length} containers (${list.map(nameOf).join(', ')}); keeping ${nameOf(keep)}`,
          `remove container ${nameOf(c)}`,
        );
  }
  const running = containers.some((c) => c.State === 'running');
  if (input.hosts && running) {
    const f = await hostsFinding(input.hosts);
    if (f) findings.push(f);
  }
  return findings;
}

/** Repairs every finding in order; resolves with what was done. */
export async function heal(findings: Finding[]): Promise<string[]> {
  const done: string[] = [];
  // Containers first: a network cannot be removed while a removed container still holds it.
  const order: FindingKind[] = [
    'unknown-container',
    'duplicate-container',
    'stuck-container',
    'duplicate-network',
    'hosts-section',
  ];
  for (const kind of order)
    for (const f of findings.filter((x) => x.kind === kind)) done.push(await f.repair());
  return done;
}

function nameOf(c: Docker.ContainerInfo): string {
  return (c.Names[0] ?? short(c.Id)).replace(/^\//, '');
}

function groupBy<T>(list: T[], key: (t: T) => string | undefined): Map<string | undefined, T[]> {
  const m = new Map<string | undefined, T[]>();
  for (const t of list) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
  return m;
}

/** The container to keep of several for one service: running first, then the newest. */
function pickContainer(list: Docker.ContainerInfo[]): Docker.ContainerInfo {
  return [...list].sort(
    (a, b) =>
      Number(b.State === 'running') - Number(a.State === 'running') || b.Created - a.Created,
  )[0]!;
}

/**
 * Several networks named like the project's: keep the one the project's
 * containers (running or not) are attached to, else the one Compose labelled,
 * else the oldest; remove the others, detaching whatever still holds them.
 */
function duplicateNetworks(
  docker: Docker,
  containers: Docker.ContainerInfo[],
  all: Docker.NetworkInspectInfo[],
): Finding[] {
  const name = projectNetwork();
  const same = all.filter((n) => n.Name === name);
  if (same.length < 2) return [];
  const uses = new Map<string, number>();
  for (const c of containers)
    for (const net of Object.values(c.NetworkSettings?.Networks ?? {}))
      if (net.NetworkID) uses.set(net.NetworkID, (uses.get(net.NetworkID) ?? 0) + 1);
  const labelled = (n: Docker.NetworkInspectInfo) =>
    Number(n.Labels?.[COMPOSE.project] === projectName() && Boolean(n.Labels?.[COMPOSE.network]));
  const keep = [...same].sort(
    (a, b) =>
      (uses.get(b.Id) ?? 0) - (uses.get(a.Id) ?? 0) ||
      labelled(b) - labelled(a) ||
      Date.parse(a.Created) - Date.parse(b.Created),
  )[0]!;
  return same
    .filter((n) => n.Id !== keep.Id)
    .map((n) => ({
      kind: 'duplicate-network' as const,
      found: `${same.length} networks are named ${name} (${same.map((x) => short(x.Id)).join(', ')}), so Compose calls it ambiguous; keeping ${short(keep.Id)}${uses.get(keep.Id) ? `, which ${uses.get(keep.Id)} container(s) use` : ''}`,
      fix: `remove network ${short(n.Id)}`,
      repair: async () => {
        const net = docker.getNetwork(n.Id);
        const info = await net.inspect();
        for (const id of Object.keys(info.Containers ?? {}))
          await net.disconnect({ Container: id, Force: true }).catch(() => undefined);
        await net.remove().catch((e: { statusCode?: number }) => {
          if (e.statusCode !== 404) throw e;
        });
        return `removed the duplicate network ${name} (${short(n.Id)})`;
      },
    }));
}

/** The hosts section when it does not hold exactly the running stack's entries. */
async function hostsFinding(hosts: HostsView): Promise<Finding | undefined> {
  let lines: string[];
  try {
    lines = readSection(await readFile(hosts.file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    lines = [];
  }
  const norm = (l: string) => l.trim().split(/\s+/).join(' ').toLowerCase();
  const have = new Set(lines.map(norm).filter((l) => l && !l.startsWith('#')));
  const want = new Set(hosts.entries.map((e) => norm(`${e.ip} ${e.hostname}`)));
  const missing = [...want].filter((l) => !have.has(l));
  const extra = [...have].filter((l) => !want.has(l));
  if (!missing.length && !extra.length) return undefined;
  return {
    kind: 'hosts-section',
    found:
      `Dusty's section of ${hosts.file} disagrees with the running stack:` +
      (missing.length ? ` missing ${missing.join(', ')}` : '') +
      (missing.length && extra.length ? ';' : '') +
      (extra.length ? ` not in the stack ${extra.join(', ')}` : ''),
    fix: `rewrite Dusty's section of ${hosts.file}`,
    repair: async () => {
      await hosts.apply(hosts.entries);
      return `rewrote Dusty's section of ${hosts.file} (${hosts.entries.length} host name(s))`;
    },
  };
}
