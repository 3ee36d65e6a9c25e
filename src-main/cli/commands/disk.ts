/** `dusty disk`: what uses the engine's disk, clean-ups, and backup/restore of Dusty's data. */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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

/** The archive a path names: in a folder, `dusty-backup.tar` (the original wrote a dusty-backup folder there). */
async function archiveIn(path: string): Promise<string> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDir ? join(resolve(path), 'dusty-backup.tar') : resolve(path);
}

/** `disk backup DEST`: shows what goes in, asks before replacing a file, writes the archive. */
async function backup(given: string, opts: { yes?: boolean }) {
  const dest = await archiveIn(given);
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
async function restore(given: string, opts: { yes?: boolean }) {
  const src = await archiveIn(given);
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

/** `disk inspect`: the table, then Dusty's named volumes one by one. */
async function inspect(opts: { json?: boolean }) {
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
  const named = rows.find((r) => r.kind === 'volumes')?.named ?? [];
  if (!named.length) return;
  console.log(`\nDusty's named volumes (data; no clean-up removes them without asking):`);
  console.log(
    table(
      named.map((v) => [
        v.name,
        v.size === null ? 'not reported' : formatBytes(v.size),
        v.usedBy.join(', ') || '-',
      ]),
      ['VOLUME', 'SIZE', 'USED BY'],
    ).trimEnd(),
  );
}

/**
 * Named volumes hold data (a database's files), so no clean-up removes them
 * on the way: `--volumes` asks about them as a question of its own, and
 * without it they are only named as kept.
 */
async function cleanupVolumes(removeThem: boolean, yes: boolean | undefined): Promise<void> {
  const disk = getDusty().disk;
  const plan = await disk.planVolumeCleanup();
  if (!plan.items.length) return;
  if (!removeThem) {
    const names = plan.items.map((i) => i.name).join(', ');
    return console.log(
      dim(
        `kept ${plan.items.length} named volume(s) no container uses: ${names} (--volumes removes them, after asking)`,
      ),
    );
  }
  printPlan(plan, 'would remove');
  const question = `remove these ${plan.items.length} named volumes? Their data is gone for good`;
  const refusal =
    'named volumes: not confirmed; nothing was removed. Run it on a terminal to be asked, or add --yes.';
  if (!(await confirm(question, yes, refusal))) return console.log('no named volume was removed');
  const r = await disk.removeVolumes(plan);
  for (const f of r.failed) console.error(yellow(`could not remove ${f.item.name}: ${f.error}`));
  console.log(green(`removed ${r.removed.length} named volume(s)`));
  if (r.failed.length) process.exitCode = 1;
}

type CleanupOpts = { all?: boolean; yes?: boolean; volumes?: boolean };

/** `disk cleanup_containers` / `cleanup_images`: the plan, one question, the removal; then the named volumes. */
async function cleanup(kind: 'containers' | 'images', opts: CleanupOpts) {
  const disk = getDusty().disk;
  const plan = await disk.planCleanup(kind, opts.all ?? false);
  printPlan(plan, 'would remove');
  const volumes = () => cleanupVolumes(opts.volumes ?? false, opts.yes);
  if (!plan.items.length) {
    console.log(dim('nothing to remove'));
    return volumes();
  }
  if (!(await confirm(`remove these ${plan.items.length} ${kind}?`, opts.yes)))
    return console.log('nothing was removed');
  const r = await disk.cleanup(kind, plan);
  for (const f of r.failed) console.error(yellow(`could not remove ${f.item.name}: ${f.error}`));
  console.log(
    green(
      `removed ${r.removed.length} ${kind}, freed about ${formatBytes(r.removed.reduce((a, i) => a + i.size, 0))}`,
    ),
  );
  if (r.failed.length) process.exitCode = 1;
  await volumes();
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
    .action(inspect);

  const cleanupCommand = (kind: 'containers' | 'images') =>
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
      .option(
        '--volumes',
        "also remove Dusty's named volumes no container uses (their data), asked separately",
      )
      .action(interruptibleAction((opts: CleanupOpts) => cleanup(kind, opts)));
  cleanupCommand('containers');
  cleanupCommand('images');

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
