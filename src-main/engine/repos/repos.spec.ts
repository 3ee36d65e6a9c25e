import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DustyError } from '../errors.js';
import {
  cloneUrl,
  describeRepos,
  managedFolder,
  matchReposInDir,
  repoShortName,
  resolveRepoName,
} from './repos.js';

describe('cloneUrl', () => {
  it.each([
    ['github.com/org/app', 'git@github.com:org/app.git'],
    ['github.com/org/app.git', 'git@github.com:org/app.git'],
    ['gitlab.example.co.uk/group/sub/app', 'git@gitlab.example.co.uk:group/sub/app.git'],
  ])('clones the short form %s over SSH as %s', (repo, url) => {
    expect(cloneUrl(repo)).toBe(url);
  });

  it.each([
    'https://github.com/org/app.git',
    'git@github.com:org/app.git',
    'ssh://git@host.com:2222/org/app.git',
    'file:///srv/repos/app',
    '/home/u/app',
  ])('clones %s as written', (repo) => {
    expect(cloneUrl(repo)).toBe(repo);
  });
});

describe('managedFolder', () => {
  it('gives one folder for the same repo written in different forms', () => {
    const forms = [
      'github.com/org/app',
      'github.com/org/app.git',
      'https://github.com/org/app.git',
      'git@github.com:org/app.git',
    ];
    expect(new Set(forms.map(managedFolder))).toEqual(new Set(['github.com/org/app']));
  });

  it('keeps different repos in different folders', () => {
    expect(managedFolder('github.com/org/app')).not.toBe(managedFolder('github.com/other/app'));
    expect(managedFolder('ssh://git@host.com:2222/org/app.git')).toBe('host.com/2222/org/app');
  });

  it.each(['../../etc/passwd', 'github.com/../../x', 'file:///../../root/x'])(
    'never leaves the repos folder for %s',
    (repo) => {
      const folder = managedFolder(repo);
      expect(folder.split('/')).not.toContain('..');
      expect(folder.startsWith('/')).toBe(false);
      expect(folder).not.toBe('');
    },
  );
});

describe('repoShortName', () => {
  it.each([
    ['github.com/org/app', 'app'],
    ['https://github.com/org/app.git', 'app'],
    ['git@github.com:org/app.git', 'app'],
    ['git@github.com:app.git', 'app'],
    ['/home/u/src/app/', 'app'],
  ])('names %s by its last segment, %s', (repo, short) => {
    expect(repoShortName(repo)).toBe(short);
  });
});

describe('matchReposInDir (repos from DIR)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('overrides exactly the repos whose short name is a folder in DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dusty-repos-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'app'));
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'notes'), '');
    const repos = ['github.com/org/app', 'git@github.com:org/lib.git', 'github.com/org/missing'];
    expect(await matchReposInDir(repos, dir)).toEqual({
      'github.com/org/app': join(dir, 'app'),
      'git@github.com:org/lib.git': join(dir, 'lib'),
    });
  });

  it('fails when DIR does not exist', async () => {
    await expect(matchReposInDir(['github.com/org/app'], '/nonexistent/dusty')).rejects.toThrow(
      /ENOENT/,
    );
  });
});

describe('repo names as the original wrote them', () => {
  const known = [
    'github.com/gamechanger/dusty-flask-example',
    'https://github.com/gamechanger/watchdog.git',
    '/home/me/src/watchdog',
    'git@github.com:team/api.git',
  ];

  it('takes the full name or the short name (last part, without .git)', () => {
    expect(resolveRepoName('git@github.com:team/api.git', known)).toBe(
      'git@github.com:team/api.git',
    );
    expect(resolveRepoName('api', known)).toBe('git@github.com:team/api.git');
    expect(resolveRepoName('dusty-flask-example', known)).toBe(
      'github.com/gamechanger/dusty-flask-example',
    );
  });

  it('lists the candidates of an ambiguous short name, and every repo for an unknown one', () => {
    expect(() => resolveRepoName('watchdog', known)).toThrow(
      '"watchdog" could be any of https://github.com/gamechanger/watchdog.git, /home/me/src/watchdog; give the full name',
    );
    expect(() => resolveRepoName('nope', known)).toThrow(
      /no spec uses the repo "nope"; repos: .*git@github.com:team\/api.git \(api\)/,
    );
  });

  it('throws a DustyError with the code and every known repo, for every front door alike', () => {
    const thrown = (given: string) => {
      try {
        resolveRepoName(given, known);
      } catch (e) {
        return e;
      }
      throw new Error(`${given} resolved`);
    };
    for (const [given, code] of [
      ['watchdog', 'ambiguous-repo'],
      ['nope', 'unknown-repo'],
    ] as const) {
      const e = thrown(given);
      expect(e).toBeInstanceOf(DustyError);
      expect(e).toMatchObject({ code, detail: { known } });
    }
  });
});

describe('describeRepos: where each repo lives', () => {
  const used = new Map([
    ['github.com/org/app', ['app web']],
    ['/home/me/src/lib', ['lib util']],
  ]);

  it('uses the managed clone under the repos folder, or a local repo where it is, without overrides', () => {
    expect(describeRepos(used, {}, '/dusty/repos')).toEqual([
      {
        name: 'github.com/org/app',
        mode: 'managed',
        path: '/dusty/repos/github.com/org/app',
        cloneUrl: 'git@github.com:org/app.git',
        usedBy: ['app web'],
      },
      {
        name: '/home/me/src/lib',
        mode: 'local',
        path: '/home/me/src/lib',
        cloneUrl: '/home/me/src/lib',
        usedBy: ['lib util'],
      },
    ]);
  });

  it('lets an override win over the managed clone path (and over a local path)', () => {
    const overrides = {
      'github.com/org/app': '/home/me/work/app',
      '/home/me/src/lib': '/home/me/work/lib',
    };
    expect(
      describeRepos(used, overrides, '/dusty/repos').map(({ name, mode, path }) => ({
        name,
        mode,
        path,
      })),
    ).toEqual([
      { name: 'github.com/org/app', mode: 'overridden', path: '/home/me/work/app' },
      { name: '/home/me/src/lib', mode: 'overridden', path: '/home/me/work/lib' },
    ]);
  });
});
