/**
 * Running the environment: up, stop, restart, status, and the engine.
 * `up` is wired here once, so every front door starts the configured
 * provider's engine, checks its shared folders, exports repos where it mounts
 * them over NFS, and runs under the operation lock with its progress
 * published for the other front doors.
 */
import { describeEngine, forgetEngineFacts } from '../engine/docker/engine-info.js';
import { publishUpEvent } from '../engine/ops-lock/index.js';
import { syncStatus } from '../engine/remote/remote-up.js';
import { stackHealth, type StackHealth } from '../engine/runtime/health.js';
import { restart, status, stop, type StatusRow } from '../engine/runtime/ops.js';
import {
  up,
  type UpDeps,
  type UpEvent,
  type UpOptions,
  type UpResult,
} from '../engine/runtime/up.js';
import { ExecRunner } from '../platform/command-runner.js';
import type { ServiceContext } from './context.js';
import { withKnownNames } from './names.js';
import { locked, type LockedOptions } from './operations.js';

/** What `up` needs of the machine, from the context's ports. */
export function upDeps(ctx: ServiceContext): UpDeps {
  return {
    project: ctx.project,
    docker: ctx.docker,
    applyHosts: ctx.applyHosts,
    ensureEngine: async () => (await ctx.provider()).ensureEngine(ctx.docker),
    unsharedFolders: async (repos) => (await ctx.provider()).unsharedMessage(repos),
    exportRepos: async (repos) => (await ctx.provider()).exportRepos(repos),
  };
}

const plural = (n: number) => `${n} container${n === 1 ? '' : 's'}`;

/** Hooks a front door may pass to an operation: how it shows the wait. */
export type OperationHooks = Pick<LockedOptions<unknown>, 'onWait'>;

async function runUp(
  ctx: ServiceContext,
  opts: UpOptions,
  onEvent: (e: UpEvent) => void,
  hooks: OperationHooks = {},
): Promise<UpResult> {
  return locked(
    ctx,
    'up',
    async (handle) => {
      const r = await up({ ...upDeps(ctx), control: handle }, opts, (e) => {
        onEvent(e);
        publishUpEvent(handle, e);
      });
      handle.publish({ urls: r.urls });
      return r;
    },
    { ...hooks, summary: (r) => `${plural(r.compiled.output.containers.length)} running` },
  );
}

/**
 * Stops (with `rm` removes) the named containers, or all of Dusty's; returns
 * which. By default a running `up` is cancelled at its next step first: the
 * end state is what was asked last.
 */
async function runStop(
  ctx: ServiceContext,
  names: string[],
  rm = false,
  opts: OperationHooks & { cancelRunning?: boolean } = {},
): Promise<string[]> {
  return locked(
    ctx,
    'stop',
    async (handle) => {
      handle.publish({ step: 'stopping containers' });
      return withKnownNames(ctx, names, () =>
        stop(ctx.project, ctx.docker, names, rm, (pid, running) => {
          void handle.trackChild(pid, running);
        }),
      );
    },
    {
      ...opts,
      cancelRunning: opts.cancelRunning ?? true,
      summary: (done) => (done.length ? `stopped ${done.join(', ')}` : 'nothing was running'),
    },
  );
}

async function runRestart(
  ctx: ServiceContext,
  names: string[],
  repos: string[] = [],
  onLine: (line: string) => void = () => {},
): Promise<string[]> {
  return locked(
    ctx,
    'restart',
    async (handle) => {
      handle.publish({ step: 'restarting containers' });
      return withKnownNames(ctx, names, () =>
        restart(ctx.project, ctx.docker, names, repos, onLine),
      );
    },
    { summary: (done) => `restarted ${done.join(', ')}` },
  );
}

async function describe(ctx: ServiceContext) {
  const config = await ctx.store.config();
  return describeEngine(config.vm_provider, { runner: new ExecRunner() });
}

export const stack = {
  up: runUp,
  stop: runStop,
  restart: runRestart,
  /** Each container of the active bundles with its state and URLs. */
  status: (ctx: ServiceContext): Promise<StatusRow[]> => status(ctx.project, ctx.docker),
  /** Rows, what each URL answers now, and the overall state. */
  health: (ctx: ServiceContext): Promise<StackHealth> => stackHealth(ctx.project, ctx.docker),
  /** Each folder synced to a remote engine's host, or undefined without a remote engine. */
  sync: (ctx: ServiceContext) => syncStatus(ctx.store),
};

export const engine = {
  /** The engine Dusty talks to: kind, version, whether it runs. */
  describe,
  /** Makes the engine answer through the configured provider; what it is afterwards. */
  start: async (ctx: ServiceContext) => {
    await (await ctx.provider()).ensureEngine(ctx.docker);
    forgetEngineFacts();
    return describe(ctx);
  },
};
