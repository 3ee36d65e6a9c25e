/** validate, compile: checking a specs repo and compiling the active bundles. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { imageLabel } from '../../engine/compiler/index.js';
import { dim, green, printJson, printProblems, table } from '../output.js';
import { getDusty } from '../context.js';

/** Registers `validate` and `compile`. */
export function registerSpecCommands(program: Command): void {
  program
    .command('validate [path]')
    .description('check a specs repo and report every problem (default: the configured specs repo)')
    .option('--json', 'print problems as JSON')
    .action(async (path: string | undefined, opts: { json?: boolean }) => {
      const result = await getDusty().specs.validate(path);
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
      const dusty = getDusty();
      const { output, validation } = await dusty.specs.compile({
        ...(opts.specs ? { specsPath: opts.specs } : {}),
        ...(opts.bundles ? { activeBundles: opts.bundles.split(',').filter(Boolean) } : {}),
      });
      printProblems([...validation.problems, ...output.warnings]);
      const out = opts.out ? resolve(opts.out) : dusty.ctx.store.compiledDir;
      await dusty.ctx.project.writeCompiled(output, out);
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
            imageLabel(c.image),
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
}
