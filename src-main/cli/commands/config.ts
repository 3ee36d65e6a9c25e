/** `dusty config`: Dusty's settings. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CONFIG_DESCRIPTIONS, CONFIG_KEYS } from '../../../src-shared/config.js';
import { DustyError } from '../../engine/errors.js';
import { ORIGINAL_CONFIG_PATH } from '../../engine/state/import-original.js';
import { dustyVersion } from '../../version.js';
import { dim, printJson, table } from '../output.js';
import { getDusty } from '../context.js';
import { interruptibleAction } from '../locked.js';

/** Registers `config list/listvalues/get/set/import` and `version`. */
export function registerConfigCommands(program: Command): void {
  program
    .command('version')
    .description("print Dusty's version")
    .action(() => console.log(dustyVersion()));
  program
    .command('upgrade [version]')
    .description("the original's self-upgrade: not done here; says how this Dusty is upgraded")
    .action(() => {
      // The original replaced its own binary with one from GitHub; this one is a package.
      throw new DustyError(
        'usage',
        `Dusty ${dustyVersion()} does not upgrade itself (the original downloaded its binary from GitHub): upgrade it where you installed it from (its package, or \`git pull && npm ci && npm run build\` in a checkout)`,
      );
    });
  const config = program.command('config').description("show and change Dusty's settings");
  config
    .command('list')
    .description('every setting with its value and meaning')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = await getDusty().config.list();
      if (opts.json) return printJson(cfg);
      console.log(
        table(
          CONFIG_KEYS.map((k) => [k, String(cfg[k]), dim(CONFIG_DESCRIPTIONS[k])]),
          ['KEY', 'VALUE', 'MEANING'],
        ).trimEnd(),
      );
    });
  config
    .command('listvalues')
    .description('every setting with its value, as the original Dusty printed them')
    .action(async () => {
      const cfg = await getDusty().config.list();
      for (const k of CONFIG_KEYS) console.log(`${k}: ${String(cfg[k])}`);
    });
  config
    .command('import [path]')
    .description(
      `read an install of the original Dusty (default ${ORIGINAL_CONFIG_PATH}): specs repo, bundles, repo and env overrides, VM memory`,
    )
    .action(
      interruptibleAction(async (path: string | undefined) => {
        const r = await getDusty().config.importOriginal(path ? resolve(path) : undefined);
        console.log(`imported from ${r.file}:`);
        for (const l of r.lines) console.log(`  ${l}`);
        for (const n of r.notes) console.log(dim(`  ${n}`));
        if (!r.lines.length) console.log(dim('  nothing to import'));
      }),
    );
  config
    .command('get <key>')
    .description("print one setting's value")
    .action(async (key: string) => {
      console.log(String(await getDusty().config.get(key)));
    });
  config
    .command('set <key> <value>')
    .description('change a setting (specs_repo: a folder or a git URL)')
    .action(
      interruptibleAction(async (key: string, value: string) => {
        const stored = await getDusty().config.set(key, value);
        console.log(`${key} = ${String(stored)}`);
      }),
    );
}
