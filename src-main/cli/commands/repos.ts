/** `dusty repos`: where the code of apps and libs comes from. */
import type { Command } from 'commander';
import { DustyError } from '../../engine/errors.js';
import { getDusty } from '../context.js';
import { dim, printJson, table } from '../output.js';
import { interruptibleAction } from '../locked.js';

/** Registers `repos list/override/manage/from/update`. */
export function registerRepoCommands(program: Command): void {
  const repos = program.command('repos').description('where the code of apps and libs comes from');
  repos
    .command('list')
    .description('every repo the specs use: where it comes from, and the local folder')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await getDusty().repos.list();
      if (opts.json) return printJson(list);
      console.log(
        table(
          list.map((r) => [r.name, r.mode, r.path, r.usedBy.join(', ')]),
          ['REPO', 'MODE', 'LOCAL PATH', 'USED BY'],
        ).trimEnd(),
      );
    });
  repos
    .command('override <repo> <path>')
    .description('use your own checkout of a repo')
    .action(
      interruptibleAction(async (given: string, path: string) => {
        const { repo, path: abs } = await getDusty().repos.override(given, path);
        console.log(
          `${repo} -> ${abs}; run \`dusty up\` or \`dusty restart --repos ${repo}\` to use it`,
        );
      }),
    );
  repos
    .command('manage [repo]')
    .description('let Dusty clone and pull a repo again (--all: every overridden repo)')
    .option('--all', 'every overridden repo')
    .action(
      interruptibleAction(async (given: string | undefined, opts: { all?: boolean }) => {
        if ((given === undefined) === !opts.all)
          throw new DustyError(
            'usage',
            'usage: dusty repos manage REPO, or dusty repos manage --all',
          );
        const names = await getDusty().repos.manage(opts.all ? undefined : given);
        for (const repo of names) console.log(`${repo} is managed by Dusty again`);
        if (!names.length) console.log(dim('no repo is overridden'));
      }),
    );
  repos
    .command('from <dir>')
    .description('override every repo whose folder name is in DIR')
    .action(
      interruptibleAction(async (dir: string) => {
        const found = await getDusty().repos.from(dir);
        for (const [repo, path] of Object.entries(found)) console.log(`${repo} -> ${path}`);
        if (!Object.keys(found).length) console.log(dim(`no folder in ${dir} matches a repo`));
      }),
    );
  repos
    .command('update')
    .description('pull every managed repo')
    .action(
      interruptibleAction(async () => {
        const managed = await getDusty().repos.update((e) =>
          console.log(
            `  ${e.action} ${e.repo}: ${e.status}${e.message ? dim(` (${e.message})`) : ''}`,
          ),
        );
        if (!managed) console.log('every repo is overridden or local: nothing to pull');
      }),
    );
}
