/**
 * Running a state-changing operation under the per-project lock: every front
 * door calls `runLocked`, so the waiting, the cancelling of a running `up` by
 * `stop`, the published progress and the release happen the same way.
 */
import type { OpLock } from './lock.js';
import {
  describeHolder,
  OperationCancelled,
  type AcquireRequest,
  type OpHandle,
  type OpName,
} from './lock.js';

export * from './lock.js';
export { Steps, type StepPlan } from './steps.js';

/** Operations a later `stop` cancels: the end state is what was asked last. */
const CANCELLED_BY_STOP: OpName[] = ['up', 'restart'];

export interface RunRequest extends AcquireRequest {
  /** Ask a running `up` or `restart` to stop at its next safe point, then run (for `stop`). */
  cancelRunning?: boolean;
  /** The sentence published as the outcome. */
  summary?: (result: unknown) => string;
}

/** Takes the lock, runs `work`, publishes the outcome and releases, whatever happens. */
export async function runLocked<T>(
  lock: OpLock,
  req: RunRequest,
  work: (handle: OpHandle) => Promise<T>,
): Promise<T> {
  if (req.cancelRunning) {
    const h = await lock.holder();
    if (h && CANCELLED_BY_STOP.includes(h.op)) {
      await lock.requestCancel({ pid: process.pid, op: req.op, door: req.door });
      req.onWait?.(`asked ${describeHolder(h)} to stop at its next step`, h);
    }
  }
  const handle = await lock.acquire(req);
  const onAbort = () => handle.cancel(reasonOf(req.signal));
  req.signal?.addEventListener('abort', onAbort, { once: true });
  if (req.signal?.aborted) onAbort();
  try {
    const result = await work(handle);
    await handle.release({
      status: 'succeeded',
      ...(req.summary ? { step: req.summary(result) } : {}),
    });
    return result;
  } catch (e) {
    await handle.release({
      status: e instanceof OperationCancelled ? 'cancelled' : 'failed',
      error: e instanceof Error ? e.message : String(e),
    });
    throw e;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
}

function reasonOf(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'interrupted';
}
export { watchOperations } from './monitor.js';
export { publishUpEvent } from './publish.js';
