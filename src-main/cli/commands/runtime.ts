/** up, stop, restart, status, logs, shell, scripts, cp, repos: running and living with the environment. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createDocker } from '../../engine/docker/client.js';
import { DustyError } from '../../engine/project.js';
import {
  describeRepos,
  matchReposInDir,
  reposOfSpecs,
  syncRepos,
} from '../../engine/repos/repos.js';
import { copy } from '../../engine/runtime/transfer.js';
import { logs, restart, runScript, status, stop } from '../../engine/runtime/ops.js';
import { openShell } from '../../engine/runtime/shell.js';
import { hostsApplier } from '../../engine/runtime/system.js';
import { up, type UpEvent } from '../../engine/runtime/up.js';
import { getPlatform, getProject } from '../context.js';
import { bold, dim, green, printJson, red, table, yellow } from '../output.js';

const docker = () => createDocker();

function printUpEvent(e: UpEvent) {
  switch (e.type) {
    case 'step':
      console.log(bold(`» ${e.message}`));
      break;
    case 'warning':
      console.error(yellow(`warning: ${e.message}`));
      break;
    case 'repo':
      console.log(
        `  ${e.event.action} ${e.event.repo}: ${e.event.status}${e.event.message ? dim(` (${e.event.message})`) : ''}`,
      );
      break;
    case 'pull':
      console.log(`  image ${e.image}: ${e.status}`);
      break;
    case 'compose':
      console.log(dim(`  ${e.line}`));
      break;
    case 'container': {
      const s =
        e.state === 'running' && (!e.health || e.health === 'healthy')
          ? green(e.state)
          : e.state === 'exited'
            ? red(e.state)
            : e.state;
      console.log(`  ${e.name}: ${s}${e.health ? ` (${e.health})` : ''}`);
      break;
    }
  }
}

export function registerRuntimeCommands(program: Command): void {
  program
    .command('up')
    .description('start everything the active bundles need, from any state')
    .option('--no-pull', 'do not pull managed repos (missing ones are still cloned)')
    .option('--recreate', 'recreate every container, not only changed ones')
    .option('--timeout <seconds>', 'how long to wait for containers', (v) => Number(v), 120)
    .action(async (opts: { pull: boolean; recreate?: boolean; timeout: number }) => {
      const d = docker();
      const platform = await getPlatform();
      const result = await up(
        {
          project: getProject(),
          docker: d,
          applyHosts: hostsApplier(),
          ensureEngine: () => platform.ensureEngine(d),
          exportRepos: (repos) => platform.exportRepos(repos),
        },
        { pull: opts.pull, recreate: opts.recreate ?? false, timeout: opts.timeout },
        printUpEvent,
      );
      const n = result.compiled.output.containers.length;
      console.log(green(`✔ ${n} container${n === 1 ? '' : 's'} running`));
      for (const u of result.urls) console.log(`  ${u.app}: ${bold(u.url)}`);
    });

  program
    .command('stop [names...]')
    .description("stop Dusty's containers (all, or the named ones)")
    .option('--rm', 'also remove them')
    .action(async (names: string[], opts: { rm?: boolean }) => {
      const done = await stop(getProject(), docker(), names, opts.rm ?? false);
      console.log(
        done.length
          ? `${opts.rm ? 'removed' : 'stopped'} ${done.join(', ')}`
          : 'nothing is running',
      );
    });

  program
    .command('restart [names...]')
    .description(
      'restart containers; with --repos, pull those repos and restart the apps that use them',
    )
    .option('--repos <repos...>', 'repos to update first')
    .action(async (names: string[], opts: { repos?: string[] }) => {
      const done = await restart(getProject(), docker(), names, opts.repos ?? [], (l) =>
        console.log(dim(`  ${l}`)),
      );
      console.log(`restarted ${done.join(', ')}`);
    });

  program
    .command('status')
    .description('every app, service and lib of the active bundles, with its state and URLs')
    .option('--json', 'print as JSON: [{name, kind, state, health, container, urls}]')
    .action(async (opts: { json?: boolean }) => {
      const rows = await status(getProject(), docker());
      if (opts.json) return printJson(rows.map(({ usedBy: _u, ...r }) => r));
      const paint = (s: string) =>
        s === 'running' ? green(s) : s === 'exited' || s === 'dead' ? red(s) : s;
      console.log(
        table(
          rows.map((r) => [
            r.name,
            r.kind,
            paint(r.state) + (r.health ? ` (${r.health})` : ''),
            r.container ?? '-',
            r.urls.join(' ') || '-',
          ]),
          ['NAME', 'KIND', 'STATE', 'CONTAINER', 'URLS'],
        ).trimEnd(),
      );
    });

  program
    .command('logs <name>')
    .description("print a container's logs")
    .option('-f, --follow', 'keep following')
    .option('-t, --timestamps', 'show timestamps')
    .option('--tail <n>', 'only the last N lines', (v) => Number(v))
    .action(
      async (name: string, opts: { follow?: boolean; timestamps?: boolean; tail?: number }) => {
        const s = await logs(
          docker(),
          name,
          { follow: opts.follow ?? false, timestamps: opts.timestamps ?? false, tail: opts.tail },
          process.stdout,
          process.stderr,
        );
        process.once('SIGINT', () => {
          s.cancel();
          process.exit(0);
        });
        await s.done;
      },
    );

  program
    .command('shell <name>')
    .description('open an interactive shell in a running container')
    .action(async (name: string) => {
      const stdin = process.stdin;
      const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
      const session = await openShell(docker(), name, size());
      if (stdin.isTTY) stdin.setRawMode(true);
      // The shell ends the session; ending it when stdin closes would cut off its last output.
      stdin.pipe(session.stream, { end: false });
      session.stream.pipe(process.stdout);
      process.stdout.on('resize', () => void session.resize(size().cols, size().rows));
      const code = await session.exitCode();
      if (stdin.isTTY) stdin.setRawMode(false);
      process.exit(code);
    });

  program
    .command('scripts <app> [script] [args...]')
    .description(
      "list an app's scripts, or run one in its container (ARGS are appended to its last line)",
    )
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (app: string, script: string | undefined, args: string[]) => {
      const project = getProject();
      if (!script) {
        const { specs } = await project.validate();
        const spec = specs.apps[app];
        if (!spec)
          throw new DustyError(
            `no app is named "${app}"; apps: ${Object.keys(specs.apps).join(', ')}`,
          );
        if (!spec.spec.scripts.length) return console.log(dim(`${app} has no scripts`));
        return console.log(
          table(
            spec.spec.scripts.map((s) => [s.name, s.description]),
            ['SCRIPT', 'DESCRIPTION'],
          ).trimEnd(),
        );
      }
      process.exitCode = await runScript(
        project,
        docker(),
        app,
        script,
        args,
        process.stdout,
        process.stderr,
      );
    });

  program
    .command('cp <src> <dst>')
    .description(
      'copy files: host to container, container to host, or container to container (NAME:/path names a container path)',
    )
    .action(async (src: string, dst: string) => {
      console.log(await copy(docker(), src, dst));
    });

  const repos = program.command('repos').description('where the code of apps and libs comes from');
  const repoInfo = async () => {
    const project = getProject();
    const [{ specs }, overrides] = await Promise.all([
      project.validate(),
      project.store.repoOverrides(),
    ]);
    return { project, list: describeRepos(reposOfSpecs(specs), overrides, project.store.reposDir) };
  };
  const checkRepo = (list: { name: string }[], repo: string) => {
    if (!list.some((r) => r.name === repo))
      throw new DustyError(
        `no spec uses the repo "${repo}"; repos: ${list.map((r) => r.name).join(', ') || 'none'}`,
      );
  };
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
    .action(async (repo: string, path: string) => {
      const { project, list } = await repoInfo();
      checkRepo(list, repo);
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
    });
  repos
    .command('manage <repo>')
    .description('let Dusty clone and pull a repo again')
    .action(async (repo: string) => {
      const { project, list } = await repoInfo();
      checkRepo(list, repo);
      await project.store.setRepoOverride(repo, undefined);
      console.log(`${repo} is managed by Dusty again`);
    });
  repos
    .command('from <dir>')
    .description('override every repo whose folder name is in DIR')
    .action(async (dir: string) => {
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
    });
  repos
    .command('update')
    .description('pull every managed repo')
    .action(async () => {
      const { list } = await repoInfo();
      await syncRepos(list, true, (e) =>
        console.log(
          `  ${e.action} ${e.repo}: ${e.status}${e.message ? dim(` (${e.message})`) : ''}`,
        ),
      );
    });
}
