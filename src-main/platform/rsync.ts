/**
 * One-way copies of a local folder to the remote host with rsync over the
 * system's ssh (so ~/.ssh/config applies). Nothing is ever copied back.
 */
import { spawn } from 'node:child_process';
import { shellJoin, shellQuote } from '../../src-shared/shell-quote.js';
import { describeTarget, SshError, type SshSession, type SshTarget } from './ssh.js';

export interface RsyncJob {
  target: SshTarget;
  /** Local folder; its contents are copied. */
  local: string;
  /** Absolute folder on the remote host; created when missing. */
  remote: string;
  /**
   * Paths relative to `local` not to copy (and not to delete there); a trailing / marks a folder.
   * A promise is fine: rsync starts meanwhile (each process start counts on a busy machine).
   */
  exclude?: readonly string[] | Promise<readonly string[]>;
  /** Make the remote folder first (the first copy); the watcher's later copies skip that step. */
  createRemote?: boolean;
  /** Delete remote files that are gone here (not the excluded ones). */
  deleteMissing?: boolean;
  session?: SshSession | undefined;
}

/** The ssh command line rsync runs (`-e`), with the options a session needs. */
export function rsyncShell(job: Pick<RsyncJob, 'target' | 'session'>): string {
  const opts = [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
    ...(job.target.port ? ['-p', String(job.target.port)] : []),
    ...(job.target.user ? ['-l', job.target.user] : []),
    ...(job.session?.options() ?? []),
  ];
  return shellJoin(['ssh', ...opts]);
}

/** rsync's arguments for a job; the exclude list goes on its stdin (`--exclude-from=-`). */
export function rsyncArgs(job: RsyncJob): string[] {
  const host = job.target.host.includes(':') ? `[${job.target.host}]` : job.target.host;
  return [
    '--archive',
    '--compress',
    // rsync 3.2.3's --mkpath is not everywhere; the remote shell makes the folder.
    ...(job.createRemote === false
      ? []
      : [`--rsync-path=mkdir -p ${shellQuote(job.remote)} && rsync`]),
    '--exclude=.git/',
    '--exclude-from=-',
    ...(job.deleteMissing ? ['--delete'] : []),
    '-e',
    rsyncShell(job),
    `${job.local.replace(/\/+$/, '')}/`,
    `${host}:${job.remote.replace(/\/+$/, '')}/`,
  ];
}

/** Runs rsync; throws SshError naming the host and the command when it fails. */
export function rsync(job: RsyncJob, timeoutMs = 600_000): Promise<void> {
  const args = rsyncArgs(job);
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      stderr += `\n(not finished within ${timeoutMs / 1000}s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    const command = `rsync ${job.local}/ to ${describeTarget(job.target)}:${job.remote}/`;
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(
        new SshError(job.target, command, {
          code: 127,
          stdout: '',
          stderr: `cannot run rsync here (${e.message}): install rsync`,
        }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new SshError(job.target, command, {
            code: code ?? 255,
            stdout: '',
            stderr: explainRsync(code ?? 255, stderr),
          }),
        );
    });
    child.stdin.on('error', () => {});
    Promise.resolve(job.exclude ?? []).then(
      (list) => {
        const excludes = list.map((p) => `/${p.replace(/^\/+/, '')}`);
        child.stdin.end(excludes.join('\n') + (excludes.length ? '\n' : ''));
      },
      (e: unknown) => {
        stderr += `\n${(e as Error).message}`;
        child.kill('SIGKILL');
      },
    );
  });
}

/** rsync's exit codes that have a clear fix. */
function explainRsync(code: number, stderr: string): string {
  const text = stderr.trim();
  if (/rsync: (command )?not found|rsync: No such file/i.test(text) || code === 127)
    return `${text} (install rsync on the remote host)`;
  return text;
}
