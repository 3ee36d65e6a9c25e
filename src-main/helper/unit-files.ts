/**
 * The systemd unit (Linux) and launchd plist (macOS) that start the
 * installed helper as root.
 */
import path from 'node:path';
import { HELPER_DEFAULTS } from '../../src-shared/helper-protocol.js';
import type { InstallPlan } from './install-plan.js';
import { LAUNCHD_LABEL, installedRuntime } from './install-plan.js';

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
