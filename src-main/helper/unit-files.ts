/**
 * The systemd unit (Linux) and launchd plist (macOS) that start the
 * installed helper as root.
 */
import path from 'node:path';
import { HELPER_DEFAULTS } from '../../src-shared/helper-protocol.js';
import type { InstallPlan } from './install-plan.js';
import { LAUNCHD_LABEL, installedRuntime } from './install-plan.js';

/**
 * Refuses a plan whose paths hold control characters: a newline in a path
 * would start a new directive in a unit file, and no sane path has one.
 */
export function refuseControlCharacters(plan: InstallPlan): void {
  const paths: [string, string | undefined][] = [
    ['install folder', plan.installDir],
    ['unit file', plan.unitFile],
    ['socket', plan.socketPath],
    ['hosts file', plan.hostsFile],
    ['exports file', plan.exportsFile],
    ['audit log', plan.auditLog],
    ['runtime', plan.nodePath],
    ['Electron folder', plan.electronBundle],
    ['source', plan.sourceRoot],
  ];
  for (const [what, value] of paths) {
    // eslint-disable-next-line no-control-regex
    if (value !== undefined && /[\u0000-\u001f\u007f-\u009f]/.test(value)) {
      throw new Error(
        `the ${what} path ${JSON.stringify(value)} contains a control character; refusing to write it into a unit`,
      );
    }
  }
}

/** A word for a systemd unit line, quoted, with specifiers (`%`) and, in commands, `$` escaped. */
export function systemdWord(word: string, inCommand: boolean): string {
  let text = word.replace(/%/g, '%%');
  if (inCommand) text = text.replace(/\$/g, '$$$$');
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `"${text.replace(/(["\\])/g, '\\$1')}"`;
}

function envLines(plan: InstallPlan): [string, string][] {
  const env: [string, string][] = [];
  const moved: [string, string, string][] = [
    ['DUSTY_SOCKET_PATH', plan.socketPath, HELPER_DEFAULTS.socketPath],
    ['DUSTY_HOSTS_FILE', plan.hostsFile, HELPER_DEFAULTS.hostsFile],
    ['DUSTY_EXPORTS_FILE', plan.exportsFile, HELPER_DEFAULTS.exportsFile],
    ['DUSTY_HELPER_AUDIT_LOG', plan.auditLog, HELPER_DEFAULTS.auditLog],
  ];
  for (const [key, value, byDefault] of moved) if (value !== byDefault) env.push([key, value]);
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
  refuseControlCharacters(plan);
  return [
    '[Unit]',
    'Description=Dusty privileged helper (hosts, exports, Docker engine)',
    'After=network.target',
    '',
    '[Service]',
    `ExecStart=${serveArgv(plan)
      .map((w) => systemdWord(w, true))
      .join(' ')}`,
    ...envLines(plan).map(([k, v]) => `Environment=${systemdWord(`${k}=${v}`, false)}`),
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

/** Text for an XML element or attribute. */
export function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** The launchd plist that runs the helper. */
export function launchdPlist(plan: InstallPlan): string {
  refuseControlCharacters(plan);
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
