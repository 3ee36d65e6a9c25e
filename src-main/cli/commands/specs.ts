/** validate, compile, config, bundles, env, assets: the commands that describe the environment. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseEnvFile } from '../../engine/state/env-file.js';
import {
  CONFIG_DESCRIPTIONS,
  ConfigSchema,
  parseConfigValue,
  type ConfigKey,
} from '../../../src-shared/config.js';
import { DustyError } from '../../engine/project.js';
import { dim, green, printJson, printProblems, table } from '../output.js';
import { getProject } from '../context.js';

const configKeys = Object.keys(ConfigSchema.shape) as ConfigKey[];

function checkConfigKey(key: string): asserts key is ConfigKey {
  if (!(configKeys as string[]).includes(key))
    throw new DustyError(`unknown config key "${key}"; known keys: ${configKeys.join(', ')}`);
}

export function registerSpecCommands(program: Command): void {
  program
    .command('validate [path]')
    .description('check a specs repo and report every problem (default: the configured specs repo)')
    .option('--json', 'print problems as JSON')
    .action(async (path: string | undefined, opts: { json?: boolean }) => {
      const result = await getProject().validate(path);
      if (opts.json) printJson({ ok: result.ok, problems: result.problems });
      else {
        printProblems(result.problems);
        const errors = result.problems.filter((p) => p.severity === 'error').length;
        const warnings = result.problems.length - errors;
        const counts = (['apps', 'services', 'libs', 'bundles'] as const)
          .map((k) => `${Object.keys(result.specs[k]).length} ${k}`)
          .join(', ');
        if (result.ok)
          console.log(`${green('valid')}: ${counts}${warnings ? `, ${warnings} warning(s)` : ''}`);
        else console.error(`${errors} error(s), ${warnings} warning(s)`);
      }
      if (!result.ok) process.exitCode = 1;
    });

  program
    .command('compile')
    .description('write docker-compose.yml, nginx.conf and hosts for the active bundles')
    .option('--out <dir>', "folder to write to (default: Dusty's state folder)")
    .option('--specs <path>', 'specs repo to use instead of the configured one')
    .option('--bundles <names>', 'comma-separated bundles to compile instead of the active ones')
    .action(async (opts: { out?: string; specs?: string; bundles?: string }) => {
      const project = getProject();
      const { output, validation } = await project.compile({
        ...(opts.specs ? { specsPath: opts.specs } : {}),
        ...(opts.bundles ? { activeBundles: opts.bundles.split(',').filter(Boolean) } : {}),
      });
      printProblems([...validation.problems, ...output.warnings]);
      const out = opts.out ? resolve(opts.out) : project.store.compiledDir;
      await project.writeCompiled(output, out);
      console.log(`wrote ${out}/docker-compose.yml, nginx.conf, hosts`);
      if (output.containers.length === 1)
        console.log(
          dim('no bundle is active: only the router would run (`dusty bundles activate NAME`)'),
        );
      console.log(
        table(
          output.containers.map((c) => [
            c.name,
            c.kind,
            c.image,
            c.urls.join(' ') || '-',
            c.dependsOn.join(',') || '-',
          ]),
          ['CONTAINER', 'KIND', 'IMAGE', 'URLS', 'STARTS AFTER'],
        ).trimEnd(),
      );
      if (output.missingAssets.length)
        console.log(
          `\nrequired assets not set: ${output.missingAssets.map((a) => `${a.asset} (${a.owner})`).join(', ')}`,
        );
    });

  const config = program.command('config').description("show and change Dusty's settings");
  config
    .command('list')
    .description('every setting with its value and meaning')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = await getProject().store.config();
      if (opts.json) return printJson(cfg);
      console.log(
        table(
          configKeys.map((k) => [k, String(cfg[k]), dim(CONFIG_DESCRIPTIONS[k])]),
          ['KEY', 'VALUE', 'MEANING'],
        ).trimEnd(),
      );
    });
  config
    .command('get <key>')
    .description("print one setting's value")
    .action(async (key: string) => {
      checkConfigKey(key);
      console.log(String((await getProject().store.config())[key]));
    });
  config
    .command('set <key> <value>')
    .description('change a setting (specs_repo: a folder or a git URL)')
    .action(async (key: string, value: string) => {
      checkConfigKey(key);
      let v = parseConfigValue(key, value);
      // A folder that exists is a local specs repo even without ./ in front; anything else is a git URL.
      if (key === 'specs_repo' && typeof v === 'string' && v && (/^[./~]/.test(v) || existsSync(v)))
        v = resolve(v.replace(/^~(?=\/|$)/, homedir()));
      await getProject().store.setConfig(key, v);
      console.log(`${key} = ${String(v)}`);
    });

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
  const changeBundles = (activate: boolean) => async (names: string[]) => {
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
    const next = activate ? [...active, ...names] : active.filter((a) => !names.includes(a));
    await project.store.setActiveBundles(next);
    console.log(
      `${activate ? 'activated' : 'deactivated'} ${names.join(', ')}; run \`dusty up\` to apply`,
    );
  };
  bundles
    .command('activate <names...>')
    .description('switch bundles on (applied at the next up)')
    .action(changeBundles(true));
  bundles
    .command('deactivate <names...>')
    .description('switch bundles off (applied at the next up)')
    .action(changeBundles(false));

  const env = program
    .command('env')
    .description('environment overrides per app or service (applied at the next up)');
  env
    .command('list [app]')
    .description('the overrides of every app and service, or of one')
    .option('--json', 'print as JSON')
    .action(async (app: string | undefined, opts: { json?: boolean }) => {
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
    );
  env
    .command('unset <app> [var]')
    .description('drop one override, or all of them for the app')
    .action(async (app: string, name: string | undefined) => {
      await getProject().store.unsetEnv(app, name);
      console.log(`unset ${name ?? 'every override'} for ${app}; run \`dusty up\` to apply`);
    });

  const assets = program
    .command('assets')
    .description('secret files placed in containers (values are never printed but by `read`)');
  assets
    .command('list')
    .description('every asset the specs declare, and whether it is set')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const project = getProject();
      const [{ specs }, set] = await Promise.all([project.validate(), project.store.setAssets()]);
      const rows = [
        ...Object.values(specs.apps).flatMap((a) =>
          a.spec.assets.map((x) => ({ ...x, owner: `app ${a.name}` })),
        ),
        ...Object.values(specs.libs).flatMap((l) =>
          l.spec.assets.map((x) => ({ ...x, owner: `lib ${l.name}` })),
        ),
      ].map((a) => ({
        name: a.name,
        owner: a.owner,
        path: a.path,
        required: a.required,
        set: set.has(a.name),
      }));
      if (opts.json) return printJson(rows);
      console.log(
        rows.length
          ? table(
              rows.map((r) => [
                r.name,
                r.owner,
                r.path,
                r.required ? 'required' : 'optional',
                r.set ? green('set') : 'not set',
              ]),
              ['ASSET', 'USED BY', 'PATH', ' ', 'VALUE'],
            ).trimEnd()
          : dim('no app or lib declares assets'),
      );
    });
  assets
    .command('set <name> <file>')
    .description("store a file's content as the asset's value")
    .action(async (name: string, file: string) => {
      const content = await readFile(file).catch(() => {
        throw new DustyError(`cannot read ${file}`);
      });
      await getProject().store.setAsset(name, content);
      console.log(`asset ${name} set (${content.length} bytes); run \`dusty up\` to apply`);
    });
  assets
    .command('unset <name>')
    .description("forget the asset's value")
    .action(async (name: string) => {
      await getProject().store.unsetAsset(name);
      console.log(`asset ${name} unset`);
    });
  assets
    .command('read <name>')
    .description("print the asset's value")
    .action(async (name: string) => {
      process.stdout.write(await getProject().store.readAsset(name));
    });
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
