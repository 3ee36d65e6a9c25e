/**
 * `dusty doctor` as a list of named checks, run in order. A check may learn
 * something the later ones use (whether the engine answers, the compiled
 * project); each result says how to fix what it found and may carry a repair
 * for `doctor --fix`. Adding a check is adding an entry here.
 */
import { remoteChecks } from '../remote/doctor.js';
import type { CheckResult, DoctorCheck, DoctorContext, DoctorDeps } from './checks.js';
import { engineStateChecks } from './engine-state.js';
import { originalInstallCheck } from './original-install.js';
import { composeCheck, engineCheck, helperCheck, specsCheck } from './setup-checks.js';
import { assetsCheck, hostNamesCheck, portsCheck, reposCheck } from './stack-checks.js';

// Before the specs: compiling for a remote engine asks its host where the copies go.
const remoteCheck: DoctorCheck = {
  name: 'remote engine',
  async run(ctx) {
    const remote = await ctx.deps.remote?.();
    return remote ? remoteChecks(remote, ctx.deps.docker) : [];
  },
};

const engineStateCheck: DoctorCheck = {
  name: 'engine state',
  needsSpecs: true,
  async run(ctx) {
    if (!ctx.engineUp) return [];
    return engineStateChecks(ctx.deps.docker, ctx.compiled!, {
      file: ctx.deps.hostsFile.path,
      apply: ctx.deps.applyHosts,
    });
  },
};

/** Every check, in the order doctor reports them. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  engineCheck,
  composeCheck,
  helperCheck,
  originalInstallCheck,
  remoteCheck,
  specsCheck,
  assetsCheck,
  hostNamesCheck,
  portsCheck,
  engineStateCheck,
  reposCheck,
];

/** Runs the checks in order; never throws (a check that throws is reported as failed). */
export async function runDoctor(
  deps: DoctorDeps,
  checks: readonly DoctorCheck[] = DOCTOR_CHECKS,
): Promise<CheckResult[]> {
  const ctx: DoctorContext = { deps, engineUp: false };
  const out: CheckResult[] = [];
  for (const check of checks) {
    if (check.needsSpecs && !ctx.compiled) {
      out.push({
        title: 'required assets, host names, ports and repos',
        status: 'skip',
        found: 'skipped: the specs do not compile',
      });
      break;
    }
    try {
      out.push(...(await check.run(ctx)));
    } catch (e) {
      out.push({
        title: `the ${check.name} check runs`,
        status: 'fail',
        found: (e instanceof Error ? e.message : String(e)).split('\n')[0]!,
      });
    }
  }
  return out;
}
