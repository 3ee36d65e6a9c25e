/**
 * Starting the Docker engine on Linux when it is not running: through
 * systemd when systemd runs, otherwise by launching dockerd detached. Used
 * by the helper (as root) and by the engine when it is root itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import type { CommandRunner } from './command-runner.js';
import type { ProgramLookup } from './system-programs.js';
import { requireProgram } from './system-programs.js';

/** What starting the engine did. */
export interface EngineStartOutcome {
  alreadyRunning: boolean;
  method: 'none' | 'systemctl' | 'dockerd' | 'unsupported';
  detail: string;
}

/** The I/O starting the engine needs, injectable for tests. */
export interface NativeEngineDeps {
  runner: CommandRunner;
  /** The docker CLI to probe with (`docker info`). */
  docker?: string;
  systemdRunning?: () => boolean;
  /** Where docker, systemctl and dockerd are (fixed paths, checked before each run). */
  programs?: ProgramLookup;
  /** Launches dockerd in the background; the default logs to /var/log/dusty-dockerd.log. */
  spawnDockerd?: () => void;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

/** True when systemd is PID 1 (its documented test: /run/systemd/system exists). */
export function systemdIsRunning(): boolean {
  return existsSync('/run/systemd/system');
}

function defaultSpawnDockerd(programs: ProgramLookup = {}): void {
  const dockerd = requireProgram('dockerd', programs);
  const log = openSync('/var/log/dusty-dockerd.log', 'a', 0o600);
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
}

/** Starts the engine unless `docker info` already answers, then waits for it. */
export async function startNativeEngine(deps: NativeEngineDeps): Promise<EngineStartOutcome> {
  const docker = deps.docker ?? requireProgram('docker', deps.programs);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const answers = async () =>
    (await deps.runner.run(docker, ['info'], { timeoutMs: 15_000 })).code === 0;
  if (await answers()) {
    return { alreadyRunning: true, method: 'none', detail: 'the Docker engine is already running' };
  }
  let method: EngineStartOutcome['method'];
  if ((deps.systemdRunning ?? systemdIsRunning)()) {
    method = 'systemctl';
    const systemctl = requireProgram('systemctl', deps.programs);
    const result = await deps.runner.run(systemctl, ['start', 'docker']);
    if (result.code !== 0) {
      throw new Error(
        `systemctl start docker failed: ${result.stderr.trim() || `exit ${result.code}`}`,
      );
    }
  } else {
    method = 'dockerd';
    (deps.spawnDockerd ?? (() => defaultSpawnDockerd(deps.programs)))();
  }
  const deadline = Date.now() + (deps.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (await answers()) {
      return { alreadyRunning: false, method, detail: `started the Docker engine with ${method}` };
    }
    await sleep(500);
  }
  throw new Error(`started the Docker engine with ${method}, but docker info still fails`);
}
