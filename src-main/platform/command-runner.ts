/**
 * How platform code runs programs: an argument vector, never a shell line,
 * behind an interface so tests can hand in a stand-in.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The outcome of one program run. `code` is 127 when it could not be started. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for one run. */
export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  /** Run as this user and group (root only): what root does in a person's home stays theirs. */
  uid?: number;
  gid?: number;
}

/** Runs a program and reports how it ended; never throws for a non-zero exit. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** A runner over `child_process.execFile`, looking `command` up on PATH. */
export class ExecRunner implements CommandRunner {
  constructor(private readonly baseEnv: Record<string, string | undefined> = process.env) {}

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve) => {
      execFile(
        command,
        args,
        {
          env: { ...this.baseEnv, ...options.env },
          timeout: options.timeoutMs ?? 120_000,
          maxBuffer: 64 * 1024 * 1024,
          encoding: 'utf8',
          ...(options.uid !== undefined ? { uid: options.uid } : {}),
          ...(options.gid !== undefined ? { gid: options.gid } : {}),
        },
        (err, stdout, stderr) => {
          if (!err) return resolve({ code: 0, stdout, stderr });
          const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
          const code = typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : 1;
          resolve({ code, stdout, stderr: stderr || e.message });
        },
      );
    });
  }
}

/** Directories a root process trusts for system programs, in order. */
export const SYSTEM_BIN_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

/** The absolute path of `name` in `dirs`, or null when none holds it executable. */
export function findExecutable(
  name: string,
  dirs: readonly string[] = SYSTEM_BIN_DIRS,
): string | null {
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return null;
}
