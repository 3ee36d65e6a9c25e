/** `dusty doctor` and `dusty dump`: checking the set-up, and a bug report without secrets. */
import type { Command } from 'commander';
import type { CheckResult } from '../../engine/doctor/index.js';
import { confirm } from '../confirm.js';
import { getDusty } from '../context.js';
import { interruptible } from '../locked.js';
import { dim, green, red, yellow } from '../output.js';

interface DoctorOptions {
  fix?: boolean;
  yes?: boolean;
  json?: boolean;
}

function printChecks(checks: CheckResult[], opts: DoctorOptions): void {
  if (opts.json) {
    console.log(
      JSON.stringify(
        checks.map(({ repair, ...c }) => ({ ...c, repair: repair?.description })),
        null,
        2,
      ),
    );
    return;
  }
  for (const c of checks) {
    const mark = { ok: green('✔'), warn: yellow('!'), fail: red('✘'), skip: dim('-') }[c.status];
    console.log(`${mark} ${c.title}: ${c.found}`);
    if (c.status !== 'ok' && c.fix)
      console.log(
        dim(`    fix: ${c.fix}${c.repair && !opts.fix ? ' (or `dusty doctor --fix`)' : ''}`),
      );
  }
}

async function doctor(opts: DoctorOptions): Promise<void> {
  const dusty = getDusty();
  const checks = opts.fix
    ? // Repairs change the engine's state: the use case runs them under the operation lock.
      await interruptible({}, () =>
        dusty.doctor.fix(
          (description) => confirm(`${description}?`, opts.yes),
          (r) =>
            r.error === undefined
              ? console.log(green(`fixed: ${r.done}`))
              : console.error(red(`could not ${r.description}: ${r.error}`)),
        ),
      )
    : await dusty.doctor.run();
  printChecks(checks, opts);
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
    .action(doctor);

  program
    .command('dump')
    .description(
      'print what a bug report needs: versions, config, bundles, containers, the hosts section, the helper log; secrets left out',
    )
    .action(async () => {
      process.stdout.write(await getDusty().doctor.dump());
    });
}
