/**
 * Docker Compose for creating, recreating, starting and stopping the project:
 * `docker compose` (v2) where present, otherwise `docker-compose` (v1).
 */
import { spawn } from 'node:child_process';

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
  opts: { onLine?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    } catch {
      resolve({ code: 127, output: '' });
      return;
    }
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
      if (partial.trim() && opts.onLine) opts.onLine(partial);
      resolve({ code: code ?? 1, output });
    });
  });
}

let detected: Promise<ComposeTool> | undefined;

/** Finds Docker Compose, v2 first; the result is cached for the process. */
export function detectCompose(): Promise<ComposeTool> {
  detected ??= (async () => {
    const v2 = await run('docker', ['compose', 'version', '--short']);
    if (v2.code === 0 && /^\s*v?\d/.test(v2.output))
      return {
        command: 'docker',
        args: ['compose'],
        version: v2.output.trim(),
        label: `docker compose ${v2.output.trim()} (v2)`,
      };
    const v1 = await run('docker-compose', ['version', '--short']);
    if (v1.code === 0)
      return {
        command: 'docker-compose',
        args: [],
        version: v1.output.trim(),
        label: `docker-compose ${v1.output.trim()} (v1)`,
      };
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
  ) {}

  private base(): string[] {
    return [...this.tool.args, '-p', projectName(), '-f', this.file];
  }

  /** Runs a compose subcommand, streaming its lines; throws with its output on failure. */
  async exec(args: string[], onLine?: (line: string) => void): Promise<string> {
    const env = {
      ...process.env,
      COMPOSE_IGNORE_ORPHANS: undefined,
      COMPOSE_PROJECT_NAME: projectName(),
    };
    const res = await run(this.tool.command, [...this.base(), ...args], {
      ...(onLine ? { onLine } : {}),
      env,
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
