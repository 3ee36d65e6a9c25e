/**
 * Collects items and hands them over in batches every few tens of
 * milliseconds, keeping at most `cap` items waiting: when the consumer falls
 * behind, the oldest are dropped and counted, so memory stays bounded.
 */
export interface BatcherOptions<T> {
  /** Milliseconds between flushes. */
  interval: number;
  /** Most items kept waiting; older ones are dropped beyond it. */
  cap: number;
  /** Receives a batch; returns false when the consumer is congested (the batch is kept for later). */
  flush: (items: T[], dropped: number) => boolean | void;
  /** Timer functions, replaceable in tests. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export class Batcher<T> {
  private items: T[] = [];
  private dropped = 0;
  private timer: unknown = null;
  private closed = false;

  constructor(private readonly opts: BatcherOptions<T>) {}

  get pending(): number {
    return this.items.length;
  }

  push(...items: T[]): void {
    if (this.closed) return;
    for (const it of items) this.items.push(it);
    const over = this.items.length - this.opts.cap;
    if (over > 0) {
      this.items.splice(0, over);
      this.dropped += over;
    }
    this.schedule();
  }

  /** Hands over everything waiting now; returns whether the consumer took it. */
  flushNow(): boolean {
    this.timer = null;
    if (!this.items.length && !this.dropped) return true;
    const batch = this.items;
    const dropped = this.dropped;
    this.items = [];
    this.dropped = 0;
    if (this.opts.flush(batch, dropped) === false) {
      // Congested: keep the batch (still capped) and try again at the next tick.
      this.items = batch.concat(this.items);
      this.dropped += dropped;
      const over = this.items.length - this.opts.cap;
      if (over > 0) {
        this.items.splice(0, over);
        this.dropped += over;
      }
      this.schedule();
      return false;
    }
    return true;
  }

  close(): void {
    if (this.timer !== null)
      (this.opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout)))(this.timer);
    this.timer = null;
    this.closed = true;
    this.items = [];
  }

  private schedule() {
    if (this.timer !== null || this.closed) return;
    this.timer = (this.opts.setTimer ?? setTimeout)(() => this.flushNow(), this.opts.interval);
  }
}
