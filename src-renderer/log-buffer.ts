/**
 * The Logs view's memory: a ring of the last `cap` lines (older lines are
 * forgotten, so memory stays bounded however much a container prints) and the
 * positions of the lines that match the current filter.
 */
import type { LogLine } from '../src-shared/api/contract.js';
import { stripAnsi } from './ansi.js';

export class LogBuffer {
  private ring: (LogLine | undefined)[];
  /** Lines ever received; line number `n` lives at `ring[n % cap]` while `n >= total - cap`. */
  total = 0;
  /** Lines the server skipped to keep up. */
  dropped = 0;
  private filterText = '';
  private matches: number[] = [];
  private matchedUpTo = 0;
  private matchStart = 0;

  constructor(readonly cap = 50_000) {
    this.ring = new Array<LogLine | undefined>(cap);
  }

  /** The oldest line number still held. */
  get first(): number {
    return Math.max(0, this.total - this.cap);
  }

  get size(): number {
    return this.total - this.first;
  }

  push(lines: readonly LogLine[], dropped = 0): void {
    this.dropped += dropped;
    for (const l of lines) this.ring[this.total++ % this.cap] = l;
  }

  /** The line with number `n`, if still held. */
  line(n: number): LogLine | undefined {
    return n >= this.first && n < this.total ? this.ring[n % this.cap] : undefined;
  }

  clear(): void {
    this.ring = new Array<LogLine | undefined>(this.cap);
    this.total = 0;
    this.dropped = 0;
    this.matches = [];
    this.matchStart = 0;
    this.matchedUpTo = 0;
  }

  /** Sets the text to filter by (case-insensitive); empty means every line. */
  setFilter(text: string): void {
    const t = text.toLowerCase();
    if (t === this.filterText) return;
    this.filterText = t;
    this.matches = [];
    this.matchStart = 0;
    this.matchedUpTo = this.first;
  }

  get filter(): string {
    return this.filterText;
  }

  /** How many held lines match the filter (all of them when it is empty). */
  matchCount(): number {
    if (!this.filterText) return this.size;
    this.catchUp();
    return this.matches.length - this.matchStart;
  }

  /** The `i`-th matching line's number. */
  matchAt(i: number): number {
    if (!this.filterText) return this.first + i;
    return this.matches[this.matchStart + i] ?? -1;
  }

  /** Lines shown: every held line, or only the matching ones. */
  visibleCount(onlyMatching: boolean): number {
    return onlyMatching ? this.matchCount() : this.size;
  }

  /** The `i`-th shown line's number. */
  visibleAt(i: number, onlyMatching: boolean): number {
    return onlyMatching ? this.matchAt(i) : this.first + i;
  }

  private catchUp() {
    const first = this.first;
    for (let n = Math.max(this.matchedUpTo, first); n < this.total; n++) {
      const l = this.ring[n % this.cap]!;
      if (
        stripAnsi(l.x).toLowerCase().includes(this.filterText) ||
        l.c.toLowerCase().includes(this.filterText)
      )
        this.matches.push(n);
    }
    this.matchedUpTo = this.total;
    while (this.matchStart < this.matches.length && this.matches[this.matchStart]! < first)
      this.matchStart++;
    if (this.matchStart > 4096) {
      this.matches = this.matches.slice(this.matchStart);
      this.matchStart = 0;
    }
  }
}
