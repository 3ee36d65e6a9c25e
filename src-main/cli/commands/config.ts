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
import { dim, printJson, table } from '../output.js';
import { getProject } from '../context.js';
import { lockedAction } from '../locked.js';

function checkConfigKey(key: string): asserts key is ConfigKey {
  if (!isConfigKey(key))
    throw new DustyError(`unknown config key "${key}"; known keys: ${configKeys.join(', ')}`);
}

/** Registers `config list/get/set`. */
export function registerConfigCommands(program: Command): void {
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
