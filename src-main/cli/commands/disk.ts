/** `dusty disk`: what uses the engine's disk, clean-ups, and backup/restore of Dusty's data. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBytes, type CleanupPlan } from '../../engine/disk/index.js';
import { confirm } from '../confirm.js';
import { getDusty } from '../context.js';
import { dim, green, table, yellow } from '../output.js';
import { interruptibleAction } from '../locked.js';

function printPlan(plan: CleanupPlan, verb: string) {
  console.log(`${verb} ${plan.what}:`);
  if (!plan.items.length) return;
  console.log(
    table(
      plan.items.map((i) => [i.name, i.detail, formatBytes(i.size)]),
      ['NAME', 'WHAT', 'SIZE'],
    ).trimEnd(),
  );
  console.log(`${plan.items.length} item(s), frees about ${formatBytes(plan.size)}`);
}

/** `disk backup DEST`: shows what goes in, asks before replacing a file, writes the archive. */
async function backup(dest: string, opts: { yes?: boolean }) {
  const disk = getDusty().disk;
  const plan = await disk.planBackup();
  console.log(`backing up to ${resolve(dest)}:`);
  console.log(
    `  ${plan.persistDir}: ${plan.persistFiles} file(s), ${formatBytes(plan.persistSize)}`,
  );
  for (const v of plan.volumes)
    console.log(
      `  volume ${v.name}: ${formatBytes(v.size)}${v.usedBy.length ? dim(` (used by ${v.usedBy.join(', ')})`) : ''}`,
    );
  if (!plan.volumes.length) console.log(dim('  no named volumes'));
  const exists = await stat(dest).then(
    () => true,
    () => false,
  );
  if (exists && !(await confirm(`${dest} exists; replace it?`, opts.yes)))
    return console.log('nothing was written');
  const m = await disk.backup(plan, resolve(dest));
  console.log(green(`✔ wrote ${resolve(dest)} (persist folder and ${m.volumes.length} volume(s))`));
}

/** `disk restore SRC`: says what the archive replaces, asks, puts it back. */
async function restore(src: string, opts: { yes?: boolean }) {
  const dusty = getDusty();
  const m = await dusty.disk.readManifest(resolve(src));
  const store = dusty.ctx.store;
  console.log(`${src}: backup of project ${m.project} from ${m.createdAt}. Restoring replaces:`);
  if (m.persist) console.log(`  ${store.persistDir} (everything in it)`);
  for (const v of m.volumes) console.log(`  volume ${v.name}`);
  if (!(await confirm('replace this data with the backup?', opts.yes)))
    return console.log('nothing was changed');
  await dusty.disk.restore(resolve(src));
  console.log(green(`✔ restored the persist folder and ${m.volumes.length} volume(s)`));
}

/** Registers `disk` and its subcommands. */
export function registerDiskCommands(program: Command): void {
  const disk = program
    .command('disk')
    .description("the engine's disk: what uses it, clean-ups, and backup/restore of Dusty's data");
  disk
    .command('inspect')
    .description("images, containers, volumes and build cache: count and size, and Dusty's share")
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await getDusty().disk.inspect();
      if (opts.json) return console.log(JSON.stringify(rows, null, 2));
      console.log(
        table(
          rows.map((r) => [
            r.kind,
            String(r.count),
            formatBytes(r.size),
            String(r.dustyCount),
            formatBytes(r.dustySize),
          ]),
          ['TYPE', 'COUNT', 'SIZE', "DUSTY'S", "DUSTY'S SIZE"],
        ).trimEnd(),
      );
      for (const r of rows) if (r.note) console.log(dim(`${r.kind}: ${r.note}`));
    });

  const cleanup = (kind: 'containers' | 'images') =>
    disk
      .command(`cleanup_${kind}`)
      .description(
        kind === 'containers'
          ? "remove Dusty's exited containers and their anonymous volumes (--all: every exited container)"
          : "remove Dusty's unused testing images and its dangling images (--all: every image no container uses)",
      )
      .option(
        '--all',
        kind === 'containers'
          ? 'every exited container, not only Dusty’s'
          : 'every unused image, not only Dusty’s',
      )
      .option('-y, --yes', 'do not ask')
      .action(
        interruptibleAction(async (opts: { all?: boolean; yes?: boolean }) => {
          const disk = getDusty().disk;
          const plan = await disk.planCleanup(kind, opts.all ?? false);
          printPlan(plan, 'would remove');
          if (!plan.items.length) return console.log(dim('nothing to remove'));
          if (!(await confirm(`remove these ${plan.items.length} ${kind}?`, opts.yes)))
            return console.log('nothing was removed');
          const r = await disk.cleanup(kind, plan);
          for (const f of r.failed)
            console.error(yellow(`could not remove ${f.item.name}: ${f.error}`));
          console.log(
            green(
              `removed ${r.removed.length} ${kind}, freed about ${formatBytes(r.removed.reduce((a, i) => a + i.size, 0))}`,
            ),
          );
          if (r.failed.length) process.exitCode = 1;
        }),
      );
  cleanup('containers');
  cleanup('images');

  disk
    .command('backup <dest>')
    .description(
      `write Dusty's persistent data (DUSTY_HOME/persist and the project's named volumes) to a tar archive`,
    )
    .option('-y, --yes', 'do not ask before replacing an existing file')
    .action(backup);

  disk
    .command('restore <src>')
    .description(
      'put back the data of a `disk backup` archive, replacing the persist folder and the volumes it holds',
    )
    .option('-y, --yes', 'do not ask')
    .action(interruptibleAction(restore));
}
