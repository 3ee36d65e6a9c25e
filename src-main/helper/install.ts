/**
 * Installing the helper: a root-owned copy of just what it runs (its
 * compiled modules, zod, and a Node binary root can trust), a systemd unit or
 * launchd plist, and a first `version` check. Used by `dusty setup` in the
 * terminal and, through {@link buildInstallCommand}, by the app's password
 * prompt.
 */
import { randomBytes } from 'node:crypto';
import {
  cp,
  chmod,
  chown,
  lstat,
  mkdir,
  readFile,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { CommandRunner } from '../platform/command-runner.js';
import { findExecutable } from '../platform/command-runner.js';
import { HelperClient } from '../platform/helper-client.js';
import { applySectionLines } from '../platform/hosts-file.js';
import { systemdIsRunning } from '../platform/native-engine.js';
import type { InstallPlan } from './install-plan.js';
import { LAUNCHD_LABEL, SYSTEMD_UNIT, installedRuntime, shellQuote } from './install-plan.js';
import { launchdPlist, serveArgv, systemdUnit } from './unit-files.js';

export * from './install-plan.js';
export { launchdPlist, serveArgv, systemdUnit } from './unit-files.js';

async function chownTreeToRoot(dir: string): Promise<void> {
  const info = await lstat(dir);
  if (!info.isSymbolicLink()) {
    await chown(dir, 0, 0);
    await chmod(dir, info.mode & 0o7755);
  }
  if (info.isDirectory()) {
    for (const name of await readdir(dir)) await chownTreeToRoot(path.join(dir, name));
  }
}

/** What an install did. */
export interface InstallOutcome {
  started: boolean;
  version?: string;
  /** Sentences for the person: what happened and, if needed, what to do next. */
  messages: string[];
}

/** The I/O an install needs. */
export interface InstallDeps {
  runner: CommandRunner;
  systemdRunning?: () => boolean;
  /** Whether to start the service at all (tests install without starting). */
  start?: boolean;
}

/**
 * Copies the helper into `plan.installDir` (root-owned, replaced whole),
 * writes the unit or plist, starts it where systemd or launchd runs, and
 * checks `version`. Must run as root.
 */
export async function installHelper(plan: InstallPlan, deps: InstallDeps): Promise<InstallOutcome> {
  const serveMain = path.join(plan.sourceRoot, 'dist/src-main/helper/serve-main.js');
  if (!(await lstat(serveMain).catch(() => null))) {
    throw new Error(`${serveMain} is missing: build Dusty first (npm run build)`);
  }
  const messages: string[] = [];
  const staging = `${plan.installDir}.new-${randomBytes(4).toString('hex')}`;
  await mkdir(path.join(staging, 'node_modules'), { recursive: true, mode: 0o755 });
  // Only what serve-main imports: the helper, the platform layer, the shared protocol, the version, zod.
  for (const part of [
    'dist/src-main/helper',
    'dist/src-main/platform',
    'dist/src-shared',
    'dist/src-main/version.js',
  ]) {
    await cp(path.join(plan.sourceRoot, part), path.join(staging, part), {
      recursive: true,
      filter: (src) => !src.endsWith('.map'),
    });
  }
  await cp(path.join(plan.sourceRoot, 'node_modules/zod'), path.join(staging, 'node_modules/zod'), {
    recursive: true,
  });
  const pkg = JSON.parse(await readFile(path.join(plan.sourceRoot, 'package.json'), 'utf8')) as {
    version?: string;
  };
  await writeFile(
    path.join(staging, 'package.json'),
    `${JSON.stringify({ name: 'dusty-helper', version: pkg.version ?? '0.0.0', type: 'module', private: true }, null, 2)}\n`,
  );
  // A Node binary the owner could replace would hand them root, so root gets its own copy.
  const runtime = installedRuntime({ ...plan, installDir: staging });
  if (plan.electronBundle) {
    await cp(
      plan.electronBundle,
      path.join(staging, 'runtime', path.basename(plan.electronBundle)),
      {
        recursive: true,
        verbatimSymlinks: true,
      },
    );
  } else await cp(plan.nodePath, runtime);
  await chmod(runtime, 0o755);
  await chownTreeToRoot(staging);
  await chmod(staging, 0o755);
  const old = `${plan.installDir}.old-${randomBytes(4).toString('hex')}`;
  await mkdir(path.dirname(plan.installDir), { recursive: true, mode: 0o755 });
  await rename(plan.installDir, old).catch(() => undefined);
  await rename(staging, plan.installDir);
  await rm(old, { recursive: true, force: true });
  messages.push(`Installed the helper in ${plan.installDir}.`);

  await mkdir(path.dirname(plan.unitFile), { recursive: true, mode: 0o755 });
  const unit = plan.platform === 'darwin' ? launchdPlist(plan) : systemdUnit(plan);
  await writeFile(plan.unitFile, unit, { mode: 0o644 });
  await chown(plan.unitFile, 0, 0);
  messages.push(`Wrote ${plan.unitFile}.`);

  if (deps.start === false) return { started: false, messages };
  const started = await startService(plan, deps, messages);
  if (!started) return { started: false, messages };
  const client = new HelperClient(plan.socketPath);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      const v = await client.call('version', {}, 3000);
      messages.push(`The helper answers (version ${v.version}).`);
      return { started: true, version: v.version, messages };
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  messages.push(`The helper was started but does not answer on ${plan.socketPath}.`);
  return { started: false, messages };
}

async function startService(
  plan: InstallPlan,
  deps: InstallDeps,
  messages: string[],
): Promise<boolean> {
  const run = async (cmd: string, args: string[]) => {
    const result = await deps.runner.run(findExecutable(cmd) ?? cmd, args, { timeoutMs: 60_000 });
    if (result.code !== 0)
      throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr.trim()}`);
  };
  if (plan.platform === 'darwin') {
    await deps.runner.run('launchctl', ['bootout', `system/${LAUNCHD_LABEL}`]);
    await run('launchctl', ['bootstrap', 'system', plan.unitFile]);
    messages.push('Started it with launchd.');
    return true;
  }
  if ((deps.systemdRunning ?? systemdIsRunning)()) {
    await run('systemctl', ['daemon-reload']);
    await run('systemctl', ['enable', SYSTEMD_UNIT]);
    await run('systemctl', ['restart', SYSTEMD_UNIT]);
    messages.push('Started it with systemd.');
    return true;
  }
  messages.push(
    'systemd is not running on this machine, so nothing will start the helper at boot.',
    `Start it yourself, as root: ${serveArgv(plan).map(shellQuote).join(' ')}`,
    `(or: dusty helper serve --owner ${plan.ownerUid})`,
  );
  return false;
}

/**
 * Removes the helper: asks a running one to `uninstall` (it clears its
 * sections, removes the unit and socket, and exits), stops the service,
 * then removes whatever is left, clearing the sections directly as root.
 */
export async function uninstallHelper(plan: InstallPlan, deps: InstallDeps): Promise<string[]> {
  const messages: string[] = [];
  const client = new HelperClient(plan.socketPath);
  try {
    const result = await client.call('uninstall', {}, 30_000);
    messages.push(...result.removed.map((r) => `Removed ${r}.`));
  } catch (err) {
    messages.push(
      `The helper did not take part (${(err as Error).message}); removing its files directly.`,
    );
  }
  if (plan.platform === 'darwin') {
    await deps.runner.run('launchctl', ['bootout', `system/${LAUNCHD_LABEL}`]);
  } else if ((deps.systemdRunning ?? systemdIsRunning)()) {
    await deps.runner.run(findExecutable('systemctl') ?? 'systemctl', [
      'disable',
      '--now',
      SYSTEMD_UNIT,
    ]);
  }
  for (const file of [plan.hostsFile, plan.exportsFile]) {
    try {
      if ((await applySectionLines(file, [])).changed)
        messages.push(`Removed Dusty's section of ${file}.`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        messages.push(`Could not clear ${file}: ${(err as Error).message}`);
      }
    }
  }
  for (const target of [plan.unitFile, plan.socketPath, plan.installDir]) {
    if (await lstat(target).catch(() => null)) {
      await rm(target, { recursive: true, force: true });
      messages.push(`Removed ${target}.`);
    }
  }
  if (plan.platform !== 'darwin' && (deps.systemdRunning ?? systemdIsRunning)()) {
    await deps.runner.run(findExecutable('systemctl') ?? 'systemctl', ['daemon-reload']);
  }
  return messages;
}
