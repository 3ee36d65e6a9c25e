/**
 * Where `up`'s time goes: for each container, the phases it went through
 * (getting its image, creating, starting, `once`, its first healthy answer)
 * with their start and end times. The CLI prints it, `up --json` carries it
 * and the dashboard draws it on a time axis.
 */

export type UpPhase = 'image' | 'create' | 'start' | 'once' | 'ready';

export const UP_PHASES: readonly UpPhase[] = ['image', 'create', 'start', 'once', 'ready'];

/** How each phase is named for people. */
export const PHASE_LABELS: Record<UpPhase, string> = {
  image: 'pull/build',
  create: 'create',
  start: 'start',
  once: 'once',
  ready: 'first answer',
};

/** One phase of one container; `end` is null while it runs. Times are epoch ms. */
export interface PhaseSpan {
  phase: UpPhase;
  start: number;
  end: number | null;
  /** What the phase was about, e.g. `pulled busybox:1`, `health check`, `http://web.test answered 200`. */
  note?: string | undefined;
}

export interface ContainerTimeline {
  name: string;
  phases: PhaseSpan[];
}

export interface UpTimeline {
  startedAt: number;
  finishedAt: number | null;
  containers: ContainerTimeline[];
}

/** From a container's first phase's start to its last phase's end (or `now` while one runs). */
export function containerSpan(
  c: ContainerTimeline,
  now: number,
): { start: number; end: number } | null {
  if (!c.phases.length) return null;
  const start = Math.min(...c.phases.map((p) => p.start));
  const end = Math.max(...c.phases.map((p) => p.end ?? now));
  return { start, end };
}

/** The containers with any phase, the slowest (longest from first start to last end) first. */
export function slowestFirst(t: UpTimeline, now = t.finishedAt ?? Date.now()): ContainerTimeline[] {
  const length = (c: ContainerTimeline) => {
    const s = containerSpan(c, now);
    return s ? s.end - s.start : -1;
  };
  return t.containers
    .filter((c) => c.phases.length)
    .sort((a, b) => length(b) - length(a) || a.name.localeCompare(b.name));
}

/** Seconds with one decimal, e.g. `1.4s`. */
export const seconds = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)}s`;

/**
 * The compact terminal timeline: one line per container, slowest first, a bar
 * on a shared time axis (`width` characters for the whole `up`) and each
 * phase's duration.
 */
export function timelineText(t: UpTimeline, width = 30): string[] {
  const end = t.finishedAt ?? Date.now();
  const total = Math.max(1, end - t.startedAt);
  const rows = slowestFirst(t, end);
  if (!rows.length) return [];
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const marks: Record<UpPhase, string> = {
    image: '▒',
    create: '░',
    start: '▓',
    once: '◆',
    ready: '█',
  };
  const col = (at: number) =>
    Math.min(width - 1, Math.max(0, Math.floor(((at - t.startedAt) / total) * width)));
  const lines = rows.map((c) => {
    const bar = Array.from({ length: width }, () => ' ');
    for (const p of c.phases)
      for (let i = col(p.start); i <= col(p.end ?? end); i++) bar[i] = marks[p.phase];
    const span = containerSpan(c, end)!;
    const phases = c.phases
      .map((p) => `${PHASE_LABELS[p.phase]} ${seconds((p.end ?? end) - p.start)}`)
      .join(', ');
    return `${c.name.padEnd(nameWidth)} ${seconds(span.end - span.start).padStart(6)} |${bar.join('')}| ${phases}`;
  });
  const legend = UP_PHASES.map((p) => `${marks[p]} ${PHASE_LABELS[p]}`).join('  ');
  return [...lines, `${' '.repeat(nameWidth)} ${seconds(total).padStart(6)}  ${legend}`];
}
