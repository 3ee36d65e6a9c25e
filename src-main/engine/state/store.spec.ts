import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from './env-file.js';
import { defaultDustyHome, StateStore } from './store.js';

let home: string;
let store: StateStore;
beforeEach(() => {
  home = join(mkdtempSync(join(tmpdir(), 'dusty-state-')), 'home');
  store = new StateStore(home);
});
afterEach(() => {
  rmSync(join(home, '..'), { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;

describe('StateStore', () => {
  it('gives the defaults before anything is set', async () => {
    expect(await store.config()).toEqual({
      specs_repo: '',
      nginx_image: 'nginx:stable',
      vm_provider: 'auto',
      pull_repos: true,
      publish_address: '',
      remote_dir: '',
      vm_memory_size: '',
      https: true,
    });
    expect(await store.activeBundles()).toEqual([]);
    expect(await store.envOverrides()).toEqual({});
    expect(await store.repoOverrides()).toEqual({});
    expect(await store.setAssets()).toEqual(new Set());
  });

  it('keeps config and state in files only this user can read', async () => {
    await store.setConfig('specs_repo', '/srv/specs');
    await store.setActiveBundles(['b']);
    expect(mode(store.configPath)).toBe(0o600);
    expect(mode(store.statePath)).toBe(0o600);
    expect(mode(home)).toBe(0o700);
    expect((await new StateStore(home).config()).specs_repo).toBe('/srv/specs');
  });

  it('stores active bundles once each, sorted', async () => {
    await store.setActiveBundles(['web', 'api', 'web']);
    expect(await store.activeBundles()).toEqual(['api', 'web']);
  });

  it('merges env overrides per app and unsets one variable or all', async () => {
    await store.setEnv('web', { A: '1', B: '2' });
    await store.setEnv('web', { B: 'two', C: '$3' });
    await store.setEnv('db', { X: 'x' });
    expect(await store.envOverrides()).toEqual({
      web: { A: '1', B: 'two', C: '$3' },
      db: { X: 'x' },
    });
    await store.unsetEnv('web', 'A');
    expect((await store.envOverrides()).web).toEqual({ B: 'two', C: '$3' });
    await store.unsetEnv('web');
    await store.unsetEnv('db', 'X');
    expect(await store.envOverrides()).toEqual({});
  });

  it('sets and removes repo overrides without touching the rest of the state', async () => {
    await store.setActiveBundles(['b']);
    await store.setRepoOverride('github.com/org/app', '/home/u/app');
    expect(await store.repoOverrides()).toEqual({ 'github.com/org/app': '/home/u/app' });
    await store.setRepoOverride('github.com/org/app', undefined);
    expect(await store.repoOverrides()).toEqual({});
    expect(await store.activeBundles()).toEqual(['b']);
  });

  it('stores asset values privately and lists only their names', async () => {
    await store.setAsset('api_key', Buffer.from('secret'));
    expect(mode(join(store.assetsDir, 'api_key'))).toBe(0o600);
    expect((await store.readAsset('api_key')).toString()).toBe('secret');
    expect(await store.assetSize('api_key')).toBe(6);
    writeFileSync(join(store.assetsDir, 'half.abc123.tmp'), 'x');
    expect(await store.setAssets()).toEqual(new Set(['api_key']));
    await store.unsetAsset('api_key');
    await expect(store.readAsset('api_key')).rejects.toThrow(
      'asset api_key is not set; set it with `dusty assets set api_key FILE`',
    );
  });

  it.each(['../state.json', 'a/b', '.hidden', ''])('refuses the asset name %j', async (name) => {
    await expect(store.setAsset(name, Buffer.from('x'))).rejects.toThrow(
      'is not a valid asset name',
    );
  });

  it('names the file and the key of a bad config value', async () => {
    await store.setConfig('specs_repo', '/x');
    writeFileSync(store.configPath, JSON.stringify({ vm_provider: 'virtualbox' }));
    await expect(store.config()).rejects.toThrow(`${store.configPath}: vm_provider: `);
  });

  it('says which state file is not valid JSON', async () => {
    await store.setActiveBundles(['b']);
    writeFileSync(store.statePath, '{ broken');
    await expect(store.activeBundles()).rejects.toThrow(`${store.statePath} is not valid JSON`);
  });

  it('leaves no temporary files behind after writing', async () => {
    await store.setActiveBundles(['a']);
    await store.setEnv('web', { A: '1' });
    expect(JSON.parse(readFileSync(store.statePath, 'utf8'))).toEqual({
      activeBundles: ['a'],
      env: { web: { A: '1' } },
      repoOverrides: {},
    });
    expect(readdirSync(home).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the state file valid JSON under concurrent writes', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.setEnv(`app${i}`, { V: String(i) })),
    );
    expect(() => JSON.parse(readFileSync(store.statePath, 'utf8')) as unknown).not.toThrow();
  });

  // BUG (store.ts): update() is read-modify-write with no queue, so changes
  // made at the same time (two dashboard requests, say) overwrite each other
  // and all but one are silently lost.
  it('keeps every change when several are made at the same time', async () => {
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => store.setEnv(`app${i}`, { V: String(i) })),
      store.setActiveBundles(['b']),
      store.setRepoOverride('github.com/org/app', '/src/app'),
    ]);
    expect(Object.keys(await store.envOverrides())).toHaveLength(20);
    expect(await store.activeBundles()).toEqual(['b']);
    expect(await store.repoOverrides()).toEqual({ 'github.com/org/app': '/src/app' });
  });
});

describe('defaultDustyHome', () => {
  it('uses DUSTY_HOME when set', () => {
    expect(defaultDustyHome({ DUSTY_HOME: '/tmp/dh' })).toBe('/tmp/dh');
  });

  it.runIf(process.platform === 'linux')('follows XDG_CONFIG_HOME on Linux', () => {
    expect(defaultDustyHome({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/dusty');
  });
});

describe('env files (env set --file)', () => {
  it('reads KEY=VALUE lines, comments, export and quotes', () => {
    expect(
      parse(
        '# comment\n\nA=1\r\nexport B="two words"\nC=\'x=y\'\n  D = spaced  \nE=\nF="$HOME"\n',
        'vars.env',
      ),
    ).toEqual({ A: '1', B: 'two words', C: 'x=y', D: 'spaced', E: '', F: '$HOME' });
  });

  it('names the file and line of a line that is not KEY=VALUE', () => {
    expect(() => parse('A=1\n\n1BAD=2\n', 'vars.env')).toThrow(
      'vars.env:3: expected KEY=VALUE, found "1BAD=2"',
    );
  });
});
