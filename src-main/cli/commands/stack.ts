/** up, stop, restart, status: running the environment. */
import type { Command } from 'commander';
import {
  containerPhase,
  describePhase,
  phaseTone,
  type PhaseInput,
} from '../../../src-shared/container-phase.js';
import { engineLine } from '../../engine/docker/engine-info.js';
import type { UpEvent } from '../../engine/runtime/up.js';
import { getDusty } from '../context.js';
import { checkJson, formatCheck, overallLine, printTimeline } from '../health-output.js';
import { interruptible, NO_WAIT } from '../locked.js';
import { bold, dim, green, printJson, red, table, yellow } from '../output.js';

/** A container's phase in words, coloured by its tone (the dashboard's dot colours). */
function paintPhase(input: PhaseInput): string {
  const text = describePhase(input);
  const tone = phaseTone(containerPhase(input));
  return tone === 'running' ? green(text) : tone === 'failed' ? red(text) : text;
}

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
    case 'container':
      console.log(`  ${e.name}: ${paintPhase({ ...e, operation: 'up' })}`);
      break;
  }
}

interface UpCliOptions {
  pull: boolean;
  recreate?: boolean;
  timeout: number;
  json?: boolean;
  wait: boolean;
}

/** `dusty up`: progress as it happens, then the timeline and what each URL answered (or all of it as JSON). */
async function runUp(opts: UpCliOptions): Promise<void> {
  const print = opts.json ? (e: UpEvent) => e.type === 'warning' && printUpEvent(e) : printUpEvent;
  const result = await interruptible({ wait: opts.wait }, () =>
    getDusty().stack.up(
      { pull: opts.pull, recreate: opts.recreate ?? false, timeout: opts.timeout },
      // With --json, stdout carries only the JSON; warnings still reach stderr.
      print,
    ),
  );
  const n = result.compiled.output.containers.length;
  const check = (url: string) => result.checks.find((c) => c.url === url);
  if (opts.json)
    return printJson({
      containers: result.compiled.output.containers.map((c) => c.name),
      urls: result.urls.map((u) => ({ app: u.app, ...checkJson(u.url, check(u.url)) })),
      timeline: result.timeline,
    });
  printTimeline(result.timeline);
  console.log(green(`✔ ${n} container${n === 1 ? '' : 's'} running`));
  for (const u of result.urls) console.log(`  ${u.app}: ${formatCheck(bold(u.url), check(u.url))}`);
}

/** `dusty status`: the overall state, each container and what each URL answers now. */
async function runStatus(opts: { json?: boolean }): Promise<void> {
  const dusty = getDusty();
  const { rows, checks, overall } = await dusty.stack.health();
  const check = (url: string) => checks.find((c) => c.url === url);
  if (opts.json)
    return printJson(
      rows.map(({ usedBy: _u, ...r }) => ({
        ...r,
        ...(r.kind === 'lib' ? {} : { phase: containerPhase(r) }),
        urls: r.urls.map((u) => checkJson(u, check(u))),
      })),
    );
  console.log(overallLine(overall));
  const engine = await dusty.engine.describe();
  console.log(dim(engineLine(engine)));
  console.log(
    table(
      rows.map((r) => [
        r.name,
        r.kind,
        // A lib has no container: its state says which apps use it.
        r.kind === 'lib' ? r.state : paintPhase(r),
        r.container ?? '-',
        r.urls.map((u) => formatCheck(u, check(u))).join(' ') || '-',
      ]),
      ['NAME', 'KIND', 'STATE', 'CONTAINER', 'URLS'],
    ).trimEnd(),
  );
  const sync = await dusty.stack.sync();
  if (!sync) return;
  const label = {
    'in-sync': green('in sync'),
    syncing: yellow('syncing'),
    failed: red('failed'),
  };
  console.log(`\nCode sync to the remote engine's host:`);
  console.log(
    table(
      sync.map((f) => [f.name, label[f.state], f.remote, f.reason ?? '']),
      ['FOLDER', 'SYNC', 'REMOTE COPY', 'REASON'],
    ).trimEnd(),
  );
}

/** Registers `up`, `stop`, `restart` and `status`. */
export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('start everything the active bundles need, from any state')
    .option('--no-pull', 'do not pull managed repos (missing ones are still cloned)')
    .option('--recreate', 'recreate every container, not only changed ones')
    .option(
      '--no-recreate',
      "recreate only changed containers (what up does anyway; the original's flag)",
    )
    .option('--timeout <seconds>', 'how long to wait for containers', (v) => Number(v), 120)
    .option(
      '--json',
      'print the outcome as JSON: {containers, urls: [{url, ok, status, ms}], timeline}',
    )
    .option(...NO_WAIT)
    .action(runUp);

  program
    .command('stop [names...]')
    .description("stop Dusty's containers (all, or the named ones)")
    .option('--rm', 'also remove them')
    .option(...NO_WAIT)
    .action(async (names: string[], opts: { rm?: boolean; wait: boolean }) => {
      // A running `up` is cancelled at its next step: the end state is what was asked last.
      const done = await interruptible({ wait: opts.wait }, () =>
        getDusty().stack.stop(names, opts.rm ?? false),
      );
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
    .option(...NO_WAIT)
    .action(async (names: string[], opts: { repos?: string[]; wait: boolean }) => {
      const done = await interruptible({ wait: opts.wait }, () =>
        getDusty().stack.restart(names, opts.repos ?? [], (l) => console.log(dim(`  ${l}`))),
      );
      console.log(`restarted ${done.join(', ')}`);
    });

  program
    .command('status')
    .description('every app, service and lib of the active bundles, with its state and URLs')
    .option(
      '--json',
      'print as JSON: [{name, kind, state, health, container, urls: [{url, ok, status, ms}]}]',
    )
    .action(runStatus);
}
