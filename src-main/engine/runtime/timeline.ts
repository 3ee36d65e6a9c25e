/**
 * Collects `up`'s timeline from what already happens: image pulls, Compose's
 * output lines (builds, and when it begins creating a container), the
 * engine's own events (created, started, healthy, died, with the engine's
 * timestamps), the start script's `once` markers in the logs, and the first
 * URL answer. Pure apart from the clock it is given.
 */
import type { PhaseSpan, UpPhase, UpTimeline } from '../../../src-shared/timeline.js';

/** The parts of an engine event the recorder reads. */
export interface TimelineEngineEvent {
  Action?: string;
  status?: string;
  time?: number;
  timeNano?: number;
  Actor?: { Attributes?: Record<string, string> };
}

/** What the start script prints around `once` (see compiler/start-script.ts). */
export const ONCE_BEGIN_LINE = '[dusty] running once commands';
export const ONCE_END_LINE = '[dusty] once commands done';

export class TimelineRecorder {
  private readonly spans = new Map<string, PhaseSpan[]>();
  private finishedAt: number | null = null;
  private building: string | null = null;

  constructor(
    names: readonly string[],
    private readonly project: string,
    private readonly now: () => number = Date.now,
    private readonly startedAt = now(),
    private readonly onChange: () => void = () => {},
  ) {
    for (const n of names) this.spans.set(n, []);
  }

  /** Opens a phase (closing the container's other open phases there). */
  begin(name: string, phase: UpPhase, at = this.now(), note?: string): void {
    let list = this.spans.get(name);
    if (!list || this.finishedAt !== null) return;
    if (list.some((p) => p.phase === phase)) return;
    // Waiting for an answer starts again once `once` is over.
    if (phase === 'once') this.spans.set(name, (list = list.filter((p) => p.phase !== 'ready')));
    for (const p of list) if (p.end === null) p.end = Math.max(p.start, at);
    list.push({ phase, start: at, end: null, ...(note ? { note } : {}) });
    this.onChange();
  }

  /** Closes a phase; one never opened becomes a zero-length mark at `at`. */
  end(name: string, phase: UpPhase, at = this.now(), note?: string): void {
    const list = this.spans.get(name);
    if (!list || this.finishedAt !== null) return;
    let span = list.find((p) => p.phase === phase);
    if (!span) {
      this.begin(name, phase, at);
      span = list.find((p) => p.phase === phase)!;
    }
    if (span.end !== null) return;
    span.end = Math.max(span.start, at);
    if (note) span.note = note;
    this.onChange();
  }

  /** Closes a phase only if it is open (a container left as it was has no phases). */
  endIfOpen(name: string, phase: UpPhase, at = this.now(), note?: string): void {
    if (this.spans.get(name)?.some((p) => p.phase === phase && p.end === null))
      this.end(name, phase, at, note);
  }

  /** True when the container's phase has ended. */
  ended(name: string, phase: UpPhase): boolean {
    return this.spans.get(name)?.some((p) => p.phase === phase && p.end !== null) ?? false;
  }

  /** A Compose output line: `Building web` begins web's image; creating a container begins `create`. */
  composeLine(line: string, at = this.now()): void {
    const text = line.trim();
    const build = /^Building (\S+)$/.exec(text);
    if (build) {
      if (this.building) this.end(this.building, 'image', at);
      this.building = build[1]!;
      this.begin(this.building, 'image', at, 'build');
      return;
    }
    const creating =
      /^(?:Creating|Recreating|Container)\s+(\S+)\s*(?:\.\.\.\s*)?(Creating|Recreate)?$/.exec(text);
    if (!creating) return;
    if (this.building) {
      this.end(this.building, 'image', at);
      this.building = null;
    }
    const name = this.serviceOf(creating[1]!);
    if (name) this.begin(name, 'create', at);
  }

  /** An engine event of one of the project's containers, at the engine's own time. */
  engineEvent(ev: TimelineEngineEvent): void {
    const name = ev.Actor?.Attributes?.['com.docker.compose.service'];
    if (!name || !this.spans.has(name)) return;
    const at = ev.timeNano ? Math.round(ev.timeNano / 1e6) : ev.time ? ev.time * 1000 : this.now();
    const action = ev.Action ?? ev.status ?? '';
    if (action === 'create') {
      this.end(name, 'create', at);
      this.begin(name, 'start', at);
    } else if (action === 'start') {
      this.end(name, 'start', at);
      this.begin(name, 'ready', at);
    } else if (action === 'health_status: healthy') {
      this.end(name, 'ready', at, 'health check');
    } else if (action === 'die') {
      // The old container of a recreate dies while the new one is being created: not this one's end.
      const open = this.spans.get(name)!.find((p) => p.end === null && p.phase !== 'create');
      if (open) this.end(name, open.phase, at, 'the container exited');
    }
  }

  /** A log line of an app's start script: `once` begins and ends between the markers. */
  logLine(name: string, text: string, at: number): void {
    if (text.includes(ONCE_BEGIN_LINE)) this.begin(name, 'once', at);
    else if (text.includes(ONCE_END_LINE)) {
      this.end(name, 'once', at);
      this.begin(name, 'ready', at);
    }
  }

  /** Ends the recording: open phases end now (they lasted the whole `up`). */
  finish(at = this.now()): void {
    if (this.finishedAt !== null) return;
    for (const list of this.spans.values())
      for (const p of list) if (p.end === null) p.end = Math.max(p.start, at);
    this.finishedAt = at;
    this.onChange();
  }

  snapshot(): UpTimeline {
    return {
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      containers: [...this.spans].map(([name, phases]) => ({
        name,
        phases: phases.map((p) => ({ ...p })),
      })),
    };
  }

  /** `<project>_web_1`, `<project>-web-1` or `web` to the service name, if it is one of ours. */
  private serviceOf(container: string): string | undefined {
    if (this.spans.has(container)) return container;
    for (const sep of ['_', '-']) {
      const prefix = `${this.project}${sep}`;
      if (!container.startsWith(prefix)) continue;
      const name = container.slice(prefix.length).replace(/[_-]\d+$/, '');
      if (this.spans.has(name)) return name;
    }
    return undefined;
  }
}
