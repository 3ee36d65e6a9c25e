import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildInstallArgv,
  defaultInstallPlan,
  describeInstall,
  electronBundleOf,
  launchdPlist,
  projectRoot,
  serveArgv,
  systemdUnit,
} from './install.js';

describe('installing from the packaged app (Electron cannot run here; these are its paths)', () => {
  it('finds the folder Electron ships in', () => {
    expect(electronBundleOf('/Applications/Dusty.app/Contents/MacOS/Dusty', 'darwin')).toBe(
      '/Applications/Dusty.app',
    );
    expect(electronBundleOf('/opt/Dusty/dusty', 'linux')).toBe('/opt/Dusty');
    expect(electronBundleOf('/tmp/.mount_DustyX/dusty', 'linux')).toBe('/tmp/.mount_DustyX');
  });

  it('copies from app.asar.unpacked, since app.asar holds no real files', () => {
    expect(projectRoot('/opt/Dusty/resources/app.asar/dist/src-main/helper')).toBe(
      '/opt/Dusty/resources/app.asar.unpacked',
    );
    expect(projectRoot('/home/a/dusty/dist/src-main/helper')).toBe('/home/a/dusty');
    expect(projectRoot('/home/a/dusty/src-main/helper')).toBe('/home/a/dusty');
  });

  it("passes the app's Electron folder to the privileged step, and only for the app", () => {
    const app = buildInstallArgv({
      ownerUid: 501,
      nodePath: '/Applications/Dusty.app/Contents/MacOS/Dusty',
      sourceRoot: '/Applications/Dusty.app/Contents/Resources/app.asar.unpacked',
      electronBundle: '/Applications/Dusty.app',
    });
    expect(app.slice(-2)).toEqual(['--electron-bundle', '/Applications/Dusty.app']);
    const cli = buildInstallArgv({ ownerUid: 501, sourceRoot: '/src' });
    expect(cli).not.toContain('--electron-bundle');
  });

  it('runs the copied Electron as Node from the unit and the plist', () => {
    const mac = defaultInstallPlan(501, {
      platform: 'darwin',
      installDir: '/usr/local/lib/dusty-helper',
      unitFile: '/Library/LaunchDaemons/com.dusty.helper.plist',
      nodePath: '/Applications/Dusty.app/Contents/MacOS/Dusty',
      electronBundle: '/Applications/Dusty.app',
    });
    const runtime = '/usr/local/lib/dusty-helper/runtime/Dusty.app/Contents/MacOS/Dusty';
    expect(serveArgv(mac)[0]).toBe(runtime);
    const plist = launchdPlist(mac);
    expect(plist).toContain(`<string>${runtime}</string>`);
    expect(plist).toContain('<key>ELECTRON_RUN_AS_NODE</key><string>1</string>');

    const linux = defaultInstallPlan(1000, {
      platform: 'linux',
      installDir: '/usr/local/lib/dusty-helper',
      nodePath: '/opt/Dusty/dusty',
      electronBundle: '/opt/Dusty',
    });
    const unit = systemdUnit(linux);
    expect(unit).toContain('ExecStart=/usr/local/lib/dusty-helper/runtime/Dusty/dusty ');
    expect(unit).toContain('Environment=ELECTRON_RUN_AS_NODE=1');

    const node = defaultInstallPlan(1000, { platform: 'linux', nodePath: '/usr/bin/node' });
    expect(serveArgv(node)[0]).toBe(path.join(node.installDir, 'node'));
    expect(systemdUnit(node)).not.toContain('ELECTRON_RUN_AS_NODE');
  });

  it('says before the password prompt that the app’s Electron is copied too', () => {
    const plan = defaultInstallPlan(501, {
      platform: 'darwin',
      nodePath: '/Applications/Dusty.app/Contents/MacOS/Dusty',
      electronBundle: '/Applications/Dusty.app',
    });
    expect(describeInstall(plan)).toMatch(/with a copy of +\/Applications\/Dusty\.app \(Electron/);
    expect(describeInstall(defaultInstallPlan(501, { nodePath: '/usr/bin/node' }))).not.toContain(
      'Electron',
    );
  });

  it('refuses an Electron binary outside its folder', () => {
    const plan = defaultInstallPlan(1000, {
      platform: 'linux',
      nodePath: '/usr/bin/node',
      electronBundle: '/opt/Dusty',
    });
    expect(() => serveArgv(plan)).toThrow(/not inside the Electron folder/);
  });
});
