/**
 * A state-changing command under the operation lock, as the terminal needs it:
 * it says whom it waits for (or fails with --no-wait), publishes its progress
 * for the dashboard and the tray, and on Ctrl-C or SIGTERM stops at the next
 * safe point, says what was done and what was not, releases the lock and
 * exits 130. A second signal leaves at once (the next run takes the lock over).
 */
import {
  OperationCancelled,
  OpLock,
  runLocked,
  type OpHandle,
  type OpName,
} from '../engine/ops-lock/index.js';
import { getProject } from './context.js';
import { dim, red, yellow } from './output.js';

/** The option of every command that takes the lock: `.option(...NO_WAIT)`. */
export const NO_WAIT = [
  '--no-wait',
  'fail at once if another operation is running, instead of waiting',
] as const;

export interface CliOperation {
  op: OpName;
  /** False with --no-wait. */
  wait?: boolean | undefined;
  /** For `stop`: ask a running `up` to stop at its next step first. */
  cancelRunning?: boolean;
}

export async function runCliOperation<T>(
  spec: CliOperation,
  work: (handle: OpHandle) => Promise<T>,
): Promise<T> {
  const lock = new OpLock(getProject().store.home);
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(
        red(`\n${sig} again: leaving now; the next \`dusty up\` finishes the job`) + '\n',
      );
      process.exit(130);
    }
    process.stderr.write(
      yellow(`\n${sig}: stopping after the current step (press Ctrl-C again to leave at once)`) +
        '\n',
    );
    ac.abort(new Error(`\`${spec.op}\` interrupted (${sig})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runLocked(
      lock,
      {
        op: spec.op,
        door: 'terminal',
        wait: spec.wait ?? true,
        signal: ac.signal,
        cancelRunning: spec.cancelRunning ?? false,
        onWait: (m) => console.error(dim(`${m}…`)),
      },
      async (handle) => {
        const r = await work(handle);
        // An operation without steps of its own ends at its natural safe point: its end.
        const why = await handle.cancelled();
        if (why && ac.signal.aborted) throw new OperationCancelled(why, ['finished it'], []);
        return r;
      },
    );
    return result;
  } catch (e) {
    if (e instanceof OperationCancelled && ac.signal.aborted) {
      process.stderr.write(yellow(e.message) + '\n');
      if (e.notDone.length) process.stderr.write(dim('Run `dusty up` to finish the job.') + '\n');
      process.exit(130);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A command action run under the lock (short changes: settings, bundles, repos, disk). */
export function lockedAction<A extends unknown[]>(
  op: OpName,
  action: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return (...args: A) => runCliOperation({ op }, async () => action(...args));
}

/** Work under the lock for a command that handles signals itself (`test`). */
export function runLockedQuietly<T>(
  spec: { op: OpName; signal?: AbortSignal },
  work: () => Promise<T>,
): Promise<T> {
  return runLocked(
    new OpLock(getProject().store.home),
    {
      op: spec.op,
      door: 'terminal',
      wait: true,
      signal: spec.signal,
      onWait: (m) => console.error(dim(`${m}…`)),
    },
    work,
  );
}
