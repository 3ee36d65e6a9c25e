import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RepoInfo } from '../repos/repos.js';
import { gitIgnored, planFolders, remoteRepoPath, remoteRoot } from './sync.js';

describe('the remote folder', () => {
  it('defaults to ~/.dusty-remote/PROJECT in the remote home', () => {
    expect(remoteRoot('', 'dusty', '/home/dev')).toBe('/home/dev/.dusty-remote/dusty');
    expect(remoteRoot('~/code/', 'x', '/home/dev')).toBe('/home/dev/code');
    expect(remoteRoot('/srv/dusty', 'x', '/home/dev')).toBe('/srv/dusty');
  });

  it('refuses a relative folder, naming the key', () => {
    expect(() => remoteRoot('code', 'x', '/home/dev')).toThrow(/remote_dir "code"/);
  });

  it('puts each repo in a folder of its own, and the assets beside them', () => {
    const repo = (name: string, path: string): RepoInfo => ({
      name,
      mode: 'overridden',
      path,
      cloneUrl: name,
      usedBy: [],
    });
    const folders = planFolders(
      '/r',
      [repo('github.com/org/web', '/src/web'), repo('/abs/lib', '/abs/lib')],
      '/home/me/.config/dusty/assets',
    );
    expect(folders).toEqual([
      { name: '/abs/lib', kind: 'repo', local: '/abs/lib', remote: '/r/repos/abs/lib' },
      {
        name: 'github.com/org/web',
        kind: 'repo',
        local: '/src/web',
        remote: '/r/repos/github.com/org/web',
      },
      {
        name: 'assets',
        kind: 'state',
        local: '/home/me/.config/dusty/assets',
        remote: '/r/assets',
      },
    ]);
    expect(remoteRepoPath('/r', 'git@github.com:org/../../etc.git')).toBe(
      '/r/repos/github.com/org/etc',
    );
  });
});

describe('git-ignored paths', () => {
  it('are what git says, nested .gitignore and negations included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dusty-ignored-'));
    try {
      execFileSync('git', ['init', '-q', dir]);
      writeFileSync(join(dir, '.gitignore'), '*.log\n!keep.log\nnode_modules/\n');
      mkdirSync(join(dir, 'node_modules', 'x'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'x', 'i.js'), '');
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', '.gitignore'), 'gen/\n');
      mkdirSync(join(dir, 'sub', 'gen'));
      writeFileSync(join(dir, 'sub', 'gen', 'out.txt'), '');
      for (const f of ['a.log', 'keep.log', 'main.c']) writeFileSync(join(dir, f), '');
      expect((await gitIgnored(dir)).sort()).toEqual(['a.log', 'node_modules/', 'sub/gen/']);
      expect(await gitIgnored(join(dir, 'sub', 'gen'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
