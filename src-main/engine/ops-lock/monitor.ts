/**
 * Following operations run by other processes (a terminal's `up` seen from
 * the dashboard or the tray): the lock says who runs, the progress file says
 * how far it got and, once it is released, how it ended.
 */
import { abandonedProgress, type OpLock, type OpProgress } from './lock.js';

/** Calls `onChange` with another process's operation whenever its progress changes, and once when it ends. */
export function watchOperations(
  lock: OpLock,
  onChange: (p: OpProgress) => void,
  everyMs = 300,
): () => void {
  let shown: OpProgress | undefined;
  let last = '';
  let busy = false;
  const tick = async () => {
    const { holder, running, last: p } = await lock.snapshot();
    if (holder && running && holder.pid !== process.pid) {
      show(running);
      return;
    }
    if (!shown || shown.status !== 'running') return;
    // It ended: its last word is in the progress file, unless it died without one.
    show(
      p && p.pid === shown.pid && p.status !== 'running'
        ? p
        : abandonedProgress(shown, 'ended without saying how', Date.now()),
    );
  };
  const show = (p: OpProgress) => {
    const json = JSON.stringify(p);
    if (json === last) return;
    last = json;
    shown = p;
    onChange(p);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
