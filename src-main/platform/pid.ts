/** Whether a process exists, the one way every part of Dusty asks (locks, sync daemons, test runs). */

/**
 * True while a process with this pid exists, ours or another user's (EPERM
 * means it exists but we may not signal it). A pid that is not a positive
 * integer is never alive: `kill(0, 0)` would test our own process group and
 * `kill(-1, 0)` every process we may signal.
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
