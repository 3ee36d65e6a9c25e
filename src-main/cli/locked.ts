/**
 * The terminal's side of the operation lock. The use cases take the lock
 * themselves (service/operations.ts); a command only says how the terminal
 * waits (--no-wait) and what Ctrl-C or SIGTERM does: stop at the next safe
 * point, say what was done and what was not, and exit 130. A second signal
 * leaves at once (the next run takes the lock over).
 */
import { OperationCancelled } from '../engine/ops-lock/index.js';
import { getDusty } from './context.js';
import { dim, red, yellow } from './output.js';

/** The option of every command that takes the lock: `.option(...NO_WAIT)`. */
export const NO_WAIT = [
  '--no-wait',
  'fail at once if another operation is running, instead of waiting',
] as const;

/** Runs a command's work with the terminal's wait and interrupt policy. */
export async function interruptible<T>(
  opts: { wait?: boolean | undefined },
  work: () => Promise<T>,
): Promise<T> {
  const door = getDusty().ctx.door;
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
    ac.abort(new Error(`interrupted (${sig})`));
  };
  door.wait = opts.wait ?? true;
  door.signal = ac.signal;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work();
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
    door.signal = undefined;
  }
}

/** A command action that changes state (settings, bundles, repos, disk): interruptible, waiting. */
export function interruptibleAction<A extends unknown[]>(
  action: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return (...args: A) => interruptible({}, async () => action(...args));
}
