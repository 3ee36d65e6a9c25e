/**
 * One state-changing operation at a time per DUSTY_HOME, whichever front door
 * (terminal, dashboard, menubar) and whichever process starts it.
 *
 * The lock is a file holding who holds it (pid, operation, front door, start
 * time), so a waiting process can say whom it waits for. It appears whole or
 * not at all: written to a private temporary file, then hard-linked to its
 * name, which fails when the name exists (the atomic step). proper-lockfile
 * was considered: its lock is a directory judged stale by mtime, which cannot
 * say who holds it nor notice at once that the holder died.
 *
 * A lock whose holder is dead is taken over; a takeover is itself guarded by
 * a directory (mkdir is atomic) so two waiters cannot both remove the stale
 * lock and then remove each other's new one.
 */
import type { OperationKind } from '../../../src-shared/api/contract.js';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../../platform/pid.js';
import { DustyError } from '../errors.js';
import { writeFileAtomic } from '../state/files.js';

/** Where an operation was started. */
export type FrontDoor = 'terminal' | 'dashboard' | 'menubar';

/** The operations that change state: the contract's kinds, so every front door names them alike. */
export type OpName = OperationKind;

export interface LockHolder {
  pid: number;
  op: OpName;
  door: FrontDoor;
  /** Milliseconds since the epoch. */
  startedAt: number;
  host: string;
  /** Child processes (Compose) the holder is waiting on; a successor waits for them too. */
  children?: number[];
}

/** What the holder publishes about its progress, for other front doors to show. */
export interface OpProgress {
  pid: number;
  op: OpName;
  door: FrontDoor;
  startedAt: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  step: string;
  lines: string[];
  containers: { name: string; state: string; health?: string | undefined }[];
  warnings: string[];
  urls: { app: string; url: string }[];
  error?: string | undefined;
  finishedAt?: number | undefined;
}

/**
 * The progress a live holder published, when the file is its own and not a
 * previous run's; until its first write, what the lock alone says.
 */
export function holderProgress(h: LockHolder, p: OpProgress | undefined): OpProgress {
  if (p && p.pid === h.pid && p.startedAt >= h.startedAt - 1000) return p;
  return startingProgress(h);
}

/** What an operation's progress says before its first step. */
function startingProgress(h: LockHolder): OpProgress {
  return {
    pid: h.pid,
    op: h.op,
    door: h.door,
    startedAt: h.startedAt,
    status: 'running',
    step: 'starting',
    lines: [],
    containers: [],
    warnings: [],
    urls: [],
  };
}

/** The outcome of a run whose process ended without writing one (killed, crashed). */
export function abandonedProgress(p: OpProgress, why: string, now: number): OpProgress {
  return { ...p, status: 'failed', error: `the process (pid ${p.pid}) ${why}`, finishedAt: now };
}

/** A request to cancel the running operation, left by `stop` or a signal. */
export interface CancelRequest {
  pid: number;
  op: OpName;
  door: FrontDoor;
  at: number;
}

export interface LockOptions {
  /** Whether a process still exists; injectable for tests. */
  isAlive?: (pid: number) => boolean;
  pollMs?: number;
  /** How long to wait for a dead holder's children before killing them. */
  childGraceMs?: number;
  now?: () => number;
}

const DOOR_WORDS: Record<FrontDoor, string> = {
  terminal: 'a terminal',
  dashboard: 'the dashboard',
  menubar: 'the menubar app',
};

/** "the `up` started by pid 42 12 s ago in the dashboard" */
export function describeHolder(h: LockHolder, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - h.startedAt) / 1000));
  const ago = s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
  return `the \`${h.op}\` started by pid ${h.pid} ${ago} ago in ${DOOR_WORDS[h.door]}`;
}

/** An operation stopped at a safe point: by a signal, or because `stop` asked. */
export class OperationCancelled extends DustyError {
  constructor(
    readonly reason: string,
    readonly done: string[] = [],
    readonly notDone: string[] = [],
  ) {
    super(
      'cancelled',
      `${reason}.` +
        (done.length ? `\nDone: ${done.join('; ')}.` : '\nNothing was changed.') +
        (notDone.length ? `\nNot done: ${notDone.join('; ')}.` : ''),
    );
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export interface AcquireRequest {
  op: OpName;
  door: FrontDoor;
  /** False: fail at once with code `busy` when another operation holds the lock. */
  wait: boolean;
  /** Called once per holder waited for, with a sentence to show. */
  onWait?: (message: string, holder: LockHolder) => void;
  signal?: AbortSignal | undefined;
}

export class OpLock {
  readonly lockPath: string;
  readonly progressPath: string;
  readonly cancelPath: string;
  private readonly isAlive: (pid: number) => boolean;
  private readonly pollMs: number;
  private readonly childGraceMs: number;
  private readonly now: () => number;

  constructor(
    readonly home: string,
    opts: LockOptions = {},
  ) {
    this.lockPath = join(home, 'operation.lock');
    this.progressPath = join(home, 'operation.progress.json');
    this.cancelPath = join(home, 'operation.cancel');
    this.isAlive = opts.isAlive ?? pidAlive;
    this.pollMs = opts.pollMs ?? 200;
    this.childGraceMs = opts.childGraceMs ?? 120_000;
    this.now = opts.now ?? Date.now;
  }

  /** The lock file's content, live or stale. */
  async read(): Promise<LockHolder | undefined> {
    return readJsonFile<LockHolder>(this.lockPath);
  }

  /** The holder when it is alive; a stale lock reads as free. */
  async holder(): Promise<LockHolder | undefined> {
    const h = await this.read();
    return h && this.holderAlive(h) ? h : undefined;
  }

  /** The last published progress (the running operation's, or the last one's outcome). */
  async progress(): Promise<OpProgress | undefined> {
    return readJsonFile<OpProgress>(this.progressPath);
  }

  /**
   * The one reading of the lock and the progress file together: the live
   * holder (if any) with its progress, else the last run's published word.
   */
  async snapshot(): Promise<{ holder?: LockHolder; running?: OpProgress; last?: OpProgress }> {
    const [holder, p] = await Promise.all([this.holder(), this.progress()]);
    if (holder) return { holder, running: holderProgress(holder, p), last: p };
    return p ? { last: p } : {};
  }

  /** Takes the lock, waiting for (or, without `wait`, failing on) a live holder. */
  async acquire(req: AcquireRequest): Promise<OpHandle> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    const me: LockHolder = {
      pid: process.pid,
      op: req.op,
      door: req.door,
      startedAt: this.now(),
      host: hostname(),
    };
    let told: string | undefined;
    for (;;) {
      if (req.signal?.aborted)
        throw new OperationCancelled(`${req.op} was interrupted while waiting`);
      me.startedAt = this.now();
      if (await this.tryLink(me)) {
        await rm(this.cancelPath, { force: true });
        return new OpHandle(this, me);
      }
      const h = await this.read();
      if (!h) continue; // released between our link and our read
      if (!this.holderAlive(h)) {
        await this.takeOverStale(h, req);
        continue;
      }
      if (!req.wait)
        throw new DustyError(
          'busy',
          `${describeHolder(h, this.now())} is still running; wait for it, or run again without --no-wait to wait`,
        );
      const key = `${h.pid}/${h.startedAt}`;
      if (told !== key) {
        told = key;
        req.onWait?.(`waiting for ${describeHolder(h, this.now())}`, h);
      }
      await sleep(this.pollMs);
    }
  }

  /** Asks the running operation to stop at its next safe point; returns its holder. */
  async requestCancel(by: Omit<CancelRequest, 'at'>): Promise<LockHolder | undefined> {
    const h = await this.holder();
    if (!h) return undefined;
    await writeFileAtomic(this.cancelPath, JSON.stringify({ ...by, at: this.now() }));
    return h;
  }

  async cancelRequest(): Promise<CancelRequest | undefined> {
    return readJsonFile<CancelRequest>(this.cancelPath);
  }

  private holderAlive(h: LockHolder): boolean {
    // A lock written on another machine (a shared home folder) cannot be judged: respect it.
    if (h.host && h.host !== hostname()) return true;
    return this.isAlive(h.pid);
  }

  private async tryLink(me: LockHolder): Promise<boolean> {
    const tmp = `${this.lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, JSON.stringify(me), { mode: 0o600 });
    try {
      await link(tmp, this.lockPath);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Removes a dead holder's lock, after its Compose children have finished. */
  private async takeOverStale(stale: LockHolder, req: AcquireRequest) {
    const guard = `${this.lockPath}.takeover`;
    try {
      await mkdir(guard);
    } catch {
      // Another waiter is taking over; a guard left by a crashed waiter expires.
      const st = await stat(guard).catch(() => undefined);
      if (st && this.now() - st.mtimeMs > 30_000) await rmdir(guard).catch(() => undefined);
      await sleep(this.pollMs);
      return;
    }
    try {
      const again = await this.read();
      if (!again || again.pid !== stale.pid || again.startedAt !== stale.startedAt) return;
      await this.waitForChildren(stale, req);
      await unlink(this.lockPath).catch(() => undefined);
      const p = await this.progress();
      if (p && p.pid === stale.pid && p.status === 'running')
        await writeFileAtomic(
          this.progressPath,
          JSON.stringify(abandonedProgress(p, 'ended without finishing', this.now())),
        );
    } finally {
      await rmdir(guard).catch(() => undefined);
    }
  }

  private async waitForChildren(stale: LockHolder, req: AcquireRequest) {
    const alive = () => (stale.children ?? []).filter((c) => this.isAlive(c));
    if (!alive().length) return;
    req.onWait?.(
      `waiting for Compose (pid ${alive().join(', ')}), left running by ${describeHolder(stale, this.now())}, which ended`,
      stale,
    );
    const deadline = this.now() + this.childGraceMs;
    while (alive().length && this.now() < deadline) await sleep(this.pollMs);
    for (const c of alive()) {
      try {
        process.kill(c, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

const PROGRESS_EVERY_MS = 150;

/** A held lock: publishes progress, answers "should I stop?", and releases. */
export class OpHandle {
  private readonly controller = new AbortController();
  private progressState: OpProgress;
  private progressTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private released = false;
  private cancelReason: string | undefined;

  constructor(
    private readonly lock: OpLock,
    readonly holder: LockHolder,
  ) {
    this.progressState = startingProgress(holder);
    this.flushSoon();
  }

  /** Aborted when the operation is cancelled in this process (a signal). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Cancels from inside this process (Ctrl-C, SIGTERM, the dashboard's Stop). */
  cancel(reason: string): void {
    this.cancelReason ??= reason;
    this.controller.abort(new Error(reason));
  }

  /** Why the operation must stop, or undefined to carry on. Reads the cancel file other processes leave. */
  async cancelled(): Promise<string | undefined> {
    if (this.cancelReason) return this.cancelReason;
    const c = await this.lock.cancelRequest();
    if (c && c.at >= this.holder.startedAt) {
      this.cancelReason = `cancelled by the \`${c.op}\` of pid ${c.pid} from ${DOOR_WORDS[c.door]}`;
      this.controller.abort(new Error(this.cancelReason));
    }
    return this.cancelReason;
  }

  /** Updates the published progress (written at most every 150 ms). */
  publish(change: Partial<OpProgress>): void {
    Object.assign(this.progressState, change);
    this.flushSoon();
  }

  get progress(): OpProgress {
    return this.progressState;
  }

  /** Records a child process whose end a successor must wait for, should this process die. */
  async trackChild(pid: number, running: boolean): Promise<void> {
    const list = new Set(this.holder.children ?? []);
    if (running) list.add(pid);
    else list.delete(pid);
    this.holder.children = [...list];
    if (this.released) return;
    // The lock file is ours: rewrite it in place (its name never disappears, so it stays held).
    await writeFileAtomic(this.lock.lockPath, JSON.stringify(this.holder));
  }

  /** Publishes the outcome and lets the next operation run. */
  async release(outcome: Pick<OpProgress, 'status'> & Partial<OpProgress>): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.progressTimer = null;
    Object.assign(this.progressState, outcome, { finishedAt: Date.now() });
    await this.writing;
    await writeFileAtomic(this.lock.progressPath, JSON.stringify(this.progressState)).catch(
      () => undefined,
    );
    const mine = await this.lock.read();
    if (mine?.pid === this.holder.pid && mine.startedAt === this.holder.startedAt)
      await unlink(this.lock.lockPath).catch(() => undefined);
    const c = await this.lock.cancelRequest();
    if (c && c.at >= this.holder.startedAt) await rm(this.lock.cancelPath, { force: true });
  }

  private flushSoon() {
    if (this.progressTimer || this.released) return;
    this.progressTimer = setTimeout(() => {
      this.progressTimer = null;
      if (this.released) return;
      const snapshot = JSON.stringify(this.progressState);
      this.writing = this.writing
        .then(() => writeFileAtomic(this.lock.progressPath, snapshot))
        .catch(() => undefined);
    }, PROGRESS_EVERY_MS);
    this.progressTimer.unref?.();
  }
}
