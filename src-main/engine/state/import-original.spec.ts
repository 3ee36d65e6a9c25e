import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  importOriginalConfig,
  originalConfigPath,
  originalInstallOffer,
  parseOriginalConfig,
} from './import-original.js';
import { StateStore } from './store.js';

let dir: string;
let store: StateStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-import-'));
  store = new StateStore(join(dir, 'home'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A config.yml as the original Dusty wrote it (yaml.dump, block style). */
const ORIGINAL = `bundles:
- web
- worker
changeset:
  testing_image: {}
dusty_env_overrides:
  web:
    DEBUG: 'true'
    WORKERS: 4
mac_username: alice
repo_overrides:
  github.com/team/specs: /Users/alice/src/specs
  github.com/team/web: /Users/alice/src/web
setup_has_run: true
specs_repo: github.com/team/specs
vm_memory_size: '4096'
`;

const write = (text: string) => {
  const file = join(dir, 'config.yml');
  writeFileSync(file, text);
  return file;
};

describe('dusty config import', () => {
  it('imports the specs repo (its override), bundles, overrides, env and memory, noting the rest', async () => {
    const r = await importOriginalConfig(store, write(ORIGINAL));
    const config = await store.config();
    expect(config.specs_repo).toBe('/Users/alice/src/specs');
    expect(config.vm_memory_size).toBe('4096');
    expect(await store.activeBundles()).toEqual(['web', 'worker']);
    expect(await store.repoOverrides()).toEqual({
      'github.com/team/web': '/Users/alice/src/web',
    });
    expect(await store.envOverrides()).toEqual({ web: { DEBUG: 'true', WORKERS: '4' } });
    expect(r.lines).toEqual([
      'specs_repo: /Users/alice/src/specs (your override of github.com/team/specs)',
      'bundles: web, worker',
      'repo override: github.com/team/web -> /Users/alice/src/web',
      'env web: DEBUG, WORKERS',
      'vm_memory_size: 4096 MB',
    ]);
    expect(r.notes).toEqual([
      'changeset: not used by this Dusty, not imported',
      'mac_username: not used by this Dusty, not imported',
      'setup_has_run: not used by this Dusty, not imported',
    ]);
  });

  it('refuses a file it cannot parse with the line it stopped at, writing nothing', async () => {
    const file = write('bundles:\n- web\nrepo_overrides: {a: b\nspecs_repo: x\n');
    await expect(importOriginalConfig(store, file)).rejects.toThrow(
      /cannot import .*config\.yml: YAML syntax error at line \d+, column \d+: .*; nothing was changed/,
    );
    expect(() => readdirSync(store.home)).toThrow();
  });

  it('refuses a wrongly typed key before writing anything', async () => {
    const file = write('specs_repo: /specs\nbundles: web\n');
    await expect(importOriginalConfig(store, file)).rejects.toThrow(
      'bundles: expected a list of bundle names; nothing was changed',
    );
    expect(() => readdirSync(store.home)).toThrow();
    expect(() => parseOriginalConfig('- a\n', 'f')).toThrow('expected a mapping');
    expect(() => parseOriginalConfig('vm_memory_size: lots\n', 'f')).toThrow(
      'vm_memory_size: expected a number of megabytes',
    );
  });

  it('stores the specs repo as `dusty config set` does: a path made absolute, a git URL as written', async () => {
    const imported = async (specsRepo: string, override?: string) => {
      const fresh = new StateStore(join(dir, `home-${Math.random().toString(36).slice(2)}`));
      const overrides = override ? `repo_overrides:\n  ${specsRepo}: ${override}\n` : '';
      const r = await importOriginalConfig(fresh, write(`${overrides}specs_repo: ${specsRepo}\n`));
      return { stored: (await fresh.config()).specs_repo, line: r.lines[0] };
    };
    expect(await imported('~/specs')).toEqual({
      stored: join(homedir(), 'specs'),
      line: `specs_repo: ${join(homedir(), 'specs')}`,
    });
    expect((await imported('./specs')).stored).toBe(resolve('specs'));
    expect((await imported('github.com/team/specs')).stored).toBe('github.com/team/specs');
    expect((await imported('git@github.com:team/specs.git')).stored).toBe(
      'git@github.com:team/specs.git',
    );
    expect(await imported('github.com/team/specs', '~/src/specs')).toEqual({
      stored: join(homedir(), 'src/specs'),
      line: `specs_repo: ${join(homedir(), 'src/specs')} (your override of github.com/team/specs)`,
    });
  });

  it('says a missing file cannot be read', async () => {
    await expect(importOriginalConfig(store, join(dir, 'none.yml'))).rejects.toThrow(
      /cannot import .*none\.yml: cannot read it \(ENOENT\)/,
    );
  });
});

describe('the offer to import an original install', () => {
  it('is made while the file exists and no specs repo is set, and names a file given by DUSTY_ORIGINAL_CONFIG', async () => {
    const file = write(ORIGINAL);
    expect(originalConfigPath({ DUSTY_ORIGINAL_CONFIG: file })).toBe(file);
    expect(originalConfigPath({})).toBe('/etc/dusty/config.yml');
    expect(await originalInstallOffer(store, file)).toContain(`\`dusty config import ${file}\``);
    expect(await originalInstallOffer(store, join(dir, 'none.yml'))).toBeUndefined();
    await importOriginalConfig(store, file);
    expect(await originalInstallOffer(store, file)).toBeUndefined();
  });
});
