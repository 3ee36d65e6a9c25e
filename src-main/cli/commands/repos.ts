/** `dusty repos`: where the code of apps and libs comes from. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DustyError } from '../../engine/project.js';
import {
  describeRepos,
  matchReposInDir,
  reposOfSpecs,
  resolveRepoName,
  syncRepos,
} from '../../engine/repos/repos.js';
import { getProject } from '../context.js';
import { dim, printJson, table } from '../output.js';
import { lockedAction } from '../locked.js';

/** The specs' repos, with where each comes from. */
const repoInfo = async () => {
  const project = getProject();
  const [{ specs }, overrides] = await Promise.all([
    project.validate(),
    project.store.repoOverrides(),
  ]);
  return { project, list: describeRepos(reposOfSpecs(specs), overrides, project.store.reposDir) };
};
/** The full name of a repo given by its full or short name (the original's). */
const checkRepo = (list: { name: string }[], repo: string): string => {
  try {
    return resolveRepoName(
      repo,
      list.map((r) => r.name),
    );
  } catch (e) {
    throw new DustyError((e as Error).message);
  }
};

/** Registers `repos list/override/manage/from/update`. */
export function registerRepoCommands(program: Command): void {
  const repos = program.command('repos').description('where the code of apps and libs comes from');
  repos
    .command('list')
    .description('every repo the specs use: where it comes from, and the local folder')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { list } = await repoInfo();
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
      lockedAction('repos', async (given: string, path: string) => {
        const { project, list } = await repoInfo();
        const repo = checkRepo(list, given);
        const abs = resolve(path);
        if (
          !(await stat(abs).then(
            (s) => s.isDirectory(),
            () => false,
          ))
        )
          throw new DustyError(`${abs} is not a folder`);
        await project.store.setRepoOverride(repo, abs);
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
      lockedAction('repos', async (given: string | undefined, opts: { all?: boolean }) => {
        if ((given === undefined) === !opts.all)
          throw new DustyError('usage: dusty repos manage REPO, or dusty repos manage --all');
        const { project, list } = await repoInfo();
        const names = opts.all
          ? Object.keys(await project.store.repoOverrides())
          : [checkRepo(list, given!)];
        for (const repo of names) {
          await project.store.setRepoOverride(repo, undefined);
          console.log(`${repo} is managed by Dusty again`);
        }
        if (!names.length) console.log(dim('no repo is overridden'));
      }),
    );
  repos
    .command('from <dir>')
    .description('override every repo whose folder name is in DIR')
    .action(
      lockedAction('repos', async (dir: string) => {
        const { project, list } = await repoInfo();
        const found = await matchReposInDir(
          list.map((r) => r.name),
          resolve(dir),
        );
        for (const [repo, path] of Object.entries(found)) {
          await project.store.setRepoOverride(repo, path);
          console.log(`${repo} -> ${path}`);
        }
        if (!Object.keys(found).length) console.log(dim(`no folder in ${dir} matches a repo`));
      }),
    );
  repos
    .command('update')
    .description('pull every managed repo')
    .action(
      lockedAction('repos', async () => {
        const { list } = await repoInfo();
        await syncRepos(list, true, (e) =>
          console.log(
            `  ${e.action} ${e.repo}: ${e.status}${e.message ? dim(` (${e.message})`) : ''}`,
          ),
        );
      }),
    );
}
