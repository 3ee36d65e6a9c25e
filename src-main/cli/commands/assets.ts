/** `dusty assets`: secret files placed in containers. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DustyError } from '../../engine/errors.js';
import { dim, green, printJson, table } from '../output.js';
import { getDusty } from '../context.js';
import { interruptibleAction } from '../locked.js';

/** Registers `assets list/set/unset/read`. */
export function registerAssetCommands(program: Command): void {
  const assets = program
    .command('assets')
    .description('secret files placed in containers (values are never printed but by `read`)');
  assets
    .command('list [app_or_lib]')
    .description("every asset the specs declare (or one app's or lib's), and whether it is set")
    .option('--json', 'print as JSON')
    .action(async (only: string | undefined, opts: { json?: boolean }) => {
      const rows = await getDusty().assets.list(only);
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
    .action(
      interruptibleAction(async (name: string, file: string) => {
        const content = await readFile(file).catch(() => {
          throw new DustyError('unreadable-file', `cannot read ${file}`);
        });
        await getDusty().assets.set(name, content);
        console.log(`asset ${name} set (${content.length} bytes); run \`dusty up\` to apply`);
      }),
    );
  assets
    .command('unset <name>')
    .description("forget the asset's value")
    .action(
      interruptibleAction(async (name: string) => {
        await getDusty().assets.unset(name);
        console.log(`asset ${name} unset`);
      }),
    );
  assets
    .command('read <name>')
    .description("print the asset's value")
    .action(async (name: string) => {
      process.stdout.write(await getDusty().assets.read(name));
    });
}
