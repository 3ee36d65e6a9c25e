/**
 * Container state from Docker engine events (not polling). An event that
 * says what a known container's state is now (`die`, `start`, a health
 * change) is applied to the last listing at once and pushed, without waiting
 * for the engine to list again (a listing costs tens of milliseconds, more
 * when the machine is busy, and a `kill` event's listing may still be running
 * when its `die` arrives). Every event also triggers one listing, coalesced
 * while one runs, for what events do not carry (ports, new containers).
 */
import type Docker from 'dockerode';
import { projectName } from '../engine/docker/compose-runner.js';
import { listContainers, type ContainerState } from '../engine/runtime/containers.js';

/** The parts of an engine event Dusty reads. */
export interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
}

export interface ContainerWatcherOptions {
  docker: Docker;
  onChange: (containers: Map<string, ContainerState>) => void;
  onEvent?: (event: EngineEvent) => void;
  /** Called when the engine cannot be reached; the watcher keeps retrying. */
  onError?: (error: Error) => void;
  retryMs?: number;
}

export class ContainerWatcher {
  private stream: (NodeJS.ReadableStream & { destroy(): void }) | null = null;
  private stopped = false;
  private refreshing: Promise<void> | null = null;
  private dirty = false;
  private retry: NodeJS.Timeout | null = null;
  private recheck: NodeJS.Timeout[] = [];
  /** What the latest events said about each container (the engine may list a dying container as running for a moment). */
  private readonly recent = new Map<string, { state?: string; health?: string; at: number }>();
  current = new Map<string, ContainerState>();

  constructor(private readonly opts: ContainerWatcherOptions) {}

  /** Subscribes to engine events, then lists once. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.subscribe();
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    for (const t of this.recheck) clearTimeout(t);
    this.stream?.destroy();
    this.stream = null;
  }

  /** Lists the containers now (coalescing calls made while a listing runs). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.dirty = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.dirty = false;
        try {
          this.current = applyRecent(
            await listContainers(this.opts.docker),
            this.recent,
            Date.now(),
          );
          this.opts.onChange(this.current);
        } catch (e) {
          this.opts.onError?.(e as Error);
        }
      } while (this.dirty && !this.stopped);
      this.refreshing = null;
    })();
    return this.refreshing;
  }

  private async subscribe(): Promise<void> {
    try {
      const stream = (await this.opts.docker.getEvents({
        filters: { type: ['container'], label: [`com.docker.compose.project=${projectName()}`] },
      })) as unknown as NodeJS.ReadableStream & { destroy(): void };
      if (this.stopped) return stream.destroy();
      this.stream = stream;
      let partial = '';
      stream.on('data', (d: Buffer) => {
        const parts = (partial + d.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        let any = false;
        let applied = false;
        for (const p of parts) {
          if (!p.trim()) continue;
          any = true;
          try {
            const ev = JSON.parse(p) as EngineEvent;
            this.note(ev);
            applied = this.applyNow(ev) || applied;
            this.opts.onEvent?.(ev);
          } catch {
            // A malformed event still means something changed.
          }
        }
        if (applied) this.opts.onChange(this.current);
        if (any) {
          void this.refresh();
          // And again a little later, once the engine's listing has caught up with its events.
          for (const t of this.recheck) clearTimeout(t);
          // The last one after an event's word has expired, should the engine not have confirmed it.
          this.recheck = [300, 1500, RECENT_MS + 100].map((ms) =>
            setTimeout(() => void this.refresh(), ms),
          );
        }
      });
      const again = () => {
        if (this.stream !== stream) return;
        this.stream = null;
        this.scheduleRetry();
      };
      stream.on('end', again);
      stream.on('close', again);
      stream.on('error', again);
    } catch (e) {
      this.opts.onError?.(e as Error);
      this.scheduleRetry();
    }
  }

  /** Puts what the event says into the last listing; true when that changed it. */
  private applyNow(ev: EngineEvent): boolean {
    const id = ev.Actor?.ID ?? ev.id;
    if (!id) return false;
    const entry = [...this.current].find(([, c]) => c.id === id);
    if (!entry) return false;
    const updated = applyRecent(new Map([entry]), this.recent, Date.now()).get(entry[0])!;
    if (updated.state === entry[1].state && updated.health === entry[1].health) return false;
    this.current = new Map(this.current).set(entry[0], updated);
    return true;
  }

  private note(ev: EngineEvent) {
    const id = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? ev.status ?? '';
    if (!id) return;
    const now = Date.now();
    const prev = this.recent.get(id);
    const state = EVENT_STATES[action] ?? killState(ev);
    const health = /^health_status: (\w+)/.exec(action)?.[1];
    if (state || health)
      this.recent.set(id, {
        ...(prev && now - prev.at < RECENT_MS ? prev : {}),
        ...(state ? { state } : {}),
        ...(health ? { health } : {}),
        at: now,
      });
    for (const [k, v] of this.recent) if (now - v.at > RECENT_MS) this.recent.delete(k);
  }

  private scheduleRetry() {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.subscribe().then(() => this.refresh());
    }, this.opts.retryMs ?? 2000);
  }
}

/** Container states that engine events announce. */
const EVENT_STATES: Record<string, string> = {
  die: 'exited',
  start: 'running',
  restart: 'running',
  pause: 'paused',
  unpause: 'running',
  oom: 'exited',
};
/**
 * A SIGKILL cannot be caught or ignored: the container is gone from that
 * moment, though the engine's `die` event follows only once it has reaped
 * the process (tens to hundreds of milliseconds later on a busy machine).
 */
function killState(ev: EngineEvent): string | undefined {
  const signal = ev.Actor?.Attributes?.signal;
  return (ev.Action ?? ev.status) === 'kill' && (signal === '9' || signal === 'SIGKILL')
    ? 'exited'
    : undefined;
}
/** How long an event's word beats the engine's listing. */
const RECENT_MS = 2000;

/** The listing with what the latest events said about each container, which may be newer. */
export function applyRecent(
  list: Map<string, ContainerState>,
  recent: ReadonlyMap<string, { state?: string; health?: string; at: number }>,
  now: number,
): Map<string, ContainerState> {
  for (const [name, c] of list) {
    const r = recent.get(c.id);
    if (!r || now - r.at > RECENT_MS) continue;
    list.set(name, {
      ...c,
      ...(r.state ? { state: r.state } : {}),
      ...(r.state && r.state !== 'running'
        ? { health: undefined }
        : r.health
          ? { health: r.health }
          : {}),
    });
  }
  return list;
}
