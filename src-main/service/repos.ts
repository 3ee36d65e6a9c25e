/** Use cases over repos: where each comes from, overrides, and pulling the managed ones. */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { DustyError } from '../engine/errors.js';
import { normalizeSpecsRepo } from '../engine/state/specs-repo.js';
import {
  describeRepos,
  managedFolder,
  matchReposInDir,
  reposOfSpecs,
  resolveRepoName,
  syncRepos,
  type RepoInfo,
  type SyncEvent,
} from '../engine/repos/repos.js';
import { syncStatus } from '../engine/remote/remote-up.js';
import type { ServiceContext } from './context.js';
import { locked } from './operations.js';

/**
 * The specs repo when it is a git URL: a repo like the others, as in the
 * original (listed, pulled by `update`, overridden by its short name).
 */
async function specsRepo(ctx: ServiceContext): Promise<RepoInfo | undefined> {
  const { specs_repo } = await ctx.store.config();
  if (!specs_repo || isAbsolute(normalizeSpecsRepo(specs_repo))) return undefined;
  const override = (await ctx.store.repoOverrides())[specs_repo];
  const managed = join(ctx.store.home, 'specs', managedFolder(specs_repo));
  return {
    name: specs_repo,
    mode: override ? 'overridden' : 'managed',
    path: override ?? managed,
    cloneUrl: specs_repo,
    usedBy: ['the specs'],
  };
}

async function list(ctx: ServiceContext): Promise<RepoInfo[]> {
  const [{ specs }, overrides, own] = await Promise.all([
    ctx.project.validate(),
    ctx.store.repoOverrides(),
    specsRepo(ctx),
  ]);
  const named = describeRepos(reposOfSpecs(specs), overrides, ctx.store.reposDir);
  return own && !named.some((r) => r.name === own.name) ? [own, ...named] : named;
}

function repoNameOrUndefined(given: string, known: readonly string[]): string | undefined {
  try {
    return resolveRepoName(given, known);
  } catch {
    return undefined;
  }
}

async function resolveGiven(ctx: ServiceContext, given: string): Promise<string> {
  // The specs repo is named without reading the specs: it may be what cannot be cloned yet.
  const own = await specsRepo(ctx);
  if (own && repoNameOrUndefined(given, [own.name])) return own.name;
  return resolveRepoName(
    given,
    (await list(ctx)).map((r) => r.name),
  );
}

export const repos = {
  list,
  /** Each repo with its sync state when the engine is remote. */
  listWithSync: async (ctx: ServiceContext) => {
    const [all, sync] = await Promise.all([list(ctx), syncStatus(ctx.store)]);
    return all.map((r) => ({ ...r, sync: sync?.find((f) => f.name === r.name) }));
  },
  /** Uses a local folder for a repo (by full or short name); returns its full name and the folder. */
  override: async (
    ctx: ServiceContext,
    given: string,
    path: string,
  ): Promise<{ repo: string; path: string }> => {
    const repo = await resolveGiven(ctx, given);
    const abs = resolve(path);
    const isDir = await stat(abs).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw new DustyError('not-a-folder', `${abs} is not a folder`);
    await locked(ctx, 'repos', () => ctx.store.setRepoOverride(repo, abs));
    return { repo, path: abs };
  },
  /** Lets Dusty clone and pull a repo again (or, with none given, every overridden one); returns which. */
  manage: async (ctx: ServiceContext, given?: string): Promise<string[]> => {
    const names =
      given === undefined
        ? Object.keys(await ctx.store.repoOverrides())
        : [await resolveGiven(ctx, given)];
    await locked(ctx, 'repos', async () => {
      for (const repo of names) await ctx.store.setRepoOverride(repo, undefined);
    });
    return names;
  },
  /** Overrides every repo whose folder name is in `dir`; returns what was overridden. */
  from: async (ctx: ServiceContext, dir: string): Promise<Record<string, string>> => {
    const names = (await list(ctx)).map((r) => r.name);
    const found = await matchReposInDir(names, resolve(dir));
    await locked(ctx, 'repos', async () => {
      for (const [repo, path] of Object.entries(found)) await ctx.store.setRepoOverride(repo, path);
    });
    return found;
  },
  /** Pulls every managed repo. */
  /** Pulls every managed repo; resolves with how many were managed (0: nothing to pull). */
  update: async (ctx: ServiceContext, onEvent: (e: SyncEvent) => void): Promise<number> =>
    locked(ctx, 'repos', async () => {
      const all = await list(ctx);
      await syncRepos(all, true, onEvent);
      return all.filter((r) => r.mode === 'managed').length;
    }),
};
