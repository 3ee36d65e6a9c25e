/** An interactive shell in a container through the Engine API, resized with the terminal. */
import type Docker from 'dockerode';
import { runningContainer } from './containers.js';

/** Prefers bash where the image has it. */
export const SHELL_CMD = [
  '/bin/sh',
  '-c',
  'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi',
];

export interface ShellSession {
  stream: NodeJS.ReadWriteStream;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the shell's exit code. */
  exitCode(): Promise<number>;
}

export async function openShell(
  docker: Docker,
  name: string,
  size: { cols: number; rows: number },
  cmd: string[] = SHELL_CMD,
): Promise<ShellSession> {
  const container = await runningContainer(docker, name);
  const info = await container.inspect();
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    WorkingDir: info.Config.WorkingDir || '/',
    Env: ['TERM=xterm-256color'],
  });
  const stream = (await exec.start({
    hijack: true,
    stdin: true,
    Tty: true,
  })) as unknown as NodeJS.ReadWriteStream;
  const resize = async (cols: number, rows: number) => {
    await exec.resize({ w: cols, h: rows }).catch(() => undefined);
  };
  await resize(size.cols, size.rows);
  return {
    stream,
    resize,
    exitCode: () =>
      new Promise((resolve) => {
        const done = () =>
          void exec.inspect().then(
            (i) => resolve(i.ExitCode ?? 0),
            () => resolve(0),
          );
        stream.on('end', done);
        stream.on('close', done);
      }),
  };
}
