/**
 * Keeps the health picture current for every front door: what each URL of a
 * running app answers through the router (probed on container changes, and
 * every few seconds while a dashboard or the tray menu shows it), and the
 * overall state from the one classifier. Tells viewers when either changes,
 * and notifies when a URL stops answering.
 */
import type Docker from 'dockerode';
import type {
  ContainerRow,
  HealthState,
  Notice,
  OperationState,
  UrlCheck,
} from '../../src-shared/api/contract.js';
import { classifyHealth } from '../../src-shared/health.js';
import { stoppedOnPurpose } from '../engine/runtime/health.js';
import { probeUrls } from '../engine/runtime/probe.js';
import type { EngineEvent } from './container-watcher.js';

export interface HealthMonitorDeps {
  docker: Docker;
  /** Where the router listens, or undefined before the plan is known. */
  address: () => string | undefined;
  rows: () => ContainerRow[];
  operation: () => OperationState | null;
  /** True for a container Dusty itself is stopping or restarting. */
  expectedStop: (name: string) => boolean;
  onChange: (h: HealthState) => void;
  notify: (n: Notice) => void;
  /** Milliseconds between probes while someone watches. */
  intervalMs?: number;
}

/** How soon after a container change its URLs are probed (changes come in bursts). */
const SETTLE_MS = 300;

export class HealthMonitor {
  state: HealthState = {
    overall: { level: 'grey', word: 'stopped', summary: 'nothing is running', broken: [] },
    urls: [],
  };
  private readonly checks = new Map<string, UrlCheck>();
  private readonly onPurpose = new Set<string>();
  private viewers = 0;
  private interval: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;
  private again = false;
  private json = '';
  private disposed = false;

  constructor(private readonly deps: HealthMonitorDeps) {}

  /** Learns which exited containers were stopped on purpose before Dusty was watching. */
  async start(): Promise<void> {
    const exited = this.deps
      .rows()
      .filter((r) => r.state === 'exited' && r.id)
      .map((r) => ({ name: r.name, id: r.id! }));
    for (const n of await stoppedOnPurpose(this.deps.docker, exited)) this.onPurpose.add(n);
    this.recompute();
    this.probeSoon(0);
  }

  dispose(): void {
    this.disposed = true;
    if (this.interval) clearInterval(this.interval);
    if (this.soon) clearTimeout(this.soon);
  }

  /** Someone shows the URLs (a dashboard, the tray menu): probe every few seconds until the returned function is called. */
  watch(): () => void {
    this.viewers++;
    if (!this.interval && !this.disposed) {
      this.interval = setInterval(() => this.probeSoon(0), this.deps.intervalMs ?? 5000);
      this.probeSoon(0);
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.viewers === 0 && this.interval) {
        clearInterval(this.interval);
        this.interval = null;
      }
    };
  }

  /** An engine event: a stop through the API is on purpose, a start clears that. */
  engineEvent(ev: EngineEvent): void {
    const service = ev.Actor?.Attributes?.['com.docker.compose.service'];
    const action = ev.Action ?? ev.status ?? '';
    if (!service) return;
    if (action === 'stop') this.onPurpose.add(service);
    else if (action === 'start') this.onPurpose.delete(service);
  }

  /** The containers or the operation changed: classify again now, probe shortly. */
  changed(): void {
    this.recompute();
    this.probeSoon(SETTLE_MS);
  }

  /** Answers probed elsewhere (at the end of `up`). */
  setChecks(checks: readonly UrlCheck[]): void {
    for (const c of checks) this.checks.set(c.url, c);
    this.recompute();
  }

  /** Probes the URLs of running apps now (coalescing overlapping calls). */
  probeNow(): Promise<void> {
    if (this.probing) {
      this.again = true;
      return this.probing;
    }
    this.probing = (async () => {
      do {
        this.again = false;
        const address = this.deps.address();
        const urls = this.urlsToProbe();
        if (!address || !urls.length) break;
        const results = await probeUrls(urls, { address, timeoutMs: 3000 });
        for (const c of results) this.checks.set(c.url, c);
        this.recompute();
      } while (this.again && !this.disposed);
      this.probing = null;
    })();
    return this.probing;
  }

  /** Classifies again and tells viewers if anything changed. */
  recompute(): void {
    const rows = this.deps.rows();
    const running = new Set(rows.filter((r) => r.state === 'running').map((r) => r.name));
    const expected = rows.flatMap((r) => (running.has(r.name) ? r.urls : []));
    // Answers of stopped apps and of URLs no longer planned are forgotten.
    for (const [url, c] of this.checks)
      if (!running.has(c.app) || !rows.some((r) => r.urls.includes(url))) this.checks.delete(url);
    const urls = expected.flatMap((u) => this.checks.get(u) ?? []);
    const purpose = new Set(this.onPurpose);
    for (const r of rows) if (this.deps.expectedStop(r.name)) purpose.add(r.name);
    const overall = classifyHealth({
      containers: rows,
      urls,
      expectedUrls: expected,
      operation: this.deps.operation(),
      stoppedOnPurpose: purpose,
    });
    const next: HealthState = { overall, urls };
    // `ms` and `at` change on every probe; only a different answer or state is news.
    const json = JSON.stringify({ overall, urls: urls.map((u) => [u.url, u.ok, u.status]) });
    if (json === this.json) {
      this.state = next;
      return;
    }
    const before = this.state;
    this.json = json;
    this.state = next;
    this.announce(before, next);
    this.deps.onChange(next);
  }

  private announce(before: HealthState, after: HealthState) {
    const was = new Set(before.overall.broken);
    for (const u of after.urls)
      if (!u.ok && after.overall.broken.includes(u.url) && !was.has(u.url))
        this.deps.notify({
          level: 'error',
          title: `${u.app} does not answer`,
          body: `${u.url}: ${u.error ?? 'no answer'}`,
          at: Date.now(),
        });
  }

  private urlsToProbe(): { app: string; url: string }[] {
    return this.deps
      .rows()
      .filter((r) => r.state === 'running')
      .flatMap((r) => r.urls.map((url) => ({ app: r.name, url })));
  }

  private probeSoon(ms: number) {
    if (this.disposed) return;
    if (this.soon) clearTimeout(this.soon);
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.probeNow();
    }, ms);
  }
}
