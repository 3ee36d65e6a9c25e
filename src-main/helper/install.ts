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
import { fileURLToPath } from 'node:url';
import { DEFAULT_HELPER_SOCKET } from '../../src-shared/helper-protocol.js';
import type { CommandRunner } from '../platform/command-runner.js';
import { findExecutable } from '../platform/command-runner.js';
import { applySectionLines } from '../platform/hosts-file.js';
import { systemdIsRunning } from '../platform/native-engine.js';
import { HelperClient } from './client.js';

/** Where the installed helper lives. */
export const DEFAULT_INSTALL_DIR = '/usr/local/lib/dusty-helper';
/** The systemd unit name. */
export const SYSTEMD_UNIT = 'dusty-helper.service';
/** The launchd label. */
export const LAUNCHD_LABEL = 'com.dusty.helper';

/** Everything an install decides, shown to the person before the password prompt. */
export interface InstallPlan {
  ownerUid: number;
  /** The project whose built `dist/` is copied. */
  sourceRoot: string;
  installDir: string;
  unitFile: string;
  platform: NodeJS.Platform;
  socketPath: string;
  hostsFile: string;
  exportsFile: string;
  auditLog: string;
  /** The Node binary the unit runs (copied in when its path is not root-only). */
  nodePath: string;
  /**
   * In the app, `nodePath` is Electron, which cannot run apart from the
   * libraries and resources it ships with: this is that folder (the .app
   * bundle on macOS), copied in whole, its binary run with ELECTRON_RUN_AS_NODE.
   */
  electronBundle?: string | undefined;
}

/** The folder Electron ships in, from its binary's path: the .app bundle on macOS, the binary's folder elsewhere. */
export function electronBundleOf(execPath: string, platform: NodeJS.Platform): string {
  const app = execPath.lastIndexOf('.app/Contents/');
  if (platform === 'darwin' && app >= 0) return execPath.slice(0, app + 4);
  return path.dirname(execPath);
}

/** This running copy's Electron folder when it is the app, else undefined. */
function runningElectronBundle(): string | undefined {
  return process.versions.electron
    ? electronBundleOf(process.execPath, process.platform)
    : undefined;
}

/** The binary the installed unit runs, inside the install folder. */
export function installedRuntime(plan: InstallPlan): string {
  if (!plan.electronBundle) return path.join(plan.installDir, 'node');
  const inside = path.relative(plan.electronBundle, plan.nodePath);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside))
    throw new Error(`${plan.nodePath} is not inside the Electron folder ${plan.electronBundle}`);
  return path.join(plan.installDir, 'runtime', path.basename(plan.electronBundle), inside);
}

/**
 * The project root of this running copy (three levels above
 * dist/src-main/helper). In the packaged app that is inside app.asar, whose
 * files are not real files to copy: the helper's are unpacked beside it
 * (`asarUnpack` in electron-builder.yml), and the install copies from there.
 */
export function projectRoot(here = path.dirname(fileURLToPath(import.meta.url))): string {
  const up = here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..';
  const root = path.resolve(here, up);
  return root.endsWith('.asar') ? `${root}.unpacked` : root;
}

/** The default plan for `ownerUid` on this machine. */
export function defaultInstallPlan(
  ownerUid: number,
  overrides: Partial<InstallPlan> = {},
): InstallPlan {
  const platform = overrides.platform ?? process.platform;
  return {
    ownerUid,
    sourceRoot: projectRoot(),
    installDir: DEFAULT_INSTALL_DIR,
    unitFile:
      platform === 'darwin'
        ? `/Library/LaunchDaemons/${LAUNCHD_LABEL}.plist`
        : `/etc/systemd/system/${SYSTEMD_UNIT}`,
    platform,
    socketPath: DEFAULT_HELPER_SOCKET,
    hostsFile: '/etc/hosts',
    exportsFile: '/etc/exports',
    auditLog: '/var/log/dusty-helper.log',
    nodePath: process.execPath,
    electronBundle: runningElectronBundle(),
    ...overrides,
  };
}

/** What will be installed and which files it will edit, in words. */
export function describeInstall(plan: InstallPlan): string {
  return [
    'Dusty will install a small helper that runs as root, so that Dusty itself does not need to.',
    `  It is copied to     ${plan.installDir}`,
    ...(plan.electronBundle
      ? [`  with a copy of      ${plan.electronBundle} (Electron, run as Node; root's own copy)`]
      : []),
    `  It is started by    ${plan.unitFile}`,
    `  It listens on       ${plan.socketPath} (only uid ${plan.ownerUid} and root can connect)`,
    `  It edits only Dusty's section of ${plan.hostsFile} and ${plan.exportsFile},`,
    '  can start the Docker engine, and logs every change to',
    `                      ${plan.auditLog}`,
    `  Remove it with      dusty setup --uninstall`,
  ].join('\n');
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Options of {@link buildInstallCommand}. */
export interface InstallCommandOptions {
  ownerUid: number;
  uninstall?: boolean;
  /** Defaults to this process's Node binary. */
  nodePath?: string;
  /** Defaults to this running copy's project root. */
  sourceRoot?: string;
  /** The Electron folder to install with the helper; defaults to this app's when it is Electron. */
  electronBundle?: string | undefined;
}

/** The argument vector of the privileged install step. */
export function buildInstallArgv(options: InstallCommandOptions): string[] {
  const source = options.sourceRoot ?? projectRoot();
  const bundle = 'electronBundle' in options ? options.electronBundle : runningElectronBundle();
  return [
    options.nodePath ?? process.execPath,
    path.join(source, 'dist/src-main/helper/install-main.js'),
    options.uninstall ? 'uninstall' : 'install',
    '--owner',
    String(options.ownerUid),
    '--source',
    source,
    ...(bundle ? ['--electron-bundle', bundle] : []),
  ];
}

/**
 * The exact command line for `@vscode/sudo-prompt`'s `exec` (a shell line,
 * every word quoted) that installs or uninstalls the helper for `ownerUid`.
 */
export function buildInstallCommand(options: InstallCommandOptions): string {
  if (!Number.isInteger(options.ownerUid) || options.ownerUid < 0) {
    throw new Error(`owner uid ${options.ownerUid} is not a uid`);
  }
  return buildInstallArgv(options).map(shellQuote).join(' ');
}

function envLines(plan: InstallPlan): [string, string][] {
  const env: [string, string][] = [];
  if (plan.socketPath !== DEFAULT_HELPER_SOCKET) env.push(['DUSTY_SOCKET_PATH', plan.socketPath]);
  if (plan.hostsFile !== '/etc/hosts') env.push(['DUSTY_HOSTS_FILE', plan.hostsFile]);
  if (plan.exportsFile !== '/etc/exports') env.push(['DUSTY_EXPORTS_FILE', plan.exportsFile]);
  if (plan.auditLog !== '/var/log/dusty-helper.log')
    env.push(['DUSTY_HELPER_AUDIT_LOG', plan.auditLog]);
  env.push(['DUSTY_HELPER_UNIT_FILES', plan.unitFile]);
  if (plan.electronBundle) env.push(['ELECTRON_RUN_AS_NODE', '1']);
  return env;
}

/** The command the unit runs. */
export function serveArgv(plan: InstallPlan): string[] {
  return [
    installedRuntime(plan),
    path.join(plan.installDir, 'dist/src-main/helper/serve-main.js'),
    '--owner',
    String(plan.ownerUid),
  ];
}

/** The systemd unit that runs the helper. */
export function systemdUnit(plan: InstallPlan): string {
  const quote = (w: string) =>
    /^[\w@%+=:,./-]+$/.test(w) ? w : `"${w.replace(/(["\\])/g, '\\$1')}"`;
  return [
    '[Unit]',
    'Description=Dusty privileged helper (hosts, exports, Docker engine)',
    'After=network.target',
    '',
    '[Service]',
    `ExecStart=${serveArgv(plan).map(quote).join(' ')}`,
    ...envLines(plan).map(([k, v]) => `Environment=${quote(`${k}=${v}`)}`),
    'Restart=on-failure',
    'RestartSec=2',
    'UMask=0077',
    'NoNewPrivileges=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The launchd plist that runs the helper. */
export function launchdPlist(plan: InstallPlan): string {
  const args = serveArgv(plan).map((a) => `    <string>${xml(a)}</string>`);
  const env = envLines(plan).map(([k, v]) => `    <key>${xml(k)}</key><string>${xml(v)}</string>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key><string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args,
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...env,
    '  </dict>',
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key><true/>',
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

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
