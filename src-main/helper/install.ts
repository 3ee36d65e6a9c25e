/**
 * Installing the helper: a root-owned copy of just what it runs (its
 * compiled modules, zod, and a Node binary root can trust), a systemd unit or
 * launchd plist, and a first `version` check. Used by `dusty setup` in the
 * terminal and, through {@link buildInstallCommand}, by the app's password
 * prompt.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandRunner } from '../platform/command-runner.js';
import { HelperClient } from '../platform/helper-client.js';
import { applySectionLines } from '../platform/hosts-file.js';
import { systemdIsRunning } from '../platform/native-engine.js';
import type { SystemProgram } from '../platform/system-programs.js';
import { requireProgram } from '../platform/system-programs.js';
import { checkTrustedFolders } from '../platform/trusted-path.js';
import { copyTreeAsRoot, verifyTreeIsRoots } from './install-tree.js';
import type { InstallPlan } from './install-plan.js';
import { shellJoin } from '../../src-shared/shell-quote.js';
import { LAUNCHD_LABEL, SYSTEMD_UNIT, installedRuntime } from './install-plan.js';
import { launchdPlist, serveArgv, systemdUnit } from './unit-files.js';

export * from './install-plan.js';
export { launchdPlist, serveArgv, systemdUnit } from './unit-files.js';

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

/** What serve-main imports: the helper, the platform layer, the shared protocol, the version. */
const HELPER_PARTS = [
  'dist/src-main/helper',
  'dist/src-main/platform',
  'dist/src-shared',
  'dist/src-main/version.js',
];

/**
 * Makes `dir`'s parent exist, refusing first unless every folder above it
 * is root's alone: whoever can write one of them can swap what root runs.
 */
export async function prepareRootFolder(dir: string): Promise<void> {
  let existing = path.dirname(path.resolve(dir));
  while (!(await lstat(existing).catch(() => null))) existing = path.dirname(existing);
  checkTrustedFolders(existing);
  await mkdir(path.dirname(path.resolve(dir)), { recursive: true, mode: 0o755 });
  checkTrustedFolders(path.dirname(path.resolve(dir)));
}

/** Fills `staging` with root's own copy of the helper and its runtime, then proves it. */
async function stageCopy(plan: InstallPlan, staging: string): Promise<void> {
  const copy = { ownerUid: plan.ownerUid };
  await mkdir(staging, { mode: 0o755 });
  await mkdir(path.join(staging, 'dist'), { mode: 0o755 });
  await mkdir(path.join(staging, 'dist/src-main'), { mode: 0o755 });
  await mkdir(path.join(staging, 'node_modules'), { mode: 0o755 });
  for (const part of HELPER_PARTS) {
    await copyTreeAsRoot(path.join(plan.sourceRoot, part), path.join(staging, part), {
      ...copy,
      filter: (src) => !src.endsWith('.map'),
    });
  }
  for (const pkg of HELPER_PACKAGES) {
    const dest = path.join(staging, 'node_modules', pkg);
    // A scoped package (@scope/name) needs its scope's folder first.
    const parent = path.dirname(dest);
    await mkdir(parent, { recursive: true, mode: 0o755 });
    await chmod(parent, 0o755);
    await copyTreeAsRoot(path.join(plan.sourceRoot, 'node_modules', pkg), dest, copy);
  }
  const pkg = JSON.parse(await readFile(path.join(plan.sourceRoot, 'package.json'), 'utf8')) as {
    version?: string;
  };
  const manifest = {
    name: 'dusty-helper',
    version: pkg.version ?? '0.0.0',
    type: 'module',
    private: true,
  };
  await writeFile(path.join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o644,
  });
  // A Node binary the owner could replace would hand them root, so root gets its own copy.
  if (plan.electronBundle) {
    await mkdir(path.join(staging, 'runtime'), { mode: 0o755 });
    const bundle = path.join(staging, 'runtime', path.basename(plan.electronBundle));
    await copyTreeAsRoot(plan.electronBundle, bundle, { ...copy, keepInternalLinks: true });
  } else {
    await copyTreeAsRoot(plan.nodePath, installedRuntime({ ...plan, installDir: staging }), copy);
  }
  await chown(staging, 0, 0);
  await chmod(staging, 0o755);
  await verifyTreeIsRoots(staging);
}

/** Puts the staged copy in place of any previous one. */
async function swapIn(staging: string, installDir: string): Promise<void> {
  const old = `${installDir}.old-${randomBytes(4).toString('hex')}`;
  await rename(installDir, old).catch(() => undefined);
  await rename(staging, installDir);
  await rm(old, { recursive: true, force: true });
}

/**
 * The npm packages the helper imports, with their dependencies: zod for the
 * protocol, the ASN.1 X.509 schema (and what it needs) to read a CA's name
 * constraints before trusting it.
 */
export const HELPER_PACKAGES = [
  'zod',
  '@peculiar/asn1-x509',
  '@peculiar/asn1-schema',
  '@peculiar/utils',
  'asn1js',
  'pvtsutils',
  'pvutils',
  'tslib',
];

/**
 * Copies the helper into `plan.installDir` (root-owned, replaced whole),
 * writes the unit or plist, starts it where systemd or launchd runs, and
 * checks `version`. Must run as root. Refuses, changing nothing, when a
 * folder above the install folder or the unit file is not root's alone, a
 * path holds a control character, or the source holds anything but
 * regular files and folders.
 */
export async function installHelper(plan: InstallPlan, deps: InstallDeps): Promise<InstallOutcome> {
  const serveMain = path.join(plan.sourceRoot, 'dist/src-main/helper/serve-main.js');
  if (!(await lstat(serveMain).catch(() => null))) {
    throw new Error(`${serveMain} is missing: build Dusty first (npm run build)`);
  }
  const unit = plan.platform === 'darwin' ? launchdPlist(plan) : systemdUnit(plan);
  await prepareRootFolder(plan.installDir);
  await prepareRootFolder(plan.unitFile);
  const messages: string[] = [];
  const staging = `${plan.installDir}.new-${randomBytes(4).toString('hex')}`;
  try {
    await stageCopy(plan, staging);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await swapIn(staging, plan.installDir);
  messages.push(`Installed the helper in ${plan.installDir}.`);

  await writeFile(plan.unitFile, unit, { mode: 0o644 });
  await chown(plan.unitFile, 0, 0);
  await chmod(plan.unitFile, 0o644);
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
  const run = async (cmd: SystemProgram, args: string[]) => {
    const program = requireProgram(cmd, { platform: plan.platform });
    const result = await deps.runner.run(program, args, { timeoutMs: 60_000 });
    if (result.code !== 0)
      throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr.trim()}`);
  };
  if (plan.platform === 'darwin') {
    const launchctl = requireProgram('launchctl', { platform: plan.platform });
    await deps.runner.run(launchctl, ['bootout', `system/${LAUNCHD_LABEL}`]);
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
    `Start the installed copy yourself, as root: ${shellJoin(serveArgv(plan))}`,
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
    const launchctl = requireProgram('launchctl', { platform: plan.platform });
    await deps.runner.run(launchctl, ['bootout', `system/${LAUNCHD_LABEL}`]);
  } else if ((deps.systemdRunning ?? systemdIsRunning)()) {
    const systemctl = requireProgram('systemctl', { platform: plan.platform });
    await deps.runner.run(systemctl, ['disable', '--now', SYSTEMD_UNIT]);
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
    await deps.runner.run(requireProgram('systemctl', { platform: plan.platform }), [
      'daemon-reload',
    ]);
  }
  return messages;
}
