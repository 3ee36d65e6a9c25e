/**
 * Reaching a remote host the way the docker CLI does: the system's `ssh`, so
 * the person's ~/.ssh/config, keys, agent and known hosts all apply. Used for
 * the engine API (`docker system dial-stdio` on the far end), for rsync, and
 * for the few commands doctor and sync run there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:http';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellJoin } from '../../src-shared/shell-quote.js';
import { Duplex } from 'node:stream';

/** Where ssh connects: the host as written (an alias in ~/.ssh/config is fine), user and port when given. */
export interface SshTarget {
  host: string;
  user?: string | undefined;
  port?: number | undefined;
}

/** The ssh target of an ssh:// endpoint (`ssh://user@host:port`). */
export function parseSshEndpoint(endpoint: string): SshTarget {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`"${endpoint}" is not an ssh:// address (expected ssh://[USER@]HOST[:PORT])`);
  }
  if (url.protocol !== 'ssh:' || !url.hostname)
    throw new Error(`"${endpoint}" is not an ssh:// address (expected ssh://[USER@]HOST[:PORT])`);
  if (url.pathname && url.pathname !== '/')
    throw new Error(`"${endpoint}": an ssh:// DOCKER_HOST takes no path`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    user: url.username ? decodeURIComponent(url.username) : undefined,
    port: url.port ? Number(url.port) : undefined,
  };
}

/** How a person would write the target: user@host:port. */
export function describeTarget(t: SshTarget): string {
  return `${t.user ? `${t.user}@` : ''}${t.host}${t.port ? `:${t.port}` : ''}`;
}

/** The arguments before the remote command, as the docker CLI passes them. */
export function sshArgs(t: SshTarget, options: string[] = []): string[] {
  return [
    ...(t.user ? ['-l', t.user] : []),
    ...(t.port ? ['-p', String(t.port)] : []),
    ...options,
    '--',
    t.host,
  ];
}

/** Options that make ssh fail rather than ask: Dusty has no terminal to ask on. */
const BATCH = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15'];

/**
 * A shared connection notices a dead link (a cable pulled, a VM gone) within
 * about 15 s instead of TCP's minutes; everything riding on it fails then.
 */
export const KEEPALIVE = ['-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3'];

const owned = new Set<ChildProcess>();
let exitHook = false;

/**
 * Ends `child` when this process exits, however it exits (a second Ctrl-C
 * calls process.exit): a shared connection or an rsync must not outlive the
 * command that started it. A signal to this pid alone reaches no child.
 */
export function endWithProcess(child: ChildProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of owned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    });
  }
  owned.add(child);
  child.once('exit', () => owned.delete(child));
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An error that names the host and the command that failed, with ssh's own reason. */
export class SshError extends Error {
  constructor(
    readonly target: SshTarget,
    readonly command: string,
    readonly result: SshResult,
  ) {
    const why = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
    super(
      `on ${describeTarget(target)}, \`${command}\` failed (exit ${result.code})${why ? `: ${why}` : ''}` +
        (result.code === 255
          ? '. ssh could not connect: check `ssh ' +
            describeTarget(target).replace(/:(\d+)$/, ' -p $1') +
            '` works without a password prompt (a key in your agent or ~/.ssh/config)'
          : ''),
    );
  }
}

/**
 * A shared connection (OpenSSH ControlMaster) this process owns: every ssh and
 * rsync started with {@link SshSession.options} rides on it instead of doing
 * its own handshake, which is what keeps a synced change under a second.
 */
export class SshSession {
  private constructor(
    readonly target: SshTarget,
    readonly controlPath: string,
    private readonly master: ChildProcess,
  ) {}

  /** Opens the master connection; throws SshError when ssh cannot connect. */
  static async open(target: SshTarget, timeoutMs = 30_000): Promise<SshSession> {
    // Socket paths are limited to ~100 bytes: a short name in the temp folder.
    const id = createHash('sha256')
      .update(`${describeTarget(target)}:${process.pid}:${Date.now()}:${Math.random()}`)
      .digest('hex')
      .slice(0, 16);
    const controlPath = join(tmpdir(), `dusty-ssh-${id}`);
    const args = sshArgs(target, [
      ...BATCH,
      ...KEEPALIVE,
      '-o',
      'ControlMaster=yes',
      '-o',
      `ControlPath=${controlPath}`,
      '-o',
      'ControlPersist=no',
      '-N',
    ]);
    const master = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    endWithProcess(master);
    let stderr = '';
    master.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => {
      master.on('exit', (code) => resolve(code ?? 255));
      master.on('error', () => resolve(127));
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const code = await Promise.race([exited, sleep(50).then(() => undefined)]);
      if (code !== undefined)
        throw new SshError(target, 'ssh (opening a shared connection)', {
          code,
          stdout: '',
          stderr: code === 127 ? 'the ssh command is not installed' : stderr,
        });
      if (existsSync(controlPath)) break;
      if (Date.now() > deadline) {
        master.kill();
        throw new SshError(target, 'ssh (opening a shared connection)', {
          code: 255,
          stdout: '',
          stderr: `no answer within ${timeoutMs / 1000}s`,
        });
      }
    }
    return new SshSession(target, controlPath, master);
  }

  /** ssh options that use this session's connection. */
  options(): string[] {
    return ['-o', `ControlPath=${this.controlPath}`, '-o', 'ControlMaster=no'];
  }

  /** Whether the master connection is still up (it ends when the network drops). */
  alive(): boolean {
    return this.master.exitCode === null && this.master.signalCode === null;
  }

  /** Stops this process's background hold on the connection so it can exit. */
  unref(): void {
    this.master.unref();
  }

  /** Ends the master connection (its pid is this process's child). */
  async close(): Promise<void> {
    if (!this.alive()) return;
    const gone = new Promise((r) => this.master.once('exit', r));
    this.master.kill('SIGTERM');
    await Promise.race([gone, sleep(2000)]);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command on the remote host; never throws (see {@link runSshChecked}). */
export function runSsh(
  target: SshTarget,
  command: string[],
  opts: { session?: SshSession | undefined; timeoutMs?: number; input?: string } = {},
): Promise<SshResult> {
  return new Promise((resolve) => {
    const args = [
      ...sshArgs(target, [...BATCH, ...(opts.session?.options() ?? [])]),
      // ssh joins its arguments into one command line for the remote shell.
      shellJoin(command),
    ];
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(no answer within ${(opts.timeoutMs ?? 60_000) / 1000}s)`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `cannot run ssh: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a command on the remote host and returns its output; throws SshError naming host and command. */
export async function runSshChecked(
  target: SshTarget,
  command: string[],
  opts: { session?: SshSession | undefined; timeoutMs?: number } = {},
): Promise<string> {
  const result = await runSsh(target, command, opts);
  if (result.code !== 0) throw new SshError(target, command.join(' '), result);
  return result.stdout;
}

/** What `ssh -G` says it would do for the target (host name after aliases, user, port); no connection. */
export async function resolveSshConfig(target: SshTarget): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-G', ...sshArgs(target)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot run ssh: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`ssh -G ${describeTarget(target)} failed: ${err.trim()}`));
        return;
      }
      const conf: Record<string, string> = {};
      for (const line of out.split('\n')) {
        const sp = line.indexOf(' ');
        if (sp > 0) conf[line.slice(0, sp).toLowerCase()] ??= line.slice(sp + 1).trim();
      }
      resolve(conf);
    });
  });
}

/**
 * A stream to the remote engine's API: `ssh HOST docker system dial-stdio`,
 * its stdout read and its stdin written. It passes for a socket as far as
 * Node's HTTP client needs (timeouts, keep-alive, ref/unref).
 */
export class DialStdioSocket extends Duplex {
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(
    readonly target: SshTarget,
    sshOptions: string[] = [],
  ) {
    super({ allowHalfOpen: false });
    const remote = 'docker system dial-stdio';
    this.child = spawn('ssh', [...sshArgs(target, [...BATCH, '-T', ...sshOptions]), remote], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const { stdout, stdin, stderr } = this.child;
    stdout!.on('data', (d: Buffer) => {
      if (!this.push(d)) stdout!.pause();
    });
    // The stream ends only once ssh's exit code is known: an end read first would reach the
    // HTTP client as a bare "socket hang up", losing why ssh failed (refused, no key, no docker).
    let ended = false;
    let exit: number | null | undefined;
    const settle = () => {
      if (!ended || exit === undefined || this.destroyed) return;
      if (exit)
        this.destroy(
          new SshError(target, remote, { code: exit, stdout: '', stderr: this.stderr.trim() }),
        );
      else this.push(null);
    };
    stdout!.on('end', () => {
      ended = true;
      settle();
    });
    stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    stdin!.on('error', () => {});
    this.child.on('error', (e) => this.destroy(e));
    // 'close', not 'exit': by then stderr is read to its end, so the reason is whole.
    this.child.on('close', (code, signal) => {
      exit = code ?? (signal ? 255 : 0);
      settle();
    });
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.child.stdin!.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin!.end(cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill();
    cb(err);
  }

  // What Node's HTTP client calls on a socket; a pipe to ssh has no such knobs.
  setTimeout(_ms: number, cb?: () => void): this {
    if (cb) this.once('timeout', cb);
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    this.child.ref();
    for (const s of [this.child.stdout, this.child.stdin, this.child.stderr])
      (s as unknown as { ref?: () => void } | null)?.ref?.();
    return this;
  }
  unref(): this {
    this.child.unref();
    for (const s of [this.child.stdout, this.child.stdin, this.child.stderr])
      (s as unknown as { unref?: () => void } | null)?.unref?.();
    return this;
  }
}

/**
 * An HTTP agent whose connections are ssh processes running `docker system
 * dial-stdio`, for dockerode. Keep-alive reuses them: one ssh per concurrent
 * request rather than one per request.
 */
export class SshDialAgent extends Agent {
  constructor(
    readonly target: SshTarget,
    private readonly sshOptions: string[] = [],
    opts: AgentOptions = {},
  ) {
    super({ keepAlive: true, keepAliveMsecs: 10_000, maxFreeSockets: 4, ...opts });
  }

  override createConnection(): Duplex {
    return new DialStdioSocket(this.target, this.sshOptions);
  }
}
