/** `dusty env`: environment overrides per app or service. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseEnvFile } from '../../engine/state/env-file.js';
import { DustyError } from '../../engine/project.js';
import { dim, printJson, table } from '../output.js';
import { getProject } from '../context.js';
import { lockedAction } from '../locked.js';

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
      if (app !== undefined) await checkAppOrService(app);
      const all = await getProject().store.envOverrides();
      const shown = app ? { [app]: all[app] ?? {} } : all;
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
      lockedAction(
        'env',
        async (
          app: string,
          name: string | undefined,
          value: string | undefined,
          opts: { file?: string },
        ) => {
          let vars: Record<string, string>;
          if (opts.file) vars = parseEnvFile(await readFile(opts.file, 'utf8'), opts.file);
          else if (name !== undefined && value !== undefined) {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
              throw new DustyError(`"${name}" is not a valid variable name`);
            vars = { [name]: value };
          } else
            throw new DustyError(
              'usage: dusty env set APP VAR VALUE, or dusty env set APP --file FILE',
            );
          await checkAppOrService(app);
          await getProject().store.setEnv(app, vars);
          console.log(`set ${Object.keys(vars).join(', ')} for ${app}; run \`dusty up\` to apply`);
        },
      ),
    );
  env
    .command('unset <app> [var]')
    .description('drop one override, or with --all every override of the app')
    .option('--all', 'drop every override of the app')
    .action(
      lockedAction(
        'env',
        async (app: string, name: string | undefined, opts: { all?: boolean }) => {
          if ((name === undefined) === !opts.all)
            throw new DustyError('usage: dusty env unset APP VAR, or dusty env unset APP --all');
          await checkAppOrService(app);
          await getProject().store.unsetEnv(app, opts.all ? undefined : name);
          console.log(`unset ${name ?? 'every override'} for ${app}; run \`dusty up\` to apply`);
        },
      ),
    );
}

async function checkAppOrService(name: string): Promise<void> {
  const { specs } = await getProject()
    .validate()
    .catch(() => ({ specs: undefined }));
  if (specs && !(name in specs.apps) && !(name in specs.services))
    throw new DustyError(
      `no app or service is named "${name}"; known: ${[...Object.keys(specs.apps), ...Object.keys(specs.services)].join(', ')}`,
    );
}
