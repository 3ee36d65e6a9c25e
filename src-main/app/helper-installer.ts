/** The real helper installer for the shell: the helper's own plan and command, run through one sudo-prompt. */
import sudo from '@vscode/sudo-prompt';
import { HelperClient } from '../platform/helper-client.js';
import { buildInstallCommand, defaultInstallPlan, describeInstall } from '../helper/install.js';
import type { HelperInstaller } from './helper-offer.js';

export function sudoHelperInstaller(): HelperInstaller {
  const uid = process.getuid?.() ?? 0;
  return {
    available: () => new HelperClient().available(),
    describe: () => describeInstall(defaultInstallPlan(uid)),
    install: () =>
      new Promise<void>((resolve, reject) => {
        // Inside Electron, process.execPath is Electron; ELECTRON_RUN_AS_NODE makes it run the installer as Node.
        const command = buildInstallCommand({ ownerUid: uid });
        sudo.exec(
          command,
          { name: 'Dusty', env: { ELECTRON_RUN_AS_NODE: '1' } },
          (error, _stdout, stderr) => {
            if (error)
              reject(new Error(`${error.message}${stderr ? `\n${String(stderr).trim()}` : ''}`));
            else resolve();
          },
        );
      }),
  };
}
