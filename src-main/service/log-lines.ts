/**
 * Turns the Engine API's log stream (8-byte framed when the container has no
 * TTY, raw otherwise; each line prefixed by its timestamp) into lines.
 */
import type { LogLine } from '../../src-shared/api/contract.js';

/** Longest line kept; longer lines are cut so one runaway line cannot fill memory. */
export const MAX_LINE = 16 * 1024;

/** Splits one container's log stream into `LogLine`s, keeping partial frames and lines between chunks. */
export class LogLineParser {
  private frame = Buffer.alloc(0);
  private partial: [string, string] = ['', ''];

  constructor(
    private readonly container: string,
    private readonly tty: boolean,
    private readonly emit: (line: LogLine) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.tty) return this.text(chunk.toString('utf8'), 0);
    let buf = this.frame.length ? Buffer.concat([this.frame, chunk]) : chunk;
    let i = 0;
    while (i + 8 <= buf.length) {
      const len = buf.readUInt32BE(i + 4);
      if (i + 8 + len > buf.length) break;
      this.text(buf.toString('utf8', i + 8, i + 8 + len), buf[i] === 2 ? 1 : 0);
      i += 8 + len;
    }
    buf = buf.subarray(i);
    this.frame = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  /** Emits what is left of an unfinished line. */
  end(): void {
    for (const s of [0, 1] as const) if (this.partial[s]) this.line(this.partial[s], s);
    this.partial = ['', ''];
  }

  private text(s: string, stream: 0 | 1) {
    let start = 0;
    let nl = s.indexOf('\n');
    if (nl === -1) {
      this.partial[stream] = (this.partial[stream] + s).slice(0, MAX_LINE + 64);
      return;
    }
    let first = true;
    while (nl !== -1) {
      let piece = s.slice(start, nl);
      if (first) {
        piece = this.partial[stream] + piece;
        this.partial[stream] = '';
        first = false;
      }
      this.line(piece, stream);
      start = nl + 1;
      nl = s.indexOf('\n', start);
    }
    this.partial[stream] = s.slice(start);
  }

  private line(raw: string, stream: 0 | 1) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    // "2024-05-01T10:00:00.123456789Z text": the engine's timestamp, then the line.
    const sp = raw.indexOf(' ');
    const hasTs = sp > 18 && sp < 40 && raw.charCodeAt(4) === 45 && raw.charCodeAt(10) === 84;
    const t = hasTs ? raw.slice(0, sp) : '';
    let x = hasTs ? raw.slice(sp + 1) : raw;
    if (x.length > MAX_LINE) x = x.slice(0, MAX_LINE) + ' …';
    this.emit(stream ? { c: this.container, t, e: 1, x } : { c: this.container, t, x });
  }
}

/** A sortable key for an RFC 3339 timestamp whose fraction has variable length. */
export function timeKey(t: string): string {
  const dot = t.indexOf('.');
  if (dot === -1) return t.replace('Z', '.000000000Z');
  const z = t.indexOf('Z', dot);
  const frac = t.slice(dot + 1, z === -1 ? undefined : z);
  return t.slice(0, dot + 1) + frac.padEnd(9, '0') + 'Z';
}
