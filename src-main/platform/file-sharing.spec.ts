import { describe, expect, it } from 'vitest';
import { sharedFolders, unsharedFolders } from './file-sharing.js';

const files = (map: Record<string, string>) => (p: string) => map[p];
const home = '/Users/me';
const ddStore = `${home}/Library/Group Containers/group.com.docker/settings-store.json`;
const ddOld = `${home}/Library/Group Containers/group.com.docker/settings.json`;

describe("folders shared with the engine's VM", () => {
  it("reads Docker Desktop's file sharing list, new file first", () => {
    const readFile = files({
      [ddStore]: JSON.stringify({ FilesharingDirectories: ['/Users', '/Volumes/Work'] }),
      [ddOld]: JSON.stringify({ filesharingDirectories: ['/old'] }),
    });
    expect(sharedFolders('docker-desktop', { readFile, home, platform: 'darwin' })).toEqual({
      folders: ['/Users', '/Volumes/Work'],
      source: ddStore,
    });
    const old = files({ [ddOld]: JSON.stringify({ filesharingDirectories: ['/old'] }) });
    expect(
      sharedFolders('docker-desktop', { readFile: old, home, platform: 'darwin' })?.folders,
    ).toEqual(['/old']);
  });

  it('says which folder Docker Desktop does not share, and how to share it', () => {
    const readFile = files({ [ddStore]: JSON.stringify({ FilesharingDirectories: ['/Users'] }) });
    const deps = { readFile, home, platform: 'darwin' as const, realpath: (p: string) => p };
    const missing = unsharedFolders(
      'docker-desktop',
      ['/Users/me/code/web', '/opt/src/api', '/Users/me/code/web'],
      deps,
    );
    expect(missing).toHaveLength(1);
    expect(missing[0]!.folder).toBe('/opt/src/api');
    expect(missing[0]!.how).toContain('Settings > Resources > File sharing, add /opt/src/api');
    expect(missing[0]!.how).toContain(`shared now: /Users (${ddStore})`);
    // A prefix that is not a parent folder does not count.
    expect(unsharedFolders('docker-desktop', ['/Users2/x'], deps)).toHaveLength(1);
  });

  it("uses Docker Desktop's defaults without a settings file, and follows symlinks", () => {
    const deps = {
      readFile: files({}),
      home,
      platform: 'darwin' as const,
      realpath: (p: string) => p.replace(/^\/etc\//, '/private/etc/'),
    };
    expect(
      unsharedFolders('docker-desktop', ['/etc/app', '/opt/x'], deps).map((m) => m.folder),
    ).toEqual(['/opt/x']);
  });

  it("reads Colima's mounts, the home folder when there are none", () => {
    const yamlFile = `${home}/.colima/work/colima.yaml`;
    const withMounts = files({
      [yamlFile]:
        'cpu: 2\nmounts:\n  - location: ~/code\n    writable: true\n  - location: /Volumes/data\n',
    });
    const deps = {
      readFile: withMounts,
      home,
      colimaProfile: 'work',
      env: {},
      realpath: (p: string) => p,
    };
    expect(sharedFolders('colima', deps)).toEqual({
      folders: [`${home}/code`, '/Volumes/data'],
      source: yamlFile,
    });
    const missing = unsharedFolders('colima', [`${home}/code/a`, `${home}/other`], deps);
    expect(missing.map((m) => m.folder)).toEqual([`${home}/other`]);
    expect(missing[0]!.how).toContain(`- location: ${home}/other`);
    expect(missing[0]!.how).toContain('colima restart --profile work');
    const none = { ...deps, readFile: files({ [yamlFile]: 'cpu: 2\nmounts: []\n' }) };
    expect(
      unsharedFolders('colima', [`${home}/other`, '/opt/x'], none).map((m) => m.folder),
    ).toEqual(['/opt/x']);
  });

  it('names the file of a broken settings file', () => {
    expect(() =>
      sharedFolders('docker-desktop', {
        readFile: files({ [ddStore]: '{' }),
        home,
        platform: 'darwin',
      }),
    ).toThrow(`Docker Desktop's settings ${ddStore} is not valid JSON`);
    expect(() =>
      sharedFolders('colima', {
        readFile: files({ [`${home}/.colima/default/colima.yaml`]: 'mounts: [' }),
        home,
        env: {},
      }),
    ).toThrow(`Colima's configuration ${home}/.colima/default/colima.yaml is not valid YAML`);
  });

  it('checks nothing for engines that see every folder', () => {
    for (const k of ['orbstack', 'native', 'rancher-desktop', 'podman'] as const)
      expect(unsharedFolders(k, ['/anywhere'], { readFile: files({}), home })).toEqual([]);
  });
});
