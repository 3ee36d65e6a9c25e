/**
 * What `dusty setup` will do, decided before anything is touched: the plan
 * shown to the person, and the privileged command line that carries it out.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HELPER_DEFAULTS,
  defaultHelperInstallDir,
  defaultHelperUnitFile,
} from '../../src-shared/helper-protocol.js';
import { shellQuote } from '../../src-shared/shell-quote.js';

/** Where the installed helper lives on Linux. */
export const DEFAULT_INSTALL_DIR = defaultHelperInstallDir('linux');
/** The systemd unit name. */
export const SYSTEMD_UNIT = HELPER_DEFAULTS.systemdUnit;
/** The launchd label. */
export const LAUNCHD_LABEL = HELPER_DEFAULTS.launchdLabel;

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
    installDir: defaultHelperInstallDir(platform),
    unitFile: defaultHelperUnitFile(platform),
    platform,
    socketPath: HELPER_DEFAULTS.socketPath,
    hostsFile: HELPER_DEFAULTS.hostsFile,
    exportsFile: HELPER_DEFAULTS.exportsFile,
    auditLog: HELPER_DEFAULTS.auditLog,
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
  return buildInstallArgv(options)
    .map((w) => shellQuote(w, true))
    .join(' ');
}
