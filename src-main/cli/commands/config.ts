/** `dusty config`: Dusty's settings. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  CONFIG_DESCRIPTIONS,
  CONFIG_KEYS as configKeys,
  isConfigKey,
  parseConfigValue,
  type ConfigKey,
} from '../../../src-shared/config.js';
import { DustyError } from '../../engine/project.js';
import {
  ImportError,
  importOriginalConfig,
  ORIGINAL_CONFIG_PATH,
} from '../../engine/state/import-original.js';
import { dustyVersion } from '../../version.js';
import { dim, printJson, table } from '../output.js';
import { getProject } from '../context.js';
import { lockedAction } from '../locked.js';

function checkConfigKey(key: string): asserts key is ConfigKey {
  if (!isConfigKey(key))
    throw new DustyError(`unknown config key "${key}"; known keys: ${configKeys.join(', ')}`);
}

/** Registers `config list/listvalues/get/set/import` and `version`. */
export function registerConfigCommands(program: Command): void {
  program
    .command('version')
    .description("print Dusty's version")
    .action(() => console.log(dustyVersion()));
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
    .command('listvalues')
    .description('every setting with its value, as the original Dusty printed them')
    .action(async () => {
      const cfg = await getProject().store.config();
      for (const k of configKeys) console.log(`${k}: ${String(cfg[k])}`);
    });
  config
    .command('import [path]')
    .description(
      `read an install of the original Dusty (default ${ORIGINAL_CONFIG_PATH}): specs repo, bundles, repo and env overrides, VM memory`,
    )
    .action(
      lockedAction('config', async (path: string | undefined) => {
        let r;
        try {
          r = await importOriginalConfig(getProject().store, path ? resolve(path) : undefined);
        } catch (e) {
          if (e instanceof ImportError) throw new DustyError(e.message, [], 'import-failed');
          throw e;
        }
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
      checkConfigKey(key);
      console.log(String((await getProject().store.config())[key]));
    });
  config
    .command('set <key> <value>')
    .description('change a setting (specs_repo: a folder or a git URL)')
    .action(
      lockedAction('config', async (key: string, value: string) => {
        checkConfigKey(key);
        let v = parseConfigValue(key, value);
        // A folder that exists is a local specs repo even without ./ in front; anything else is a git URL.
        if (
          key === 'specs_repo' &&
          typeof v === 'string' &&
          v &&
          (/^[./~]/.test(v) || existsSync(v))
        )
          v = resolve(v.replace(/^~(?=\/|$)/, homedir()));
        await getProject().store.setConfig(key, v);
        console.log(`${key} = ${String(v)}`);
      }),
    );
}
