/** `dusty doctor` and `dusty dump`: checking the set-up, and a bug report without secrets. */
import type { Command } from 'commander';
import { HelperClient } from '../../platform/helper-client.js';
import {
  buildDump,
  DEFAULT_AUDIT_LOG,
  runDoctor,
  type CheckResult,
} from '../../engine/doctor/index.js';
import { createDocker } from '../../engine/docker/client.js';
import {
  DEFAULT_HOSTS_FILE,
  engineEnsurer,
  hostsApplier,
  hostsFilePath,
} from '../../engine/runtime/system.js';
import { dustyVersion } from '../../version.js';
import { confirm } from '../confirm.js';
import { getProject } from '../context.js';
import { runCliOperation } from '../locked.js';
import { dim, green, red, yellow } from '../output.js';

const docker = () => createDocker();

interface DoctorOptions {
  fix?: boolean;
  yes?: boolean;
  json?: boolean;
}

async function doctor(opts: DoctorOptions): Promise<void> {
  const d = docker();
  const hostsPath = hostsFilePath();
  const helper = new HelperClient();
  const deps = {
    project: getProject(),
    docker: d,
    dustyVersion: dustyVersion(),
    helper: {
      available: () => helper.available(),
      call: async (_op: 'version', _p: Record<string, never>) => helper.call('version', {}),
    },
    hostsFile: { path: hostsPath, custom: hostsPath !== DEFAULT_HOSTS_FILE },
    applyHosts: hostsApplier(helper, hostsPath),
    ensureEngine: engineEnsurer(d, helper, getProject().store),
  };
  let checks = await runDoctor(deps);
  if (opts.fix) {
    const repairs = new Map<string, NonNullable<CheckResult['repair']>>();
    for (const c of checks)
      if (c.status === 'fail' && c.repair) repairs.set(c.repair.description, c.repair);
    for (const r of repairs.values()) {
      if (!(await confirm(`${r.description}?`, opts.yes))) continue;
      try {
        console.log(green(`fixed: ${await r.run()}`));
      } catch (e) {
        console.error(
          red(`could not ${r.description}: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    }
    if (repairs.size) checks = await runDoctor(deps);
  }
  if (opts.json)
    console.log(
      JSON.stringify(
        checks.map(({ repair, ...c }) => ({ ...c, repair: repair?.description })),
        null,
        2,
      ),
    );
  else
    for (const c of checks) {
      const mark = { ok: green('✔'), warn: yellow('!'), fail: red('✘'), skip: dim('-') }[c.status];
      console.log(`${mark} ${c.title}: ${c.found}`);
      if (c.status !== 'ok' && c.fix)
        console.log(
          dim(`    fix: ${c.fix}${c.repair && !opts.fix ? ' (or `dusty doctor --fix`)' : ''}`),
        );
    }
  const failed = checks.filter((c) => c.status === 'fail').length;
  if (!opts.json)
    console.log(failed ? red(`${failed} check(s) failed`) : green('every check passed'));
  process.exitCode = failed ? 1 : 0;
}

/** Registers `doctor` and `dump`. */
export function registerDoctorCommands(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the engine, Compose, the helper, host names, ports, specs, assets and repos, and say how to fix what fails',
    )
    .option('--fix', 'run the safe repairs (hosts section, start the engine, clone missing repos)')
    .option('-y, --yes', 'with --fix, do not ask before each repair')
    .option('--json', 'print the checks as JSON')
    .action((opts: DoctorOptions) =>
      // Repairs change the engine's state: not while another operation runs.
      opts.fix ? runCliOperation({ op: 'doctor --fix' }, () => doctor(opts)) : doctor(opts),
    );

  program
    .command('dump')
    .description(
      'print what a bug report needs: versions, config, bundles, containers, the hosts section, the helper log; secrets left out',
    )
    .action(async () => {
      process.stdout.write(
        await buildDump({
          project: getProject(),
          docker: docker(),
          hostsFile: hostsFilePath(),
          auditLog: process.env.DUSTY_HELPER_AUDIT_LOG || DEFAULT_AUDIT_LOG,
        }),
      );
    });
}
