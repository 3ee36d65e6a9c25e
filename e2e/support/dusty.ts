/**
 * Runs the built `dusty` CLI against the real Docker engine in an isolated
 * sandbox: its own DUSTY_HOME, Compose project, hosts file, ports and copies
 * of the demo specs and repos (examples/), so tests may change them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateStore } from '../../src-main/engine/state/store.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin', 'dusty.js');

/** The person's own hosts lines: odd whitespace, a comment, no trailing newline. */
export const PERSONAL_HOSTS =
  '127.0.0.1\tlocalhost   \n10.0.0.1   my-own-host  # keep me\n\n# mine';

export const HOSTS_BEGIN = '# BEGIN section for Dusty';
export const HOSTS_END = '# END section for Dusty';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, never throwing on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    // A command may exit without reading its input; that is its answer, not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Collects a spawned command's output until it ends. */
export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }),
    ),
  );
}

/** Fails with the CLI's output when the exit code is not the expected one. */
export function expectCode(r: RunResult, code: number): RunResult {
  if (r.code !== code)
    throw new Error(
      `expected exit code ${code}, got ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  return r;
}

/** Fails with everything the command printed, so a failing test shows why. */
export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0)
    throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Ports {
  web: number;
  api: number;
  echo: number;
}

export interface ContainerInfo {
  service: string;
  id: string;
  state: string;
  startedAt: string;
}

/**
 * The isolated Dusty every e2e sandbox is: a folder of its own holding a
 * DUSTY_HOME and a hosts file, a Compose project, and no helper (tests never
 * reach one the machine may have installed).
 */
export class Sandbox {
  readonly dir: string;
  readonly home: string;
  readonly hostsFile: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly project: string,
    /** The hosts file's text before Dusty writes its section. */
    hosts: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `dusty-${project}-`));
    this.home = join(this.dir, 'home');
    this.hostsFile = join(this.dir, 'hosts');
    writeFileSync(this.hostsFile, hosts);
    this.env = {
      ...process.env,
      DUSTY_HOME: this.home,
      DUSTY_PROJECT: project,
      DUSTY_HOSTS_FILE: this.hostsFile,
      DUSTY_SOCKET_PATH: join(this.dir, 'no-helper.sock'),
      DUSTY_HELPER_AUDIT_LOG: join(this.dir, 'no-audit.log'),
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    };
  }

  /** Removes the sandbox folder (containers are the test's to remove). */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One isolated Dusty user with copies of the demo's specs and repos (examples/). */
export class DustyCli extends Sandbox {
  readonly specs: string;
  readonly repos: string;

  constructor(
    project: string,
    /** Host ports of its own for the demo's apps; without them the demo specs are copied as they are. */
    readonly ports?: Ports,
  ) {
    super(project, PERSONAL_HOSTS);
    this.specs = join(this.dir, 'specs');
    this.repos = join(this.dir, 'repos');
    cpSync(join(ROOT, 'examples', 'specs'), this.specs, { recursive: true });
    cpSync(join(ROOT, 'examples', 'repos'), this.repos, { recursive: true });
    if (ports) this.movePorts(ports);
  }

  /** Moves the demo's host ports to the test's own, so test files never collide. */
  private movePorts(ports: Ports) {
    // Ports of our own: web and api on two http ports, echo on a stream port.
    this.editSpec('apps/web.yml', (t) => t.replace('host_port: 80', `host_port: ${ports.web}`));
    this.editSpec('apps/api.yml', (t) => t.replace('host_port: 80', `host_port: ${ports.api}`));
    this.editSpec('apps/echo.yml', (t) => t.replace('host_port: 7777', `host_port: ${ports.echo}`));
    // The cache runs httpd as PID 1, which ignores SIGTERM: without its init
    // every stop would wait out the engine's 10 s timeout.
    if (!/^init: true$/m.test(readFileSync(join(this.specs, 'services/cache.yml'), 'utf8')))
      throw new Error('examples/specs/services/cache.yml lost its `init: true`');
    // web calls api by its host name, now on api's own port.
    this.editFile(join(this.repos, 'web/www/cgi-bin/hello'), (t) =>
      t.replace('http://api.demo.test/', `http://api.demo.test:${ports.api}/`),
    );
  }

  /** Runs `dusty ARGS`, resolving with its exit code and output. */
  dusty(...args: string[]): Promise<RunResult> {
    return run('node', [CLI, ...args], { env: this.env });
  }

  /** The environment of a `dusty` run, with some variables changed (undefined removes one). */
  envWith(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env = { ...this.env, ...extra };
    for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
    return env;
  }

  /** Runs `dusty ARGS` with some environment variables changed; stdin is not a terminal. */
  run(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<RunResult> {
    return run('node', [CLI, ...args], { env: this.envWith(extraEnv) });
  }

  /** Starts `dusty ARGS` without waiting for it; stdin is closed (not a terminal). */
  spawn(args: string[], extraEnv: Record<string, string | undefined> = {}): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: this.envWith(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Dusty's state in this sandbox, for tests that set it up without the CLI. */
  get store(): StateStore {
    return new StateStore(this.home);
  }

  /** Points Dusty at the copied specs and every demo repo at its copied folder, without the CLI. */
  async useCopies(): Promise<void> {
    const store = this.store;
    await store.setConfig('specs_repo', this.specs);
    for (const r of ['api', 'web', 'greeting'])
      await store.setRepoOverride(`github.com/dusty-demo/${r}`, join(this.repos, r));
  }

  writeSpec(rel: string, text: string): void {
    writeFileSync(this.specPath(rel), text);
  }

  /** Runs `dusty ARGS` and fails the test with its output when it exits non-zero. */
  async must(...args: string[]): Promise<RunResult> {
    return ok(await this.dusty(...args), `dusty ${args.join(' ')}`);
  }

  /** The configuration every demo test starts from. */
  async configure(bundles = ['web', 'echo']): Promise<void> {
    await this.must('config', 'set', 'specs_repo', this.specs);
    await this.must('config', 'set', 'nginx_image', 'dusty-nginx:local');
    await this.must('repos', 'from', this.repos);
    await this.must('bundles', 'activate', ...bundles);
  }

  specPath(rel: string): string {
    return join(this.specs, rel);
  }

  editFile(path: string, edit: (text: string) => string): void {
    const before = readFileSync(path, 'utf8');
    const after = edit(before);
    if (after === before) throw new Error(`editing ${path} changed nothing`);
    writeFileSync(path, after);
  }

  editSpec(rel: string, edit: (text: string) => string): void {
    this.editFile(this.specPath(rel), edit);
  }

  /** Runs `body` with a spec file changed, putting it back afterwards. */
  async withSpec<T>(rel: string, text: string | undefined, body: () => Promise<T>): Promise<T> {
    const path = this.specPath(rel);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (text === undefined) rmSync(path, { force: true });
    else writeFileSync(path, text);
    try {
      return await body();
    } finally {
      if (before === undefined) rmSync(path, { force: true });
      else writeFileSync(path, before);
    }
  }

  readSpec(rel: string): string {
    return readFileSync(this.specPath(rel), 'utf8');
  }

  hosts(): string {
    return readFileSync(this.hostsFile, 'utf8');
  }

  /** The address Dusty's section of the hosts file gives a host name. */
  ipOf(hostName: string): string {
    const text = this.hosts();
    const begin = text.indexOf(HOSTS_BEGIN);
    const end = text.indexOf(HOSTS_END);
    if (begin < 0 || end < begin) throw new Error(`no Dusty section in the hosts file:\n${text}`);
    for (const line of text.slice(begin, end).split('\n')) {
      const [ip, ...names] = line.trim().split(/\s+/);
      if (ip && !ip.startsWith('#') && names.includes(hostName)) return ip;
    }
    throw new Error(`${hostName} is not in Dusty's hosts section:\n${text}`);
  }

  /** GETs http://NAME:PORT/PATH, resolving NAME through the hosts file Dusty wrote. */
  async http(
    hostName: string,
    port: number,
    path = '/',
  ): Promise<{ status: number; body: string }> {
    const ip = this.ipOf(hostName);
    const r = await run('curl', [
      '-sS',
      '--max-time',
      '10',
      '--resolve',
      `${hostName}:${port}:${ip}`,
      '-w',
      '\n%{http_code}',
      `http://${hostName}:${port}${path}`,
    ]);
    if (r.code !== 0) return { status: 0, body: r.stderr };
    const cut = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
  }

  /**
   * GETs until the answer satisfies `want` (an app's server may take a moment
   * to listen after its container runs); returns the last answer either way.
   */
  async httpUntil(
    hostName: string,
    port: number,
    path: string,
    want: (body: string, status: number) => boolean,
    timeoutMs = 15_000,
  ): Promise<{ status: number; body: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.http(hostName, port, path);
      if (want(r.body, r.status) || Date.now() > deadline) return r;
      await sleep(300);
    }
  }

  /** Sends a line to NAME:PORT (resolved through the hosts file) and returns what comes back. */
  async streamEcho(
    hostName: string,
    port: number,
    line: string,
    timeoutMs = 5_000,
  ): Promise<string> {
    const ip = this.ipOf(hostName);
    return new Promise((resolve) => {
      let got = '';
      const socket = net.connect({ host: ip, port });
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      };
      const timer = setTimeout(finish, timeoutMs);
      socket.on('connect', () => socket.write(`${line}\n`));
      socket.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('\n')) finish();
      });
      socket.on('error', finish);
      socket.on('close', finish);
    });
  }

  /** Every container of this project, keyed by Compose service name. */
  async containers(): Promise<Map<string, ContainerInfo>> {
    const ids = ok(
      await run('docker', [
        'ps',
        '-aq',
        '--no-trunc',
        '--filter',
        `label=com.docker.compose.project=${this.project}`,
      ]),
      'docker ps',
    )
      .stdout.split('\n')
      .filter(Boolean);
    const out = new Map<string, ContainerInfo>();
    if (!ids.length) return out;
    const fmt =
      '{{index .Config.Labels "com.docker.compose.service"}} {{.Id}} {{.State.Status}} {{.State.StartedAt}}';
    const r = ok(await run('docker', ['inspect', '--format', fmt, ...ids]), 'docker inspect');
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [service, id, state, startedAt] = line.split(' ') as [string, string, string, string];
      out.set(service, { service, id, state, startedAt });
    }
    return out;
  }

  /** The container id of a service, failing when it has none. */
  async idOf(service: string): Promise<string> {
    const c = (await this.containers()).get(service);
    if (!c) throw new Error(`${service} has no container`);
    return c.id;
  }

  /** `docker exec` in a service's container. */
  async exec(service: string, ...cmd: string[]): Promise<RunResult> {
    return run('docker', ['exec', await this.idOf(service), ...cmd]);
  }

  docker(...args: string[]): Promise<RunResult> {
    return run('docker', args);
  }

  get composeFile(): string {
    return join(this.home, 'compiled', 'docker-compose.yml');
  }

  /** Removes every container, network and volume of the project, then the sandbox. */
  async destroy(): Promise<void> {
    if (existsSync(this.composeFile))
      await run('docker-compose', [
        '-p',
        this.project,
        '-f',
        this.composeFile,
        'down',
        '-v',
        '--remove-orphans',
        '-t',
        '1',
      ]);
    // Whatever Compose could not see (no compiled file, a changed one).
    const left = await run('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
    ]);
    const ids = left.stdout.split('\n').filter(Boolean);
    if (ids.length) await run('docker', ['rm', '-f', ...ids]);
    await run('docker', ['network', 'rm', `${this.project}_dusty`]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The hosts file must be the person's bytes, then Dusty's section and nothing else. */
export function personalPartOf(hostsText: string): { personal: string; section: string } {
  const begin = hostsText.indexOf(HOSTS_BEGIN);
  if (begin < 0) return { personal: hostsText, section: '' };
  return { personal: hostsText.slice(0, begin), section: hostsText.slice(begin) };
}
