/** test, disk, doctor, dump: testing apps and libs, the engine's disk, and checking the set-up. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { HelperClient } from '../../platform/helper-client.js';
import {
  backup,
  formatBytes,
  inspectDisk,
  planBackup,
  planContainerCleanup,
  planImageCleanup,
  readManifest,
  removeContainers,
  removeImages,
  restore,
  type CleanupPlan,
} from '../../engine/disk/index.js';
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
import { DustyError } from '../../engine/project.js';
import {
  formatDuration,
  listSuites,
  runTests,
  sweepTestRun,
  type TestEvent,
} from '../../engine/testing/index.js';
import { dustyVersion } from '../../version.js';
import { getProject } from '../context.js';
import { bold, dim, green, red, table, yellow } from '../output.js';

const docker = () => createDocker();

/**
 * Asks a yes/no question on the terminal. `--yes` answers it; without a
 * terminal to ask on, the command refuses rather than guessing.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY)
    throw new DustyError(
      `${question.replace(/\?$/, '')}: not confirmed; nothing was changed. Run it on a terminal to be asked, or add --yes.`,
      [],
      'not-confirmed',
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function printTestEvent(e: TestEvent) {
  switch (e.type) {
    case 'step':
      process.stderr.write(bold(`» ${e.message}`) + '\n');
      break;
    case 'warning':
      process.stderr.write(yellow(`warning: ${e.message}`) + '\n');
      break;
    case 'repo':
      process.stderr.write(
        `  ${e.event.action} ${e.event.repo}: ${e.event.status}${e.event.message ? dim(` (${e.event.message})`) : ''}\n`,
      );
      break;
    case 'image':
      process.stderr.write(
        `  testing image ${e.tag} ${e.action} (${e.id.replace(/^sha256:/, '').slice(0, 12)})\n`,
      );
      break;
    case 'output':
      (e.stream === 'stderr' ? process.stderr : process.stdout).write(e.text);
      break;
    case 'suite-start':
      break;
    case 'suite-end': {
      const r = e.result;
      process.stderr.write(
        (r.passed
          ? green(`✔ suite ${r.suite} passed`)
          : red(`✘ suite ${r.suite} failed with exit code ${r.exitCode}`)) +
          dim(` (${formatDuration(r.durationMs)})`) +
          '\n',
      );
      break;
    }
  }
}

function registerTest(program: Command) {
  program
    .command('test <app_or_lib> [suite] [args...]')
    .description(
      "run a test suite of an app or lib (`all` runs every one); without a suite, list the suites. ARGS are appended to the suite's last command line",
    )
    .option('--recreate', 'rebuild the testing image even when the cached one is current')
    .option('--no-pull', 'do not pull managed repos (missing ones are still cloned)')
    .passThroughOptions()
    .allowUnknownOption()
    .action(
      async (
        target: string,
        suite: string | undefined,
        args: string[],
        opts: { recreate?: boolean; pull: boolean },
      ) => {
        const project = getProject();
        if (!suite) {
          const [t] = await listSuites(project, target);
          if (!t!.suites.length) return console.log(dim(`${t!.name} has no suites`));
          console.log(
            table(
              t!.suites.map((s) => [
                s.name,
                s.description || '-',
                s.last
                  ? s.last.passed
                    ? green('passed')
                    : red(`failed (${s.last.exitCode})`)
                  : dim('never run'),
              ]),
              ['SUITE', 'DESCRIPTION', 'LAST RESULT'],
            ).trimEnd(),
          );
          return;
        }
        const d = docker();
        const ac = new AbortController();
        let runId: string | undefined;
        let signalCode = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          const code = sig === 'SIGINT' ? 130 : 143;
          if (ac.signal.aborted) {
            // A second signal: do not wait for the run to wind down.
            void (runId ? sweepTestRun(d, runId) : Promise.resolve()).finally(() =>
              process.exit(code),
            );
            return;
          }
          signalCode = code;
          process.stderr.write(
            yellow(`\ninterrupted: stopping and removing the test run's containers\n`),
          );
          ac.abort();
          setTimeout(() => {
            void (runId ? sweepTestRun(d, runId) : Promise.resolve()).finally(() =>
              process.exit(code),
            );
          }, 30_000).unref();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const result = await runTests(
            { project, docker: d },
            {
              target,
              suite,
              args,
              recreate: opts.recreate ?? false,
              pull: opts.pull,
              signal: ac.signal,
              onRunId: (id) => (runId = id),
            },
            printTestEvent,
          );
          if (suite === 'all') {
            process.stderr.write(
              '\n' +
                table(
                  result.results.map((r) => [
                    r.suite,
                    r.passed ? green('passed') : red(`failed (${r.exitCode})`),
                    formatDuration(r.durationMs),
                  ]),
                  ['SUITE', 'RESULT', 'TIME'],
                ),
            );
          }
          process.exitCode = result.exitCode;
        } catch (e) {
          if (e instanceof DustyError && e.code === 'interrupted') {
            process.exitCode = signalCode || 130;
            return;
          }
          throw e;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );
}

function printPlan(plan: CleanupPlan, verb: string) {
  console.log(`${verb} ${plan.what}:`);
  if (!plan.items.length) return;
  console.log(
    table(
      plan.items.map((i) => [i.name, i.detail, formatBytes(i.size)]),
      ['NAME', 'WHAT', 'SIZE'],
    ).trimEnd(),
  );
  console.log(`${plan.items.length} item(s), frees about ${formatBytes(plan.size)}`);
}

function registerDisk(program: Command) {
  const disk = program
    .command('disk')
    .description("the engine's disk: what uses it, clean-ups, and backup/restore of Dusty's data");
  disk
    .command('inspect')
    .description("images, containers, volumes and build cache: count and size, and Dusty's share")
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await inspectDisk(docker());
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      console.log(
        table(
          rows.map((r) => [
            r.kind,
            String(r.count),
            formatBytes(r.size),
            String(r.dustyCount),
            formatBytes(r.dustySize),
          ]),
          ['TYPE', 'COUNT', 'SIZE', "DUSTY'S", "DUSTY'S SIZE"],
        ).trimEnd(),
      );
      for (const r of rows) if (r.note) console.log(dim(`${r.kind}: ${r.note}`));
    });

  const cleanup = (kind: 'containers' | 'images') =>
    disk
      .command(`cleanup_${kind}`)
      .description(
        kind === 'containers'
          ? "remove Dusty's exited containers and their anonymous volumes (--all: every exited container)"
          : "remove Dusty's unused testing images and its dangling images (--all: every image no container uses)",
      )
      .option(
        '--all',
        kind === 'containers'
          ? 'every exited container, not only Dusty’s'
          : 'every unused image, not only Dusty’s',
      )
      .option('-y, --yes', 'do not ask')
      .action(async (opts: { all?: boolean; yes?: boolean }) => {
        const d = docker();
        const plan =
          kind === 'containers'
            ? await planContainerCleanup(d, { all: opts.all ?? false })
            : await planImageCleanup(d, { all: opts.all ?? false });
        printPlan(plan, 'would remove');
        if (!plan.items.length) return console.log(dim('nothing to remove'));
        if (!(await confirm(`remove these ${plan.items.length} ${kind}?`, opts.yes)))
          return console.log('nothing was removed');
        const r =
          kind === 'containers' ? await removeContainers(d, plan) : await removeImages(d, plan);
        for (const f of r.failed)
          console.error(yellow(`could not remove ${f.item.name}: ${f.error}`));
        console.log(
          green(
            `removed ${r.removed.length} ${kind}, freed about ${formatBytes(r.removed.reduce((a, i) => a + i.size, 0))}`,
          ),
        );
        if (r.failed.length) process.exitCode = 1;
      });
  cleanup('containers');
  cleanup('images');

  disk
    .command('backup <dest>')
    .description(
      `write Dusty's persistent data (DUSTY_HOME/persist and the project's named volumes) to a tar archive`,
    )
    .option('-y, --yes', 'do not ask before replacing an existing file')
    .action(async (dest: string, opts: { yes?: boolean }) => {
      const d = docker();
      const plan = await planBackup(d, getProject().store.persistDir);
      console.log(`backing up to ${resolve(dest)}:`);
      console.log(
        `  ${plan.persistDir}: ${plan.persistFiles} file(s), ${formatBytes(plan.persistSize)}`,
      );
      for (const v of plan.volumes)
        console.log(
          `  volume ${v.name}: ${formatBytes(v.size)}${v.usedBy.length ? dim(` (used by ${v.usedBy.join(', ')})`) : ''}`,
        );
      if (!plan.volumes.length) console.log(dim('  no named volumes'));
      const exists = await stat(dest).then(
        () => true,
        () => false,
      );
      if (exists && !(await confirm(`${dest} exists; replace it?`, opts.yes)))
        return console.log('nothing was written');
      const m = await backup(d, plan, resolve(dest));
      console.log(
        green(`✔ wrote ${resolve(dest)} (persist folder and ${m.volumes.length} volume(s))`),
      );
    });

  disk
    .command('restore <src>')
    .description(
      'put back the data of a `disk backup` archive, replacing the persist folder and the volumes it holds',
    )
    .option('-y, --yes', 'do not ask')
    .action(async (src: string, opts: { yes?: boolean }) => {
      const m = await readManifest(resolve(src));
      const store = getProject().store;
      console.log(
        `${src}: backup of project ${m.project} from ${m.createdAt}. Restoring replaces:`,
      );
      if (m.persist) console.log(`  ${store.persistDir} (everything in it)`);
      for (const v of m.volumes) console.log(`  volume ${v.name}`);
      if (!(await confirm('replace this data with the backup?', opts.yes)))
        return console.log('nothing was changed');
      await restore(docker(), resolve(src), store.persistDir);
      console.log(green(`✔ restored the persist folder and ${m.volumes.length} volume(s)`));
    });
}

function registerDoctor(program: Command) {
  program
    .command('doctor')
    .description(
      'check the engine, Compose, the helper, host names, ports, specs, assets and repos, and say how to fix what fails',
    )
    .option('--fix', 'run the safe repairs (hosts section, start the engine, clone missing repos)')
    .option('-y, --yes', 'with --fix, do not ask before each repair')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { fix?: boolean; yes?: boolean; json?: boolean }) => {
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
          if (!(await confirm(`${r.description}?`, opts.yes || !process.stdin.isTTY))) continue;
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
          const mark = { ok: green('✔'), warn: yellow('!'), fail: red('✘'), skip: dim('-') }[
            c.status
          ];
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
    });

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

/** Registers test, disk, doctor and dump. */
export function registerExtraCommands(program: Command): void {
  registerTest(program);
  registerDisk(program);
  registerDoctor(program);
}
