/** Checking the set-up (doctor), a bug report (dump), tests, and the engine's disk. */
import * as disk from '../engine/disk/index.js';
import { buildDump, runDoctor, type CheckResult } from '../engine/doctor/index.js';
import {
  listSuites,
  runTests,
  sweepTestRun,
  type TestEvent,
  type TestOptions,
  type TestRunResult,
} from '../engine/testing/index.js';
import type { ServiceContext } from './context.js';
import { locked } from './operations.js';

type Repair = NonNullable<CheckResult['repair']>;

function check(ctx: ServiceContext): Promise<CheckResult[]> {
  return runDoctor({
    project: ctx.project,
    docker: ctx.docker,
    dustyVersion: ctx.version,
    helper: ctx.helper,
    hostsFile: ctx.hostsFile,
    applyHosts: ctx.applyHosts,
    ensureEngine: async () => (await ctx.provider()).ensureEngine(ctx.docker),
    remote: async () => (await ctx.provider()).remote?.(),
  });
}

/**
 * Runs every check, then each distinct repair of a failed check that
 * `approve` accepts (under the operation lock: repairs change the engine's
 * state), then the checks again. Reports each repair through `onRepair`.
 */
async function fix(
  ctx: ServiceContext,
  approve: (description: string) => Promise<boolean>,
  onRepair: (r: { description: string; done?: string; error?: string }) => void,
): Promise<CheckResult[]> {
  return locked(ctx, 'doctor --fix', async () => {
    const checks = await check(ctx);
    const repairs = new Map<string, Repair>();
    for (const c of checks)
      if (c.status === 'fail' && c.repair) repairs.set(c.repair.description, c.repair);
    for (const r of repairs.values()) {
      if (!(await approve(r.description))) continue;
      try {
        onRepair({ description: r.description, done: await r.run() });
      } catch (e) {
        onRepair({
          description: r.description,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return repairs.size ? check(ctx) : checks;
  });
}

export const doctor = {
  /** Runs every check; never throws. */
  run: check,
  fix,
  /** What a bug report needs, with secrets left out. */
  dump: (ctx: ServiceContext): Promise<string> =>
    buildDump({
      project: ctx.project,
      docker: ctx.docker,
      hostsFile: ctx.hostsFile.path,
      auditLog: ctx.auditLog,
    }),
};

export const tests = {
  suites: (ctx: ServiceContext, target?: string) => listSuites(ctx.project, target),
  /** Runs suites; the parts that change shared state (repos, the testing image) take the lock. */
  run: (
    ctx: ServiceContext,
    opts: TestOptions,
    onEvent: (e: TestEvent) => void,
  ): Promise<TestRunResult> =>
    runTests(
      {
        project: ctx.project,
        docker: ctx.docker,
        exclusive: (work) => locked(ctx, 'test', work, { signal: opts.signal }),
      },
      opts,
      onEvent,
    ),
  sweep: (ctx: ServiceContext, runId: string) => sweepTestRun(ctx.docker, runId),
};

export const diskUse = {
  inspect: (ctx: ServiceContext) => disk.inspectDisk(ctx.docker),
  planCleanup: (ctx: ServiceContext, kind: 'containers' | 'images', all: boolean) =>
    kind === 'containers'
      ? disk.planContainerCleanup(ctx.docker, { all })
      : disk.planImageCleanup(ctx.docker, { all }),
  cleanup: (ctx: ServiceContext, kind: 'containers' | 'images', plan: disk.CleanupPlan) =>
    locked(ctx, 'disk', () =>
      kind === 'containers'
        ? disk.removeContainers(ctx.docker, plan)
        : disk.removeImages(ctx.docker, plan),
    ),
  /** The project's named volumes no container uses: removed only when asked apart from any clean-up. */
  planVolumeCleanup: (ctx: ServiceContext) => disk.planVolumeCleanup(ctx.docker),
  removeVolumes: (ctx: ServiceContext, plan: disk.CleanupPlan) =>
    locked(ctx, 'disk', () => disk.removeVolumes(ctx.docker, plan)),
  planBackup: (ctx: ServiceContext) => disk.planBackup(ctx.docker, ctx.store.persistDir),
  backup: (ctx: ServiceContext, plan: disk.BackupPlan, dest: string) =>
    disk.backup(ctx.docker, plan, dest),
  readManifest: (_ctx: ServiceContext, src: string) => disk.readManifest(src),
  restore: (ctx: ServiceContext, src: string) =>
    locked(ctx, 'disk', () => disk.restore(ctx.docker, src, ctx.store.persistDir)),
};
