/** `dusty bundles`: which bundles run. */
import type { Command } from 'commander';
import { dim, green, printJson, table } from '../output.js';
import { getDusty } from '../context.js';
import { interruptibleAction } from '../locked.js';

/** Registers `bundles list/activate/deactivate`. */
export function registerBundleCommands(program: Command): void {
  const bundles = program.command('bundles').description('see and choose which bundles run');
  bundles
    .command('list')
    .description('every bundle of the specs repo, and which are active')
    .option('--json', 'print as JSON: [{name, description, active, apps, services}]')
    .action(async (opts: { json?: boolean }) => {
      // The CLI lists each bundle's own members, as its file names them.
      const rows = (await getDusty().bundles.list()).map((b) => ({
        name: b.name,
        description: b.description,
        active: b.active,
        apps: b.members.apps,
        services: b.members.services,
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
      await getDusty().bundles.set(names, activate, { only: opts.only ?? false });
      console.log(
        `${activate ? 'activated' : 'deactivated'} ${names.join(', ')}; run \`dusty up\` to apply`,
      );
    };
  bundles
    .command('activate <names...>')
    .description('switch bundles on (applied at the next up)')
    .option('--only', 'and switch every other bundle off')
    .action(interruptibleAction(changeBundles(true)));
  bundles
    .command('deactivate <names...>')
    .description('switch bundles off (applied at the next up)')
    .action(interruptibleAction(changeBundles(false)));
}
