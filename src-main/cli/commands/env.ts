/** `dusty env`: environment overrides per app or service. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseEnvFile } from '../../engine/state/env-file.js';
import { DustyError } from '../../engine/errors.js';
import { dim, printJson, table } from '../output.js';
import { getDusty } from '../context.js';
import { interruptibleAction } from '../locked.js';

/** Registers `env list/set/unset`. */
export function registerEnvCommands(program: Command): void {
  const env = program
    .command('env')
    .description('environment overrides per app or service (applied at the next up)');
  env
    .command('list [app]')
    .description('the overrides of every app and service, or of one')
    .option('--json', 'print as JSON')
    .action(async (app: string | undefined, opts: { json?: boolean }) => {
      const shown = await getDusty().env.list(app);
      if (opts.json) return printJson(shown);
      const rows = Object.entries(shown).flatMap(([a, vars]) =>
        Object.entries(vars).map(([k, v]) => [a, k, v]),
      );
      console.log(
        rows.length
          ? table(rows, ['APP', 'VARIABLE', 'VALUE']).trimEnd()
          : dim('no environment overrides'),
      );
    });
  env
    .command('set <app> [var] [value]')
    .description('override a variable, or every variable of an env file')
    .option('--file <file>', 'read variables from an env file (KEY=VALUE lines)')
    .action(
      interruptibleAction(
        async (
          app: string,
          name: string | undefined,
          value: string | undefined,
          opts: { file?: string },
        ) => {
          let vars: Record<string, string>;
          if (opts.file) vars = parseEnvFile(await readFile(opts.file, 'utf8'), opts.file);
          else if (name !== undefined && value !== undefined) vars = { [name]: value };
          else
            throw new DustyError(
              'usage',
              'usage: dusty env set APP VAR VALUE, or dusty env set APP --file FILE',
            );
          await getDusty().env.set(app, vars);
          console.log(`set ${Object.keys(vars).join(', ')} for ${app}; run \`dusty up\` to apply`);
        },
      ),
    );
  env
    .command('unset <app> [var]')
    .description('drop one override, or with --all every override of the app')
    .option('--all', 'drop every override of the app')
    .action(
      interruptibleAction(
        async (app: string, name: string | undefined, opts: { all?: boolean }) => {
          if ((name === undefined) === !opts.all)
            throw new DustyError(
              'usage',
              'usage: dusty env unset APP VAR, or dusty env unset APP --all',
            );
          await getDusty().env.unset(app, opts.all ? undefined : name);
          console.log(`unset ${name ?? 'every override'} for ${app}; run \`dusty up\` to apply`);
        },
      ),
    );
}
