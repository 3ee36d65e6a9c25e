/**
 * Container state from Docker engine events (not polling): every event of the
 * project's containers triggers one listing, coalesced while one is running,
 * so a container killed outside Dusty shows as stopped within a second.
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
          this.current = await listContainers(this.opts.docker);
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
        for (const p of parts) {
          if (!p.trim()) continue;
          any = true;
          try {
            this.opts.onEvent?.(JSON.parse(p) as EngineEvent);
          } catch {
            // A malformed event still means something changed.
          }
        }
        if (any) void this.refresh();
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

  private scheduleRetry() {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.subscribe().then(() => this.refresh());
    }, this.opts.retryMs ?? 2000);
  }
}
