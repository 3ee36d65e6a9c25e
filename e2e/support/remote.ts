/**
 * A remote Docker host on this machine for the remote-provider tests:
 * scripts/remote-engine.sh (a network namespace, an sshd with its own key and
 * user, a second dockerd), and a small specs repo of one app and one lib
 * whose repos are git checkouts in a sandbox the remote side never sees.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { collect, ok, ROOT, run, Sandbox, type RunResult } from './dusty.js';

export const REMOTE_STATE = '/var/tmp/dusty-remote-e2e';
export const REMOTE_IP = '10.203.14.2';
export const REMOTE_USER = 'dusty-remote-e2e';
export const DOCKER_HOST = `ssh://${REMOTE_USER}@${REMOTE_IP}:2222`;
export const SITE_PORT = 8080;
export const SITE_HOST = 'site.remote.test';

/** The engine's TLS certificates (`remote-engine.sh up --tls`): ca.pem, cert.pem, key.pem. */
export const REMOTE_TLS = `${REMOTE_STATE}/tls`;

export const remoteEngine = (action: 'up' | 'down', ...flags: '--tls'[]) =>
  run('bash', [join(ROOT, 'scripts/remote-engine.sh'), action, ...flags], { timeoutMs: 300_000 });

const SPECS: Record<string, string> = {
  'apps/site.yml': `repo: github.com/e2e-remote/site
mount: /srv/site
image: dusty-busybox:local
depends:
  libs:
    - tools
host_forwarding:
  - host_name: ${SITE_HOST}
    host_port: ${SITE_PORT}
    container_port: 8000
commands:
  always:
    - echo "site serves $(pwd)"
    - httpd -f -p 8000 -h /srv/site
scripts:
  - name: show
    description: prints a file of the synced code, then its arguments
    command:
      - cat /srv/site/index.html
      - echo args
test:
  image: dusty-busybox:local
  once:
    - touch /once-ran
  suites:
    - name: files
      description: reads the code the suite mounts, and says where it is mounted from
      command:
        - cat /srv/site/index.html /opt/tools/tool.sh
        - test ! -e /srv/site/secret.env
        - grep -E ' /(srv/site|opt/tools) ' /proc/self/mountinfo
`,
  'libs/tools.yml': `repo: github.com/e2e-remote/tools
mount: /opt/tools
`,
  'bundles/site.yml': `description: one app served over http, with a lib
apps:
  - site
`,
  // A repo big enough that its first copy takes a moment (filled by the test that uses it).
  'apps/bulk.yml': `repo: github.com/e2e-remote/bulk
mount: /srv/bulk
image: dusty-busybox:local
commands:
  always:
    - sleep 1000000
`,
  'bundles/bulk.yml': `description: an app with a big repo
apps:
  - bulk
`,
};

/** The host side of the remote engine's veth pair (scripts/engine-in-netns.sh names it). */
const HOST_LINK = `vh${createHash('md5').update(REMOTE_USER).digest('hex').slice(0, 8)}`;

/** Takes the link to the remote host down (the connection is lost) or up again. */
export const remoteLink = (state: 'up' | 'down') =>
  run('ip', ['link', 'set', HOST_LINK, state]).then((r) => ok(r, `ip link set ${state}`));

/** Live processes whose command line contains `text`, by pid (from /proc). */
export function pidsWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text) && Number(entry) !== process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Whether a process runs (a zombie counts as gone). */
export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function gitRepo(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.email=e2e@dusty.test', '-c', 'user.name=e2e', 'commit', '-qm', 'init');
}

/** One person's Dusty using the remote engine: a sandbox with specs and git repos of its own. */
export class RemoteSandbox extends Sandbox {
  readonly site = join(this.dir, 'repos', 'site');
  readonly tools = join(this.dir, 'repos', 'tools');
  readonly bulk = join(this.dir, 'bulk');
  /** Dusty's temp folder: its own ssh connections' sockets are here, so the tests can find them. */
  readonly tmp = join(this.dir, 'tmp');

  /** `env`: variables over the sandbox's own, e.g. another DOCKER_HOST for the same host. */
  constructor(project: string, env: NodeJS.ProcessEnv = {}) {
    super(project, '127.0.0.1 localhost\n');
    for (const [f, text] of Object.entries(SPECS)) {
      mkdirSync(join(this.dir, 'specs', f, '..'), { recursive: true });
      writeFileSync(join(this.dir, 'specs', f), text);
    }
    mkdirSync(join(this.dir, 'specs', 'services'), { recursive: true });
    gitRepo(this.site, {
      'index.html': 'first version\n',
      'old-name.txt': 'renamed content\n',
      'gone.txt': 'about to be deleted\n',
      '.gitignore': 'secret.env\nbuild/\n',
    });
    gitRepo(this.tools, { 'tool.sh': 'echo tool v1\n' });
    mkdirSync(this.tmp);
    Object.assign(this.env, {
      // The ssh the remote-engine script wrote: its key, known host and user (see the script).
      PATH: `${REMOTE_STATE}/bin:${process.env.PATH ?? ''}`,
      DOCKER_HOST,
      TMPDIR: this.tmp,
      ...env,
    });
  }

  /** Where sync puts everything for this project on the remote host (remote_dir's default). */
  get remoteRoot(): string {
    return `${REMOTE_STATE}/home/.dusty-remote/${this.project}`;
  }

  dusty(...args: string[]): Promise<RunResult> {
    return this.dustyWith({}, ...args);
  }

  /** A command with `input` on its stdin, or with some variables other than the sandbox's. */
  dustyWith(
    opts: { input?: string; env?: NodeJS.ProcessEnv },
    ...args: string[]
  ): Promise<RunResult> {
    return run('node', [join(ROOT, 'bin', 'dusty.js'), ...args], {
      env: { ...this.env, ...opts.env },
      ...(opts.input === undefined ? {} : { input: opts.input }),
      timeoutMs: 400_000,
    });
  }

  /** Starts a command without waiting, in a process group of its own (as a terminal runs it). */
  start(...args: string[]): { child: ChildProcess; done: Promise<RunResult> } {
    const child = spawn('node', [join(ROOT, 'bin', 'dusty.js'), ...args], {
      env: this.env,
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return { child, done: collect(child) };
  }

  /** Dusty's own shared ssh connections (and what rides on them), by pid. */
  sshPids(): number[] {
    return pidsWith(`${this.tmp}/dusty-ssh-`);
  }

  async must(...args: string[]): Promise<RunResult> {
    return ok(await this.dusty(...args), `dusty ${args.join(' ')}`);
  }

  async configure(): Promise<void> {
    await this.must('config', 'set', 'specs_repo', join(this.dir, 'specs'));
    await this.must('config', 'set', 'nginx_image', 'dusty-nginx:local');
    await this.must('repos', 'from', join(this.dir, 'repos'));
    await this.must('bundles', 'activate', 'site');
  }

  /** A command on the remote host, as the person's ssh runs it. */
  ssh(command: string): Promise<RunResult> {
    return run('ssh', [`${REMOTE_USER}@${REMOTE_IP}`, command], { env: this.env });
  }

  docker(...args: string[]): Promise<RunResult> {
    return run('docker', args, { env: this.env });
  }

  composeFile(): string {
    return readFileSync(join(this.home, 'compiled', 'docker-compose.yml'), 'utf8');
  }

  syncPid(): number | undefined {
    try {
      return Number(readFileSync(join(this.home, 'sync', `${this.project}.pid`), 'utf8'));
    } catch {
      return undefined;
    }
  }

  destroy(): void {
    this.cleanup();
  }
}

/** GETs a path of the site through the router on the remote host, by host name. */
export function getSite(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: REMOTE_IP, port: SITE_PORT, path, headers: { Host: SITE_HOST }, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

/** Polls until `want` holds (a synced change takes a moment); returns the last answer and the time taken. */
export async function siteUntil(
  path: string,
  want: (r: { status: number; body: string }) => boolean,
  timeoutMs = 15_000,
): Promise<{ status: number; body: string; ms: number }> {
  const start = Date.now();
  for (;;) {
    const r = await getSite(path);
    if (want(r) || Date.now() - start > timeoutMs) return { ...r, ms: Date.now() - start };
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Waits until `cond` holds, polling; fails naming `what` after `ms`. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/**
 * Hides a program from the remote user's commands, as on a host without it:
 * a PATH (sshd reads ~/.ssh/environment, PermitUserEnvironment PATH) of
 * links to everything in /usr/bin but that program. Returns the undo.
 */
export function hideOnRemote(program: string): () => void {
  const home = join(REMOTE_STATE, 'home');
  const bin = join(home, `without-${program}`);
  mkdirSync(bin, { recursive: true });
  for (const name of readdirSync('/usr/bin')) {
    if (name === program) continue;
    try {
      symlinkSync(join('/usr/bin', name), join(bin, name));
    } catch (e) {
      // Made by an earlier call: the same link.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  mkdirSync(join(home, '.ssh'), { recursive: true });
  const environment = join(home, '.ssh', 'environment');
  writeFileSync(environment, `PATH=${bin}\n`);
  return () => rmSync(environment, { force: true });
}

/**
 * For one test file: the remote engine up (with `--tls`, started afresh, since
 * a running engine would not gain a TLS listener), `box` configured and up;
 * afterwards its sync process, the engine and the sandbox are gone.
 */
export function useRemoteStack(box: RemoteSandbox, opts: { tls?: boolean } = {}): void {
  beforeAll(async () => {
    if (opts.tls) ok(await remoteEngine('down'), 'scripts/remote-engine.sh down');
    const flags = opts.tls ? (['--tls'] as const) : [];
    ok(await remoteEngine('up', ...flags), `scripts/remote-engine.sh up ${flags.join(' ')}`);
    await box.configure();
    ok(await box.dusty('up', '--timeout', '240'), 'dusty up');
  }, 600_000);

  afterAll(async () => {
    // The sync process is Dusty's child: end it by its pid; the engine goes with the script.
    const pid = box.syncPid();
    if (alive(pid)) process.kill(pid!, 'SIGTERM');
    await remoteEngine('down');
    box.destroy();
  }, 300_000);
}
