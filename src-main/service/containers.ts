/** Living with running containers: app scripts, logs, shells, copies. */
import type { Writable } from 'node:stream';
import type { ScriptInfo } from '../../src-shared/api/contract.js';
import { shQuote } from '../engine/compiler/start-script.js';
import { DustyError } from '../engine/errors.js';
import { runningContainer } from '../engine/runtime/containers.js';
import { execIn, logs, scriptText } from '../engine/runtime/ops.js';
import { openShell, type ShellSession } from '../engine/runtime/shell.js';
import { copy } from '../engine/runtime/transfer.js';
import type { ServiceContext } from './context.js';
import { withKnownNames } from './names.js';

/** An app's spec by name; says which apps exist when it is unknown. */
async function appSpec(ctx: ServiceContext, app: string) {
  const { specs } = await ctx.project.validate();
  const spec = specs.apps[app];
  if (!spec)
    throw new DustyError(
      'unknown-app',
      `no app is named "${app}"; apps: ${Object.keys(specs.apps).join(', ')}`,
      { known: Object.keys(specs.apps) },
    );
  return spec;
}

/** An app's script by name, with the folder it runs in; says what exists when either is unknown. */
async function findScript(ctx: ServiceContext, app: string, name: string) {
  const spec = await appSpec(ctx, app);
  const script = spec.spec.scripts.find((s) => s.name === name);
  const names = spec.spec.scripts.map((s) => s.name);
  if (!script)
    throw new DustyError(
      'unknown-script',
      `${app} has no script "${name}"; its scripts: ${names.join(', ') || 'none'}`,
      { known: names },
    );
  // Without a mount: the container's own working directory (the image's), where its start script runs.
  const workdir = spec.spec.repo && spec.spec.mount ? spec.spec.mount : undefined;
  return { script, workdir };
}

export const containers = {
  /** An app's scripts. */
  scripts: async (ctx: ServiceContext, app: string): Promise<ScriptInfo[]> => {
    const spec = await appSpec(ctx, app);
    return spec.spec.scripts.map((s) => ({ name: s.name, description: s.description }));
  },
  /** The command line that runs an app's script in its container (for a terminal). */
  scriptCommand: async (
    ctx: ServiceContext,
    app: string,
    name: string,
    args: string[],
  ): Promise<string[]> => {
    const { script, workdir } = await findScript(ctx, app, name);
    return [
      '/bin/sh',
      '-c',
      `${workdir ? `cd ${shQuote(workdir)} || exit 1\n` : ''}${scriptText(script.command, args)}`,
    ];
  },
  /** Runs an app's script in its running container; resolves with the script's exit code. */
  runScript: async (
    ctx: ServiceContext,
    app: string,
    name: string,
    args: string[],
    out: Writable,
    err: Writable,
  ): Promise<number> => {
    const { script, workdir } = await findScript(ctx, app, name);
    const container = await runningContainer(ctx.docker, app);
    const cmd = ['/bin/sh', '-c', scriptText(script.command, args)];
    return execIn(ctx.docker, container, cmd, workdir, out, err);
  },
  logs: (
    ctx: ServiceContext,
    name: string,
    opts: { follow: boolean; timestamps: boolean; tail?: number | undefined },
    out: Writable,
    err: Writable,
  ) => withKnownNames(ctx, [name], () => logs(ctx.docker, name, opts, out, err)),
  shell: (
    ctx: ServiceContext,
    name: string,
    size: { cols: number; rows: number },
    cmd?: string[],
  ): Promise<ShellSession> =>
    withKnownNames(ctx, [name], () => openShell(ctx.docker, name, size, cmd)),
  copy: (ctx: ServiceContext, src: string, dst: string): Promise<string> =>
    copy(ctx.docker, src, dst),
};
