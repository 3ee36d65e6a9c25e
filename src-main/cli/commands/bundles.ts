/** `dusty bundles`: which bundles run. */
import type { Command } from 'commander';
import { DustyError } from '../../engine/project.js';
import { dim, green, printJson, table } from '../output.js';
import { getProject } from '../context.js';
import { lockedAction } from '../locked.js';

/** Registers `bundles list/activate/deactivate`. */
export function registerBundleCommands(program: Command): void {
  const bundles = program.command('bundles').description('see and choose which bundles run');
  bundles
    .command('list')
    .description('every bundle of the specs repo, and which are active')
    .option('--json', 'print as JSON: [{name, description, active, apps, services}]')
    .action(async (opts: { json?: boolean }) => {
      const project = getProject();
      const [{ specs }, active] = await Promise.all([
        project.validate(),
        project.store.activeBundles(),
      ]);
      const rows = Object.values(specs.bundles).map((b) => ({
        name: b.name,
        description: b.spec.description,
        active: active.includes(b.name),
        apps: b.spec.apps,
        services: b.spec.services,
      }));
      if (opts.json) return printJson(rows);
      console.log(
        table(
          rows.map((r) => [r.active ? green('●') : dim('○'), r.name, r.description]),
          [' ', 'BUNDLE', 'DESCRIPTION'],
        ).trimEnd(),
      );
    });
  const changeBundles =
    (activate: boolean) => async (names: string[], opts: { only?: boolean }) => {
      const project = getProject();
      const [{ specs }, active] = await Promise.all([
        project.validate(),
        project.store.activeBundles(),
      ]);
      const unknown = names.filter((n) => !(n in specs.bundles));
      if (unknown.length)
        throw new DustyError(
          `unknown bundle(s): ${unknown.join(', ')}; known bundles: ${Object.keys(specs.bundles).join(', ') || 'none'}`,
        );
      // --only: these bundles and no other, as the original's `bundles activate --only`.
      const kept = activate && opts.only ? [] : active;
      const next = activate ? [...kept, ...names] : kept.filter((a) => !names.includes(a));
      await project.store.setActiveBundles(next);
      console.log(
        `${activate ? 'activated' : 'deactivated'} ${names.join(', ')}; run \`dusty up\` to apply`,
      );
    };
  bundles
    .command('activate <names...>')
    .description('switch bundles on (applied at the next up)')
    .option('--only', 'and switch every other bundle off')
    .action(lockedAction('bundles', changeBundles(true)));
  bundles
    .command('deactivate <names...>')
    .description('switch bundles off (applied at the next up)')
    .action(lockedAction('bundles', changeBundles(false)));
}
