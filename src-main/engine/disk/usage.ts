/**
 * What Docker keeps on disk and how much of it is Dusty's, and the clean-ups
 * of exited containers and unused images. Every clean-up is a plan first
 * (exactly what would be removed, and the space it frees), then the removal
 * of exactly that plan.
 */
import type Docker from 'dockerode';
import { pidAlive } from '../../platform/pid.js';
import { projectName } from '../docker/compose-runner.js';
import { explainEngineError } from '../docker/client.js';
import { TEST_LABEL } from '../testing/plan.js';

/** Whether labels mark a container, image, volume or network as Dusty's (this project's). */
export function isDustys(
  labels: Record<string, string> | null | undefined,
  project = projectName(),
): boolean {
  if (!labels) return false;
  return labels['com.docker.compose.project'] === project || labels[TEST_LABEL.project] === project;
}

/** 1.5 GB, 12.0 MB, 300 B. */
export function formatBytes(n: number): string {
  if (n < 0 || !Number.isFinite(n)) return 'unknown';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export interface DiskRow {
  kind: 'images' | 'containers' | 'volumes' | 'build cache';
  count: number;
  size: number;
  dustyCount: number;
  dustySize: number;
  note?: string | undefined;
  /** On the volumes row: each of the project's named volumes (its data), one by one. */
  named?: NamedVolume[] | undefined;
}

/** A named volume of the project (`data:/var/lib/x` in a `compose` block): data, kept until asked. */
export interface NamedVolume {
  name: string;
  /** Bytes, or null when the engine does not report it (a volume driver other than local). */
  size: number | null;
  /** Containers (running or not) that mount it. */
  usedBy: string[];
}

interface DfImage {
  Id: string;
  RepoTags: string[] | null;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
}
interface DfContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Labels: Record<string, string>;
  SizeRw?: number;
  State: string;
  Mounts: { Type: string; Name?: string }[];
}
interface DfVolume {
  Name: string;
  Labels: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}
interface Df {
  LayersSize: number;
  Images: DfImage[] | null;
  Containers: DfContainer[] | null;
  Volumes: DfVolume[] | null;
  BuildCache: { Size: number; InUse: boolean }[] | null;
}

async function df(docker: Docker): Promise<Df> {
  try {
    return (await docker.df()) as Df;
  } catch (e) {
    throw explainEngineError(e);
  }
}

/** Docker names anonymous volumes by 64 hex digits; everything else was named by someone. */
const ANONYMOUS = /^[0-9a-f]{64}$/;

/** The project's named volumes, with their size and the containers that mount them. */
function namedVolumes(d: Df, project: string): NamedVolume[] {
  const containers = d.Containers ?? [];
  return (d.Volumes ?? [])
    .filter((v) => isDustys(v.Labels, project) && !ANONYMOUS.test(v.Name))
    .map((v) => ({
      name: v.Name,
      size: v.UsageData && v.UsageData.Size >= 0 ? v.UsageData.Size : null,
      usedBy: containers
        .filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === v.Name))
        .map((c) => (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const uniqueSize = (i: DfImage) => (i.SharedSize >= 0 ? i.Size - i.SharedSize : i.Size);
const isDustyImage = (i: DfImage, project: string) =>
  isDustys(i.Labels, project) || (i.RepoTags ?? []).some((t) => t.startsWith(`${project}_`));

/** Images, containers, volumes and build cache: count and size, and Dusty's share. */
export async function inspectDisk(docker: Docker, project = projectName()): Promise<DiskRow[]> {
  const d = await df(docker);
  const images = d.Images ?? [];
  const containers = d.Containers ?? [];
  const volumes = d.Volumes ?? [];
  const cache = d.BuildCache ?? [];
  const dustyImages = images.filter((i) => isDustyImage(i, project));
  const dustyContainers = containers.filter((c) => isDustys(c.Labels, project));
  const dustyVolumeNames = new Set(
    dustyContainers.flatMap((c) =>
      c.Mounts.filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!),
    ),
  );
  const dustyVolumes = volumes.filter(
    (v) => isDustys(v.Labels, project) || dustyVolumeNames.has(v.Name),
  );
  const vsize = (v: DfVolume) => Math.max(0, v.UsageData?.Size ?? 0);
  const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
  return [
    {
      kind: 'images',
      count: images.length,
      size: d.LayersSize,
      dustyCount: dustyImages.length,
      dustySize: sum(dustyImages, uniqueSize),
      note: "Dusty's size counts only layers no other image shares",
    },
    {
      kind: 'containers',
      count: containers.length,
      size: sum(containers, (c) => c.SizeRw ?? 0),
      dustyCount: dustyContainers.length,
      dustySize: sum(dustyContainers, (c) => c.SizeRw ?? 0),
    },
    {
      kind: 'volumes',
      count: volumes.length,
      size: sum(volumes, vsize),
      dustyCount: dustyVolumes.length,
      dustySize: sum(dustyVolumes, vsize),
      named: namedVolumes(d, project),
    },
    {
      kind: 'build cache',
      count: cache.length,
      size: sum(cache, (c) => c.Size),
      dustyCount: 0,
      dustySize: 0,
      note: 'the engine does not record who built what; clear it with `docker builder prune`',
    },
  ];
}

/** One thing a clean-up removes. */
export interface CleanupItem {
  id: string;
  name: string;
  /** Bytes freed by removing it (an estimate for images whose layers are shared). */
  size: number;
  detail: string;
  /** What to remove it by: tags for a tagged image (one at a time), else the id. */
  refs: string[];
}

export interface CleanupPlan {
  what: string;
  items: CleanupItem[];
  size: number;
}

const aliveRun = (labels: Record<string, string>) => {
  const pid = Number(labels[TEST_LABEL.pid]);
  return !!labels[TEST_LABEL.run] && pidAlive(pid);
};

/** Exited containers (Dusty's, or with `all` every one) and their anonymous volumes. */
export async function planContainerCleanup(
  docker: Docker,
  opts: { all?: boolean } = {},
  project = projectName(),
): Promise<CleanupPlan> {
  const d = await df(docker);
  const volumes = new Map((d.Volumes ?? []).map((v) => [v.Name, v]));
  const items: CleanupItem[] = [];
  for (const c of d.Containers ?? []) {
    if (c.State !== 'exited' && c.State !== 'dead') continue;
    if (!opts.all && !isDustys(c.Labels, project)) continue;
    // A live test run's once container has exited but is about to be committed.
    if (aliveRun(c.Labels)) continue;
    const anon = c.Mounts.filter((m) => m.Type === 'volume' && m.Name && ANONYMOUS.test(m.Name));
    const volSize = anon.reduce(
      (a, m) => a + Math.max(0, volumes.get(m.Name!)?.UsageData?.Size ?? 0),
      0,
    );
    items.push({
      id: c.Id,
      name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
      size: (c.SizeRw ?? 0) + volSize,
      detail: `${c.Image}${anon.length ? `, ${anon.length} anonymous volume(s)` : ''}`,
      refs: [c.Id],
    });
  }
  return {
    what: opts.all ? 'every exited container' : `Dusty's exited containers (project ${project})`,
    items,
    size: items.reduce((a, i) => a + i.size, 0),
  };
}

/** What a removal did: the items removed and those that failed, with the engine's reason. */
export interface RemovalOutcome {
  removed: CleanupItem[];
  failed: { item: CleanupItem; error: string }[];
}

/** Removes each item of a plan with `remove`, going on past failures. */
async function removeEach(
  plan: CleanupPlan,
  remove: (item: CleanupItem) => Promise<void>,
): Promise<RemovalOutcome> {
  const out: RemovalOutcome = { removed: [], failed: [] };
  for (const item of plan.items) {
    try {
      await remove(item);
      out.removed.push(item);
    } catch (e) {
      out.failed.push({ item, error: (e as Error).message });
    }
  }
  return out;
}

/** Removes exactly the plan's containers, with their anonymous volumes. */
export function removeContainers(docker: Docker, plan: CleanupPlan): Promise<RemovalOutcome> {
  return removeEach(plan, (item) => docker.getContainer(item.id).remove({ v: true }));
}

/**
 * Images no container uses (running or not). By default Dusty's: its testing
 * images and the dangling images it left (both labelled with the project);
 * with `all`, every unused image.
 */
export async function planImageCleanup(
  docker: Docker,
  opts: { all?: boolean } = {},
  project = projectName(),
): Promise<CleanupPlan> {
  const d = await df(docker);
  const used = new Set((d.Containers ?? []).map((c) => c.ImageID));
  const items: CleanupItem[] = [];
  for (const i of d.Images ?? []) {
    if (used.has(i.Id) || i.Containers > 0) continue;
    if (!opts.all && !isDustys(i.Labels, project)) continue;
    const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    items.push({
      id: i.Id,
      name: tags.join(', ') || `<dangling> ${i.Id.replace(/^sha256:/, '').slice(0, 12)}`,
      size: uniqueSize(i),
      detail: i.Labels?.[TEST_LABEL.testing]
        ? `testing image of ${i.Labels[TEST_LABEL.testing]}`
        : tags.length
          ? 'unused'
          : 'dangling',
      refs: tags.length ? tags : [i.Id],
    });
  }
  return {
    what: opts.all
      ? 'every image no container uses (tagged and dangling)'
      : `Dusty's images no container uses: testing images and dangling images labelled ${TEST_LABEL.project}=${project}`,
    items,
    size: items.reduce((a, i) => a + i.size, 0),
  };
}

/** Removes exactly the plan's images (each tag, so an image with several tags goes too). */
export function removeImages(docker: Docker, plan: CleanupPlan): Promise<RemovalOutcome> {
  return removeEach(plan, async (item) => {
    for (const ref of item.refs) await docker.getImage(ref).remove({ noprune: false });
  });
}

/**
 * The project's named volumes no container mounts: the data of `compose`
 * blocks' `name:/path` volumes. Never part of another clean-up's plan, so
 * removing them is always its own question.
 */
export async function planVolumeCleanup(
  docker: Docker,
  project = projectName(),
): Promise<CleanupPlan> {
  const items = namedVolumes(await df(docker), project)
    .filter((v) => !v.usedBy.length)
    .map((v) => ({
      id: v.name,
      name: v.name,
      size: v.size ?? 0,
      detail: 'named volume (its data is lost)',
      refs: [v.name],
    }));
  return {
    what: `Dusty's named volumes no container uses (project ${project})`,
    items,
    size: items.reduce((a, i) => a + i.size, 0),
  };
}

/** Removes exactly the plan's volumes; one a container took meanwhile is refused by the engine and reported. */
export function removeVolumes(docker: Docker, plan: CleanupPlan): Promise<RemovalOutcome> {
  return removeEach(plan, (item) => docker.getVolume(item.id).remove());
}
