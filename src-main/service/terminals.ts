/**
 * Terminal sessions: a shell (or an app's script) with a TTY in a container
 * through the Engine API. Output is batched; the last output is kept in a
 * small ring so a reloaded dashboard can re-attach and replay it. A session
 * left without a viewer is closed after a grace period.
 */
import { StringDecoder } from 'node:string_decoder';
import type { ShellSession } from '../engine/runtime/shell.js';

export interface TerminalSink {
  data(id: string, data: string): void;
  end(id: string, exitCode: number): void;
}

/** Most characters replayed on re-attach. */
export const RING_CHARS = 64 * 1024;

export class TerminalSession {
  private ring = '';
  private pending = '';
  private timer: NodeJS.Timeout | null = null;
  private orphanTimer: NodeJS.Timeout | null = null;
  private decoder = new StringDecoder('utf8');
  private ended = false;
  private exit: number | null = null;
  sink: TerminalSink | null;

  constructor(
    readonly id: string,
    readonly title: string,
    private readonly session: ShellSession,
    sink: TerminalSink | null,
    private readonly onClosed: (id: string) => void,
    private readonly graceMs = 5 * 60_000,
  ) {
    this.sink = sink;
    if (!sink) this.detach();
    session.stream.on('data', (d: Buffer) => this.output(this.decoder.write(d)));
    void session.exitCode().then((code) => {
      this.flush();
      this.ended = true;
      this.exit = code;
      // Without a viewer, keep the output until one attaches (or the grace period ends).
      if (this.sink) {
        this.sink.end(this.id, code);
        this.retire();
      }
    });
  }

  input(data: string): void {
    if (!this.ended) this.session.stream.write(data);
  }

  resize(cols: number, rows: number): Promise<void> {
    return this.session.resize(cols, rows);
  }

  /** Gives the session a new viewer and returns what it printed recently. */
  attach(sink: TerminalSink): string {
    this.sink = sink;
    if (this.orphanTimer) clearTimeout(this.orphanTimer);
    this.orphanTimer = null;
    // The ring already holds anything not yet sent.
    this.pending = '';
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const exit = this.exit;
    if (exit !== null)
      // After the attach answer has gone out.
      setTimeout(() => {
        sink.end(this.id, exit);
        this.retire();
      }, 0);
    return this.ring;
  }

  /** The viewer went away: keep the session for a while in case it comes back. */
  detach(): void {
    this.sink = null;
    this.orphanTimer ??= setTimeout(() => this.close(), this.graceMs);
  }

  close(): void {
    if (!this.ended) {
      this.ended = true;
      // EOF for the shell, then drop the connection, which ends the exec.
      try {
        this.session.stream.write('\x04');
        this.session.stream.end();
      } catch {
        // already closed
      }
      (this.session.stream as unknown as { destroy?: () => void }).destroy?.();
    }
    this.dispose();
  }

  /** An ended session stays attachable for a little while (a reload, a remounted pane), then goes. */
  private retire() {
    if (this.orphanTimer) clearTimeout(this.orphanTimer);
    this.orphanTimer = setTimeout(() => this.dispose(), 30_000);
  }

  private dispose() {
    if (this.timer) clearTimeout(this.timer);
    if (this.orphanTimer) clearTimeout(this.orphanTimer);
    this.onClosed(this.id);
  }

  private output(s: string) {
    if (!s) return;
    this.ring = (this.ring + s).slice(-RING_CHARS);
    if (!this.sink) return;
    this.pending += s;
    this.timer ??= setTimeout(() => this.flush(), 15);
  }

  private flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending || !this.sink) return;
    const data = this.pending;
    this.pending = '';
    this.sink.data(this.id, data);
  }
}
