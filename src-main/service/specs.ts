/** Use cases over the specs repo and the person's choices: validate, compile, bundles, config, env, assets. */
import {
  CONFIG_DESCRIPTIONS,
  CONFIG_KEYS,
  isConfigKey,
  parseConfigValue,
  type Config,
  type ConfigKey,
} from '../../src-shared/config.js';
import { computeClosure, type Closure } from '../engine/compiler/index.js';
import { DustyError } from '../engine/errors.js';
import type { CompiledProject } from '../engine/project.js';
import { normalizeSpecsRepo } from '../engine/state/specs-repo.js';
import type { ValidationResult } from '../engine/specs/validate.js';
import { ImportError, importOriginalConfig } from '../engine/state/import-original.js';
import type { ServiceContext } from './context.js';
import { unknownAppOrService } from './names.js';
import { locked } from './operations.js';

/** Says what exists when a lookup by name fails. */
const known = (names: string[]) => names.join(', ') || 'none';

export const specs = {
  validate: (ctx: ServiceContext, path?: string): Promise<ValidationResult> =>
    ctx.project.validate(path),

  specsPath: (ctx: ServiceContext): Promise<string> => ctx.project.specsPath(),

  compile: (
    ctx: ServiceContext,
    opts: { specsPath?: string; activeBundles?: string[] } = {},
  ): Promise<CompiledProject> => ctx.project.compile(opts),
};

/** A bundle with both readings of "its apps": the members it lists, and everything it brings. */
export interface BundleView {
  name: string;
  description: string;
  active: boolean;
  file: string;
  /** The apps and services the bundle file lists. */
  members: { apps: string[]; services: string[] };
  /** Everything switching it on alone starts (through `depends`). */
  closure: Closure;
}

async function listBundles(ctx: ServiceContext): Promise<BundleView[]> {
  const [{ specs: s }, active] = await Promise.all([
    ctx.project.validate(),
    ctx.store.activeBundles(),
  ]);
  return Object.values(s.bundles).map((b) => ({
    name: b.name,
    description: b.spec.description,
    active: active.includes(b.name),
    file: b.file,
    members: { apps: b.spec.apps, services: b.spec.services },
    closure: computeClosure(s, [b.name]),
  }));
}

/**
 * Switches bundles on or off; every name must exist, or nothing changes.
 * `only` (with `active`): these bundles and no other, as the original's
 * `bundles activate --only`.
 */
async function setBundles(
  ctx: ServiceContext,
  names: string[],
  active: boolean,
  opts: { only?: boolean } = {},
): Promise<void> {
  await locked(ctx, 'bundles', async () => {
    const [{ specs: s }, current] = await Promise.all([
      ctx.project.validate(),
      ctx.store.activeBundles(),
    ]);
    const unknown = names.filter((n) => !(n in s.bundles));
    if (unknown.length)
      throw new DustyError(
        'unknown-bundle',
        `unknown bundle(s): ${unknown.join(', ')}; known bundles: ${known(Object.keys(s.bundles))}`,
        { known: Object.keys(s.bundles) },
      );
    const kept = active && opts.only ? [] : current;
    await ctx.store.setActiveBundles(
      active ? [...new Set([...kept, ...names])] : kept.filter((b) => !names.includes(b)),
    );
  });
}

export const bundles = { list: listBundles, set: setBundles };

function checkKey(key: string): asserts key is ConfigKey {
  if (!isConfigKey(key))
    throw new DustyError(
      'unknown-config-key',
      `unknown config key "${key}"; known keys: ${CONFIG_KEYS.join(', ')}`,
      { known: [...CONFIG_KEYS] },
    );
}

export const config = {
  list: (ctx: ServiceContext): Promise<Config> => ctx.store.config(),
  descriptions: (): Record<ConfigKey, string> => CONFIG_DESCRIPTIONS,
  get: async (ctx: ServiceContext, key: string): Promise<Config[ConfigKey]> => {
    checkKey(key);
    return (await ctx.store.config())[key];
  },
  /** Parses a value as typed by a person and stores it; returns what was stored. */
  set: async (ctx: ServiceContext, key: string, raw: string): Promise<Config[ConfigKey]> => {
    checkKey(key);
    let value: Config[ConfigKey];
    try {
      value = parseConfigValue(key, raw);
    } catch (e) {
      throw new DustyError('invalid-config-value', (e as Error).message);
    }
    if (key === 'specs_repo' && typeof value === 'string') value = normalizeSpecsRepo(value);
    await locked(ctx, 'config', () => ctx.store.setConfig(key, value));
    return value;
  },
  /** Reads an install of the original Dusty (its config file, or `path`). */
  importOriginal: (ctx: ServiceContext, path?: string) =>
    locked(ctx, 'config', async () => {
      try {
        return await importOriginalConfig(ctx.store, path);
      } catch (e) {
        if (e instanceof ImportError) throw new DustyError('import-failed', e.message);
        throw e;
      }
    }),
};

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Refuses an override for something the specs do not know. The original
 * refused whenever its specs did not load (its env commands looked the name
 * up in them first); this one refuses, saying why, when the specs repo cannot
 * be read or the named spec itself does not load, and lets a broken spec
 * elsewhere pass.
 */
async function checkAppOrService(ctx: ServiceContext, name: string): Promise<void> {
  let loaded: ValidationResult;
  try {
    loaded = await ctx.project.validate();
  } catch (e) {
    throw new DustyError(
      e instanceof DustyError ? e.code : 'error',
      `cannot check that "${name}" is an app or service, so nothing was changed: ${(e as Error).message}`,
    );
  }
  const { specs: s, problems } = loaded;
  if (Object.hasOwn(s.apps, name) || Object.hasOwn(s.services, name)) return;
  const files = ['apps', 'services'].flatMap((k) => [`${k}/${name}.yml`, `${k}/${name}.yaml`]);
  const broken = problems.filter((p) => p.severity === 'error' && files.includes(p.file));
  if (broken.length)
    throw new DustyError(
      'invalid-specs',
      `cannot check that "${name}" is an app or service, so nothing was changed: ${broken[0]!.file} does not load; fix it first`,
      { problems: broken },
    );
  throw unknownAppOrService(s, [name]);
}

export const env = {
  list: async (
    ctx: ServiceContext,
    app?: string,
  ): Promise<Record<string, Record<string, string>>> => {
    if (app !== undefined) await checkAppOrService(ctx, app);
    const all = await ctx.store.envOverrides();
    return app ? { [app]: all[app] ?? {} } : all;
  },
  set: async (ctx: ServiceContext, app: string, vars: Record<string, string>): Promise<void> => {
    const bad = Object.keys(vars).find((k) => !VARIABLE.test(k));
    if (bad !== undefined)
      throw new DustyError('invalid-variable', `"${bad}" is not a valid variable name`);
    await checkAppOrService(ctx, app);
    await locked(ctx, 'env', () => ctx.store.setEnv(app, vars));
  },
  /** Drops one override, or with no name every override of the app. */
  unset: async (ctx: ServiceContext, app: string, name?: string): Promise<void> => {
    await checkAppOrService(ctx, app);
    await locked(ctx, 'env', () => ctx.store.unsetEnv(app, name));
  },
};

export interface AssetView {
  name: string;
  /** `app NAME` or `lib NAME`. */
  owner: string;
  path: string;
  required: boolean;
  set: boolean;
}

export const assets = {
  /** Every asset the specs declare, or one app's or lib's, and whether each is set. */
  list: async (ctx: ServiceContext, only?: string): Promise<AssetView[]> => {
    const [{ specs: s }, set] = await Promise.all([ctx.project.validate(), ctx.store.setAssets()]);
    if (only !== undefined && !(only in s.apps) && !(only in s.libs)) {
      const names = [...Object.keys(s.apps), ...Object.keys(s.libs)];
      throw new DustyError(
        'unknown-app',
        `no app or lib is named "${only}"; known: ${known(names)}`,
        { known: names },
      );
    }
    return [
      ...Object.values(s.apps).flatMap((a) =>
        a.spec.assets.map((x) => ({ ...x, owner: `app ${a.name}` })),
      ),
      ...Object.values(s.libs).flatMap((l) =>
        l.spec.assets.map((x) => ({ ...x, owner: `lib ${l.name}` })),
      ),
    ]
      .filter((a) => only === undefined || a.owner === `app ${only}` || a.owner === `lib ${only}`)
      .map((a) => ({
        name: a.name,
        owner: a.owner,
        path: a.path,
        required: a.required,
        set: set.has(a.name),
      }));
  },
  set: (ctx: ServiceContext, name: string, content: Uint8Array): Promise<void> =>
    locked(ctx, 'assets', () => ctx.store.setAsset(name, content)),
  unset: (ctx: ServiceContext, name: string): Promise<void> =>
    locked(ctx, 'assets', () => ctx.store.unsetAsset(name)),
  read: (ctx: ServiceContext, name: string): Promise<Buffer> => ctx.store.readAsset(name),
};
