/**
 * Docker Compose for creating, recreating, starting and stopping the project:
 * `docker compose` (v2) where present, otherwise `docker-compose` (v1).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  resolveEndpoint,
  withDockerEnv,
  type EngineEndpoint,
} from '../../platform/docker-context.js';

/**
 * The Compose project name: `dusty`. DUSTY_PROJECT overrides it so that test
 * runs can share one engine without touching each other's containers.
 */
export function projectName(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.DUSTY_PROJECT;
  return p && /^[a-z0-9][a-z0-9_-]*$/.test(p) ? p : 'dusty';
}

export interface ComposeTool {
  command: string;
  args: string[];
  version: string;
  label: string;
}

function run(
  cmd: string,
  args: string[],
  opts: {
    onLine?: (line: string) => void;
    env?: NodeJS.ProcessEnv;
    onChild?: ((pid: number, running: boolean) => void) | undefined;
  } = {},
) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: opts.env ?? process.env,
        // Its own process group: Ctrl-C in the terminal reaches Dusty, which
        // lets this Compose call finish and stops at the next safe point.
        detached: Boolean(opts.onChild),
      });
    } catch {
      resolve({ code: 127, output: '' });
      return;
    }
    const pid = child.pid;
    if (pid && opts.onChild) opts.onChild(pid, true);
    let output = '';
    let partial = '';
    const onData = (d: Buffer) => {
      const s = d.toString();
      output += s;
      if (!opts.onLine) return;
      const parts = (partial + s).split(/\r?\n|\r/);
      partial = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) opts.onLine(p);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', () => resolve({ code: 127, output }));
    child.on('close', (code) => {
      if (pid && opts.onChild) opts.onChild(pid, false);
      if (partial.trim() && opts.onLine) opts.onLine(partial);
      resolve({ code: code ?? 1, output });
    });
  });
}

let detected: Promise<ComposeTool> | undefined;

/** Where the docker CLI looks for plugins; checking files is much cheaper than asking the CLI. */
function composePluginPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [
    join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
    '/opt/homebrew/lib/docker/cli-plugins',
  ];
  return dirs.some((d) => existsSync(join(d, 'docker-compose')));
}

function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * docker-compose v1 is a Python program that takes most of a second just to
 * print its version; remember it per binary (path and mtime) so that `up`
 * does not pay that on every run.
 */
async function v1Version(path: string): Promise<string | undefined> {
  const cache = join(tmpdir(), `dusty-compose-version-${process.getuid?.() ?? 'u'}.json`);
  const mtime = statSync(path).mtimeMs;
  try {
    const c = JSON.parse(readFileSync(cache, 'utf8')) as {
      path: string;
      mtime: number;
      version: string;
    };
    if (c.path === path && c.mtime === mtime) return c.version;
  } catch {
    // no cache yet
  }
  const v1 = await run(path, ['version', '--short']);
  if (v1.code !== 0) return undefined;
  const version = v1.output.trim();
  try {
    writeFileSync(cache, JSON.stringify({ path, mtime, version }), { mode: 0o600 });
  } catch {
    // a cache we cannot write only costs time
  }
  return version;
}

/** Finds Docker Compose, v2 first; the result is cached for the process. */
export function detectCompose(): Promise<ComposeTool> {
  detected ??= (async () => {
    if (composePluginPresent()) {
      const v2 = await run('docker', ['compose', 'version', '--short']);
      if (v2.code === 0 && /^\s*v?\d/.test(v2.output))
        return {
          command: 'docker',
          args: ['compose'],
          version: v2.output.trim(),
          label: `docker compose ${v2.output.trim()} (v2)`,
        };
    }
    const path = onPath('docker-compose');
    const version = path ? await v1Version(path) : undefined;
    if (path && version)
      return { command: path, args: [], version, label: `docker-compose ${version} (v1)` };
    throw new Error(
      'Docker Compose is not installed: install the docker compose plugin (v2) or docker-compose (v1).',
    );
  })();
  return detected;
}

export class ComposeRunner {
  constructor(
    private readonly file: string,
    private readonly tool: ComposeTool,
    /** Told of each Compose process, so a lock holder can record it (see ops-lock). */
    private readonly onChild?: (pid: number, running: boolean) => void,
    /** The engine to run on; by default the one the docker CLI would use, as dockerode does. */
    private readonly endpoint?: EngineEndpoint,
  ) {}

  private base(): string[] {
    return [...this.tool.args, '-p', projectName(), '-f', this.file];
  }

  /** Runs a compose subcommand, streaming its lines; throws with its output on failure. */
  async exec(args: string[], onLine?: (line: string) => void): Promise<string> {
    // DOCKER_HOST and TLS spelled out, so Compose v1 (which ignores contexts) reaches the same engine.
    const env = {
      ...withDockerEnv(this.endpoint ?? resolveEndpoint()),
      COMPOSE_IGNORE_ORPHANS: undefined,
      COMPOSE_PROJECT_NAME: projectName(),
    };
    const res = await run(this.tool.command, [...this.base(), ...args], {
      ...(onLine ? { onLine } : {}),
      env,
      onChild: this.onChild,
    });
    if (res.code !== 0)
      throw new Error(
        `${this.tool.command} ${[...this.tool.args, ...args].join(' ')} failed:\n${res.output.trim()}`,
      );
    return res.output;
  }

  /** Creates or updates the project: only changed containers are recreated unless `recreate`. */
  up(
    opts: { recreate?: boolean; services?: string[] },
    onLine?: (line: string) => void,
  ): Promise<string> {
    return this.exec(
      [
        'up',
        '-d',
        '--remove-orphans',
        '--no-color',
        ...(opts.recreate ? ['--force-recreate'] : []),
        ...(opts.services ?? []),
      ],
      onLine,
    );
  }

  config(): Promise<string> {
    return this.exec(['config', '-q']);
  }
}
