/**
 * Following operations run by other processes (a terminal's `up` seen from
 * the dashboard or the tray): the lock says who runs, the progress file says
 * how far it got and, once it is released, how it ended.
 */
import type { OpLock, OpProgress } from './lock.js';

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
    const holder = await lock.holder();
    const p = await lock.progress();
    if (holder && holder.pid !== process.pid) {
      const current: OpProgress =
        p && p.pid === holder.pid && p.startedAt >= holder.startedAt - 1000
          ? p
          : {
              pid: holder.pid,
              op: holder.op,
              door: holder.door,
              startedAt: holder.startedAt,
              status: 'running',
              step: 'starting',
              lines: [],
              containers: [],
              warnings: [],
              urls: [],
            };
      show(current);
      return;
    }
    if (!shown || shown.status !== 'running') return;
    // It ended: its last word is in the progress file, unless it died without one.
    const ended: OpProgress =
      p && p.pid === shown.pid && p.status !== 'running'
        ? p
        : {
            ...shown,
            status: 'failed',
            error: `the process (pid ${shown.pid}) ended without saying how`,
            finishedAt: Date.now(),
          };
    show(ended);
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
