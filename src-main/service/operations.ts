/**
 * The one place a state-changing use case takes the operation lock, whichever
 * front door called it: the door's policy says whether to wait and what
 * cancels it. Use cases call `locked` once at their top; one locked use case
 * never calls another (the lock is not re-entrant).
 */
import {
  OperationCancelled,
  runLocked,
  type OpHandle,
  type OpName,
} from '../engine/ops-lock/index.js';
import type { ServiceContext } from './context.js';

export interface LockedOptions<T> {
  /** For `stop`: ask a running `up` or `restart` to stop at its next step first. */
  cancelRunning?: boolean;
  /** The sentence published as the outcome, for other front doors. */
  summary?: (result: T) => string;
  /** Overrides the door's way of saying whom the operation waits for. */
  onWait?: (message: string) => void;
  /** Overrides the door's signal, for a use case that handles its own interruption (tests). */
  signal?: AbortSignal | undefined;
}

export async function locked<T>(
  ctx: ServiceContext,
  op: OpName,
  work: (handle: OpHandle) => Promise<T>,
  opts: LockedOptions<T> = {},
): Promise<T> {
  const { door } = ctx;
  const onWait = opts.onWait ?? door.onWait;
  const signal = opts.signal ?? (door.signal && named(door.signal, op));
  return runLocked(
    ctx.lock,
    {
      op,
      door: door.name,
      wait: door.wait ?? true,
      signal,
      cancelRunning: opts.cancelRunning ?? false,
      ...(onWait ? { onWait: (m: string) => onWait(m) } : {}),
      ...(opts.summary ? { summary: (r: unknown) => opts.summary!(r as T) } : {}),
    },
    async (handle) => {
      const result = await work(handle);
      // An operation without steps of its own ends at its natural safe point: its end.
      const why = await handle.cancelled();
      if (why && door.signal?.aborted) throw new OperationCancelled(why, ['finished it'], []);
      return result;
    },
  );
}

/** The door's signal, its reason prefixed with the operation it interrupts: "`up` interrupted (SIGINT)". */
function named(outer: AbortSignal, op: OpName): AbortSignal {
  const ac = new AbortController();
  const forward = () => {
    const r: unknown = outer.reason;
    const why = r instanceof Error ? r.message : typeof r === 'string' ? r : 'interrupted';
    ac.abort(new Error(`\`${op}\` ${why}`));
  };
  if (outer.aborted) forward();
  else outer.addEventListener('abort', forward, { once: true });
  return ac.signal;
}
