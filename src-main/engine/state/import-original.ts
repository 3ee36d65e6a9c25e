/**
 * `dusty config import`: an install of the original Python Dusty (its
 * `/etc/dusty/config.yml`) into this Dusty's state. The whole file is read
 * and checked before anything is written, so a bad file changes nothing.
 */
import { access, readFile } from 'node:fs/promises';
import { load, YAMLException } from 'js-yaml';
import { normalizeSpecsRepo } from './specs-repo.js';
import type { StateStore } from './store.js';

/** Where the original Dusty kept its config. */
export const ORIGINAL_CONFIG_PATH = '/etc/dusty/config.yml';

/** The original's config file: DUSTY_ORIGINAL_CONFIG when set (tests, odd installs), else its fixed path. */
export function originalConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DUSTY_ORIGINAL_CONFIG || ORIGINAL_CONFIG_PATH;
}

/**
 * The offer to import the original's install, when its config file exists
 * and this Dusty has no specs repo yet (so nothing was imported or set up);
 * undefined otherwise. Doctor, the first run and the dashboard say it.
 */
export async function originalInstallOffer(
  store: StateStore,
  file = originalConfigPath(),
): Promise<string | undefined> {
  if (
    !(await access(file).then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  if ((await store.config()).specs_repo) return undefined;
  const command =
    file === ORIGINAL_CONFIG_PATH ? 'dusty config import' : `dusty config import ${file}`;
  return `an install of the original Dusty is at ${file}: \`${command}\` brings over its specs repo, bundles, repo and env overrides and VM memory`;
}

/** What an original config holds that this Dusty uses. */
export interface OriginalConfig {
  specsRepo?: string | undefined;
  bundles?: string[] | undefined;
  repoOverrides: Record<string, string>;
  env: Record<string, Record<string, string>>;
  vmMemorySize?: string | undefined;
  /** Keys this Dusty has no use for, named for the note. */
  ignored: string[];
}

/** A config file that cannot be imported: where and why. */
export class ImportError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot import ${file}: ${reason}; nothing was changed`);
  }
}

const KNOWN = [
  'specs_repo',
  'bundles',
  'repo_overrides',
  'dusty_env_overrides',
  'vm_memory_size',
] as const;

const scalar = (v: unknown) =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function stringMap(v: unknown, key: string, fail: (why: string) => never): Record<string, string> {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) fail(`${key}: expected a mapping`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!scalar(x)) fail(`${key}.${k}: expected a string`);
    out[k] = String(x);
  }
  return out;
}

/** Parses an original config file's text; throws an ImportError naming the line or key. */
export function parseOriginalConfig(text: string, file: string): OriginalConfig {
  const fail = (why: string): never => {
    throw new ImportError(file, why);
  };
  let doc: unknown;
  try {
    doc = load(text, { filename: file });
  } catch (e) {
    if (!(e instanceof YAMLException)) throw e;
    fail(`YAML syntax error at line ${e.mark.line + 1}, column ${e.mark.column + 1}: ${e.reason}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    fail('expected a mapping of keys to values at the top level');
  const raw = doc as Record<string, unknown>;
  const out: OriginalConfig = {
    repoOverrides: stringMap(raw.repo_overrides, 'repo_overrides', fail),
    env: {},
    ignored: Object.keys(raw)
      .filter((k) => !(KNOWN as readonly string[]).includes(k))
      .sort(),
  };
  if (raw.specs_repo !== undefined && raw.specs_repo !== null) {
    if (typeof raw.specs_repo !== 'string') return fail('specs_repo: expected a string');
    out.specsRepo = raw.specs_repo;
  }
  if (raw.bundles !== undefined && raw.bundles !== null) {
    if (!Array.isArray(raw.bundles) || !raw.bundles.every((b) => typeof b === 'string'))
      fail('bundles: expected a list of bundle names');
    out.bundles = raw.bundles as string[];
  }
  const env = raw.dusty_env_overrides;
  if (env !== undefined && env !== null) {
    if (typeof env !== 'object' || Array.isArray(env))
      fail('dusty_env_overrides: expected a mapping of app names to variables');
    for (const [app, vars] of Object.entries(env as Record<string, unknown>))
      out.env[app] = stringMap(vars, `dusty_env_overrides.${app}`, fail);
  }
  const memory = raw.vm_memory_size;
  if (memory !== undefined && memory !== null) {
    if (!(typeof memory === 'string' || typeof memory === 'number') || !/^\d+$/.test(`${memory}`))
      return fail('vm_memory_size: expected a number of megabytes');
    out.vmMemorySize = `${memory}`;
  }
  return out;
}

/** What an import did, for the person to read. */
export interface ImportResult {
  file: string;
  lines: string[];
  notes: string[];
}

/**
 * Imports an original config into the store: the specs repo (its override,
 * when the original used one, since that is the checkout the person edits),
 * the active bundles, repo and env overrides, and the VM's memory.
 */
export async function importOriginalConfig(
  store: StateStore,
  file = originalConfigPath(),
): Promise<ImportResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ImportError(
      file,
      `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  const c = parseOriginalConfig(text, file);
  const lines: string[] = [];
  const notes = c.ignored.map((k) => `${k}: not used by this Dusty, not imported`);
  if (c.specsRepo) {
    const local = c.repoOverrides[c.specsRepo];
    // As `dusty config set` stores it: a path made absolute, a git URL as it is.
    const value = normalizeSpecsRepo(local ?? c.specsRepo);
    await store.setConfig('specs_repo', value);
    lines.push(`specs_repo: ${local ? `${value} (your override of ${c.specsRepo})` : value}`);
  }
  if (c.bundles) {
    await store.setActiveBundles(c.bundles);
    lines.push(`bundles: ${c.bundles.join(', ') || '(none)'}`);
  }
  for (const [repo, path] of Object.entries(c.repoOverrides)) {
    if (repo === c.specsRepo) continue;
    await store.setRepoOverride(repo, path);
    lines.push(`repo override: ${repo} -> ${path}`);
  }
  for (const [app, vars] of Object.entries(c.env)) {
    if (!Object.keys(vars).length) continue;
    await store.setEnv(app, vars);
    lines.push(`env ${app}: ${Object.keys(vars).sort().join(', ')}`);
  }
  if (c.vmMemorySize) {
    await store.setConfig('vm_memory_size', c.vmMemorySize);
    lines.push(`vm_memory_size: ${c.vmMemorySize} MB`);
  }
  return { file, lines, notes };
}
