/**
 * One client connection: who it is, its request lines in order, one answer
 * each. Reading stops while the client is not reading its answers or has
 * too many lines waiting (backpressure), so no client can make the helper
 * hold more than a bounded amount for it.
 */
import type net from 'node:net';
import type { HelperResponse } from '../../src-shared/helper-protocol.js';
import { LineReader } from './line-reader.js';

/** What a connection needs from the server. */
export interface ConnectionDeps {
  /** The caller's uid when it may use the helper, null when it may not. */
  authorise(socket: net.Socket): Promise<number | null>;
  /** Audits a refused caller and returns the answer it gets before the hang-up. */
  refuse(): Promise<HelperResponse>;
  /** Answers one request line (never throws for a bad request). */
  answer(line: string, uid: number): Promise<HelperResponse>;
  /** Called after each answer is written (the server stops after `uninstall`). */
  afterAnswer(): void;
  idleMs: number;
  maxLineBytes: number;
  /** Lines read and not yet answered before reading pauses. */
  maxPendingLines?: number;
}

/** How long the caller lookup may take before the connection is dropped. */
const LOOKUP_LIMIT_MS = 60_000;

/** Serves `socket` (created paused) until it closes. */
export function serveConnection(socket: net.Socket, deps: ConnectionDeps): void {
  new Connection(socket, deps).start();
}

class Connection {
  private readonly reader: LineReader;
  private readonly maxPending: number;
  private pending: string[] = [];
  /** The caller's uid once authorised; undefined while the lookup runs. */
  private uid: number | undefined;
  private busy = false;
  private done = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.reader = new LineReader(deps.maxLineBytes);
    this.maxPending = deps.maxPendingLines ?? 16;
  }

  start(): void {
    const { socket } = this;
    socket.on('error', () => undefined);
    // A generous bound on the lookup itself, so a stuck lookup cannot pin the socket.
    socket.on('timeout', () => socket.destroy());
    socket.setTimeout(LOOKUP_LIMIT_MS);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    void this.deps.authorise(socket).then(
      (uid) => this.onAuthorised(uid),
      () => this.onAuthorised(null),
    );
  }

  private onAuthorised(uid: number | null): void {
    if (uid === null) {
      void this.deps.refuse().then((response) => this.hangUp(response));
      return;
    }
    this.uid = uid;
    // The idle clock starts once the caller is known: the lookup is our time, not theirs.
    this.socket.setTimeout(this.deps.idleMs);
    this.updateFlow();
    void this.pump();
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    const { lines, tooLong } = this.reader.push(chunk);
    if (tooLong) {
      this.hangUp(lineTooLong(this.reader.maxBytes));
      return;
    }
    for (const line of lines) {
      const text = line.toString('utf8').replace(/\r$/, '');
      if (text.trim() !== '') this.pending.push(text);
    }
    this.updateFlow();
    void this.pump();
  }

  /** Reads only while the caller is known, few lines wait, and our answers are being read. */
  private updateFlow(): void {
    if (this.done) return;
    const hold =
      this.uid === undefined ||
      this.pending.length >= this.maxPending ||
      this.socket.writableNeedDrain;
    if (hold) this.socket.pause();
    else this.socket.resume();
  }

  private async pump(): Promise<void> {
    if (this.busy || this.uid === undefined || this.done) return;
    this.busy = true;
    // Waiting for our answer is not idling: no idle clock while a request is in hand.
    this.socket.setTimeout(0);
    try {
      for (let line = this.pending.shift(); line !== undefined; line = this.pending.shift()) {
        this.updateFlow();
        const response = await this.deps.answer(line, this.uid).catch(internalError);
        if (this.done) return;
        this.send(response);
        this.deps.afterAnswer();
        if (this.socket.writableNeedDrain && !(await this.drained())) return;
      }
    } finally {
      this.busy = false;
      if (!this.done) this.socket.setTimeout(this.deps.idleMs);
      this.updateFlow();
    }
  }

  /** Waits until the caller reads what we sent; false if it hangs up first. */
  private drained(): Promise<boolean> {
    const { socket } = this;
    this.updateFlow();
    // A caller that never reads is idle: the idle clock runs while we wait for it.
    socket.setTimeout(this.deps.idleMs);
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        if (ok) socket.setTimeout(0);
        resolve(ok);
      };
      const onDrain = () => finish(true);
      const onClose = () => finish(false);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
  }

  private send(response: HelperResponse): void {
    const { socket } = this;
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(response)}\n`);
  }

  private hangUp(response: HelperResponse): void {
    this.done = true;
    this.pending = [];
    this.send(response);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

function internalError(err: unknown): HelperResponse {
  return {
    id: null,
    ok: false,
    error: { code: 'internal', message: String((err as Error)?.message ?? err) },
  };
}

function lineTooLong(max: number): HelperResponse {
  return {
    id: null,
    ok: false,
    error: { code: 'line_too_long', message: `a request line is longer than ${max} bytes` },
  };
}
