/**
 * One-way copies of a local folder to the remote host with rsync over the
 * system's ssh (so ~/.ssh/config applies). Nothing is ever copied back.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellJoin, shellQuote } from '../../src-shared/shell-quote.js';
import {
  describeTarget,
  endWithProcess,
  SshError,
  type SshSession,
  type SshTarget,
} from './ssh.js';

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
  /**
   * Only these paths (relative to `local`), each sent whatever its size and
   * time say, and deleted there when gone here: what a watcher saw change.
   * rsync's usual check (same size, same whole second) would skip a second
   * save of a same-sized file within one second. Without it, the whole folder.
   */
  files?: readonly string[];
}

/** rsync's "some files vanished before they could be transferred": they are gone, as wanted. */
const VANISHED = 24;

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

/** rsync's arguments for a job; the exclude list goes on its stdin (`--exclude-from=-`), the file list in `filesFrom`. */
export function rsyncArgs(job: RsyncJob, filesFrom?: string): string[] {
  const host = job.target.host.includes(':') ? `[${job.target.host}]` : job.target.host;
  return [
    '--archive',
    '--compress',
    // A link that goes quiet fails the copy rather than hanging `up`.
    '--timeout=60',
    // rsync 3.2.3's --mkpath is not everywhere; the remote shell makes the folder.
    ...(job.createRemote === false
      ? []
      : [`--rsync-path=mkdir -p ${shellQuote(job.remote)} && rsync`]),
    '--exclude=.git/',
    '--exclude-from=-',
    ...(job.deleteMissing ? ['--delete'] : []),
    // --files-from turns off -a's -r: a listed new folder is sent whole.
    ...(filesFrom
      ? [`--files-from=${filesFrom}`, '--recursive', '--checksum', '--delete-missing-args']
      : []),
    '-e',
    rsyncShell(job),
    `${job.local.replace(/\/+$/, '')}/`,
    `${host}:${job.remote.replace(/\/+$/, '')}/`,
  ];
}

/**
 * The listed paths rsync should see: an excluded path, or one in an excluded
 * folder, is dropped (rsync applies a folder's exclusion only when it walks
 * into the folder, never to a path named in --files-from).
 */
export function filesToSend(files: readonly string[], exclude: readonly string[]): string[] {
  const excluded = new Set(exclude.map((p) => p.replace(/^\/+|\/+$/g, '')));
  return [...new Set(files)].filter((f) => {
    const parts = f.split('/').filter(Boolean);
    if (!parts.length || parts.includes('.git')) return false;
    for (let i = 1; i <= parts.length; i++)
      if (excluded.has(parts.slice(0, i).join('/'))) return false;
    return true;
  });
}

/** Runs rsync; throws SshError naming the host and the command when it fails. */
export async function rsync(job: RsyncJob, timeoutMs = 600_000): Promise<void> {
  if (!job.files) return runRsync(job, rsyncArgs(job), timeoutMs);
  const exclude = await (job.exclude ?? []);
  const files = filesToSend(job.files, exclude);
  if (!files.length) return;
  const dir = await mkdtemp(join(tmpdir(), 'dusty-rsync-'));
  try {
    const list = join(dir, 'files');
    await writeFile(list, files.join('\n') + '\n');
    await runRsync({ ...job, exclude }, rsyncArgs(job, list), timeoutMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runRsync(job: RsyncJob, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('rsync', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    endWithProcess(child);
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
      if (code === 0 || code === VANISHED) resolve();
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
