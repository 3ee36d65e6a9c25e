/**
 * The privileged step of `dusty setup`, run through sudo (terminal) or
 * sudo-prompt (app): `node install-main.js install|uninstall --owner UID
 * --source DIR`. The environment may move the paths (the tests install into
 * a temporary directory); a person running it through sudo gets the defaults,
 * since sudo resets the environment.
 */
import path from 'node:path';
import { ExecRunner } from '../platform/command-runner.js';
import { defaultInstallPlan, installHelper, uninstallHelper } from './install.js';

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const action = argv[0];
  const owner = option(argv, '--owner');
  const source = option(argv, '--source');
  // The app runs this step with its Electron as Node; the helper needs all of Electron's folder.
  const electronBundle = option(argv, '--electron-bundle');
  if ((action !== 'install' && action !== 'uninstall') || !owner || !/^\d+$/.test(owner)) {
    process.stderr.write(
      'usage: install-main.js install|uninstall --owner UID [--source DIR] [--electron-bundle DIR]\n',
    );
    process.exit(2);
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('dusty setup: this step must run as root\n');
    process.exit(1);
  }
  const env = process.env;
  const plan = defaultInstallPlan(Number(owner), {
    ...(source ? { sourceRoot: source } : {}),
    ...(electronBundle ? { electronBundle: path.resolve(electronBundle) } : {}),
    ...(env.DUSTY_HELPER_INSTALL_DIR ? { installDir: env.DUSTY_HELPER_INSTALL_DIR } : {}),
    ...(env.DUSTY_HELPER_UNIT_FILE ? { unitFile: env.DUSTY_HELPER_UNIT_FILE } : {}),
    ...(env.DUSTY_SOCKET_PATH ? { socketPath: env.DUSTY_SOCKET_PATH } : {}),
    ...(env.DUSTY_HOSTS_FILE ? { hostsFile: env.DUSTY_HOSTS_FILE } : {}),
    ...(env.DUSTY_EXPORTS_FILE ? { exportsFile: env.DUSTY_EXPORTS_FILE } : {}),
    ...(env.DUSTY_HELPER_AUDIT_LOG ? { auditLog: env.DUSTY_HELPER_AUDIT_LOG } : {}),
  });
  const deps = {
    runner: new ExecRunner(),
    ...(env.DUSTY_HELPER_NO_START === '1' ? { start: false, systemdRunning: () => false } : {}),
  };
  if (action === 'install') {
    const outcome = await installHelper(plan, deps);
    for (const m of outcome.messages) process.stdout.write(`${m}\n`);
  } else {
    for (const m of await uninstallHelper(plan, deps)) process.stdout.write(`${m}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`dusty setup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
