/**
 * Repos named by specs: where each lives locally, cloning and pulling the
 * managed ones with the system's git, and using overridden ones as they are.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, readdir } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Specs } from '../../../src-shared/specs/schema.js';
import { DustyError } from '../errors.js';

export interface RepoInfo {
  /** The spec's `repo` value, which names the repo everywhere. */
  name: string;
  /** `managed` repos are cloned and pulled by Dusty; `overridden` ones are a person's checkout; `local` ones are paths in the specs. */
  mode: 'managed' | 'overridden' | 'local';
  path: string;
  cloneUrl: string;
  /** Apps and libs that use it. */
  usedBy: string[];
}

/** The URL git clones: `github.com/org/app` is cloned over SSH, as the original Dusty did. */
export function cloneUrl(repo: string): string {
  if (/^[\w.-]+\.[a-z]{2,}\/[^:]+$/i.test(repo) && !repo.includes('://')) {
    const slash = repo.indexOf('/');
    const path = repo.slice(slash + 1);
    return `git@${repo.slice(0, slash)}:${path.endsWith('.git') ? path : `${path}.git`}`;
  }
  return repo;
}

/** A folder name for a managed clone, readable and unique per repo. */
export function managedFolder(repo: string): string {
  const cleaned = repo
    .replace(/^[a-z+]+:\/\//i, '')
    .replace(/^[^@/]+@/, '')
    .replace(/:/g, '/')
    .replace(/\.git$/, '')
    .replace(/[^A-Za-z0-9._/-]/g, '_')
    .replace(/\/+/g, '/')
    .replace(/^\/|\/$/g, '');
  return cleaned
    .split('/')
    .filter((s) => s && s !== '..' && s !== '.')
    .join('/');
}

/** The last path segment of a repo without `.git`, used by `repos from DIR`. */
export function repoShortName(repo: string): string {
  return basename(
    repo
      .replace(/\.git$/, '')
      .replace(/\/+$/, '')
      .replace(/:/g, '/'),
  );
}

/**
 * The repo a person means: its full name as the specs write it, or (as in
 * the original Dusty) its short name, the last part of the URL or path
 * without `.git`. An unknown or ambiguous name is a DustyError listing the
 * candidates (`detail.known`).
 */
export function resolveRepoName(given: string, known: readonly string[]): string {
  if (known.includes(given)) return given;
  const matches = known.filter((r) => repoShortName(r) === repoShortName(given));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new DustyError(
      'ambiguous-repo',
      `"${given}" could be any of ${matches.join(', ')}; give the full name`,
      { known: [...known] },
    );
  throw new DustyError(
    'unknown-repo',
    `no spec uses the repo "${given}"; repos: ${known.map((r) => `${r} (${repoShortName(r)})`).join(', ') || 'none'}`,
    { known: [...known] },
  );
}

/** Every repo the specs mention, with the apps and libs that use it. */
export function reposOfSpecs(
  specs: Specs,
  only?: { apps: string[]; libs: string[] },
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (repo: string | undefined, user: string) => {
    if (!repo) return;
    out.set(repo, [...(out.get(repo) ?? []), user]);
  };
  for (const [n, a] of Object.entries(specs.apps))
    if (!only || only.apps.includes(n)) add(a.spec.repo, `app ${n}`);
  for (const [n, l] of Object.entries(specs.libs))
    if (!only || only.libs.includes(n)) add(l.spec.repo, `lib ${n}`);
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

export function describeRepos(
  repos: Map<string, string[]>,
  overrides: Record<string, string>,
  reposDir: string,
): RepoInfo[] {
  return [...repos].map(([name, usedBy]) => {
    const override = overrides[name];
    if (override)
      return { name, mode: 'overridden', path: override, cloneUrl: cloneUrl(name), usedBy };
    if (isAbsolute(name)) return { name, mode: 'local', path: name, cloneUrl: name, usedBy };
    return {
      name,
      mode: 'managed',
      path: join(reposDir, managedFolder(name)),
      cloneUrl: cloneUrl(name),
      usedBy,
    };
  });
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** Runs git, collecting its output for error messages. */
export function git(args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot run git: ${e.message}; install git`)));
    child.on('close', (code) => resolve({ code: code ?? 1, output: output.trim() }));
  });
}

export interface SyncEvent {
  repo: string;
  action: 'clone' | 'pull' | 'skip';
  status: 'start' | 'done' | 'failed';
  message?: string;
}

/**
 * Clones missing managed repos and (when `pull`) pulls the others. A failed
 * pull is reported and the local copy used; a failed clone is an error.
 */
export async function syncRepos(
  repos: RepoInfo[],
  pull: boolean,
  onEvent: (e: SyncEvent) => void,
): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    repos.map(async (r) => {
      if (r.mode !== 'managed') {
        if (!(await exists(r.path)))
          failures.push(`${r.name}: ${r.mode} folder ${r.path} does not exist`);
        return;
      }
      if (!(await exists(join(r.path, '.git')))) {
        onEvent({ repo: r.name, action: 'clone', status: 'start' });
        await mkdir(join(r.path, '..'), { recursive: true });
        const res = await git(['clone', '--quiet', r.cloneUrl, r.path]);
        if (res.code !== 0) {
          failures.push(
            `${r.name}: git clone ${r.cloneUrl} failed: ${res.output.split('\n').pop()}`,
          );
          onEvent({ repo: r.name, action: 'clone', status: 'failed', message: res.output });
        } else onEvent({ repo: r.name, action: 'clone', status: 'done' });
        return;
      }
      if (!pull) return;
      onEvent({ repo: r.name, action: 'pull', status: 'start' });
      const res = await git(['pull', '--ff-only', '--quiet'], r.path);
      onEvent({
        repo: r.name,
        action: 'pull',
        status: res.code === 0 ? 'done' : 'failed',
        ...(res.code === 0
          ? {}
          : { message: `using the local copy as it is: ${res.output.split('\n').pop()}` }),
      });
    }),
  );
  if (failures.length) throw new Error(`cannot get every repo:\n  ${failures.join('\n  ')}`);
}

/** Repos whose short name is a folder in `dir`, for `repos from DIR`. */
export async function matchReposInDir(
  repoNames: string[],
  dir: string,
): Promise<Record<string, string>> {
  const entries = new Set(await readdir(dir));
  const out: Record<string, string> = {};
  for (const r of repoNames) {
    const short = repoShortName(r);
    if (entries.has(short)) out[r] = join(dir, short);
  }
  return out;
}
