/** `dusty test`: an app's or lib's test suites in fresh containers. */
import type { Command } from 'commander';
import { DustyError } from '../../engine/errors.js';
import { formatDuration, type TestEvent } from '../../engine/testing/index.js';
import { getDusty } from '../context.js';
import { bold, dim, green, red, table, yellow } from '../output.js';

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

/** `dusty test TARGET` without a suite: its suites with their last result. */
async function listSuites(target: string) {
  const [t] = await getDusty().tests.suites(target);
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
}

/** Registers `test`. */
export function registerTestCommand(program: Command): void {
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
        const dusty = getDusty();
        if (!suite) return listSuites(target);
        const ac = new AbortController();
        let runId: string | undefined;
        let signalCode = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          const code = sig === 'SIGINT' ? 130 : 143;
          if (ac.signal.aborted) {
            // A second signal: do not wait for the run to wind down.
            void (runId ? dusty.tests.sweep(runId) : Promise.resolve()).finally(() =>
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
            void (runId ? dusty.tests.sweep(runId) : Promise.resolve()).finally(() =>
              process.exit(code),
            );
          }, 30_000).unref();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          const result = await dusty.tests.run(
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
