/**
 * Per-user state under DUSTY_HOME: config, active bundles, env overrides,
 * repo overrides and asset values. Everything is written atomically, mode 600.
 */
import { homedir, platform } from 'node:os';
import { join } from 'node:path';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { ConfigSchema, type Config } from '../../../src-shared/config.js';
import { readJson, writeFileAtomic } from './files.js';

/** The folder Dusty keeps everything in for this person. */
export function defaultDustyHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DUSTY_HOME) return env.DUSTY_HOME;
  if (platform() === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Dusty');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'dusty');
}

interface StateFile {
  activeBundles: string[];
  env: Record<string, Record<string, string>>;
  repoOverrides: Record<string, string>;
}

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export class StateStore {
  constructor(readonly home: string) {}

  get configPath() {
    return join(this.home, 'config.json');
  }
  get statePath() {
    return join(this.home, 'state.json');
  }
  get assetsDir() {
    return join(this.home, 'assets');
  }
  get compiledDir() {
    return join(this.home, 'compiled');
  }
  get reposDir() {
    return join(this.home, 'repos');
  }
  get cpDir() {
    return join(this.home, 'cp');
  }
  get persistDir() {
    return join(this.home, 'persist');
  }

  async config(): Promise<Config> {
    const raw = await readJson<Record<string, unknown>>(this.configPath, {});
    const r = ConfigSchema.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new Error(
        `${this.configPath}: ${i.path.join('.')}: ${i.message}; fix it with \`dusty config set\``,
      );
    }
    return r.data;
  }

  async setConfig<K extends keyof Config>(key: K, value: Config[K]): Promise<void> {
    await this.serial(async () => {
      const raw = await readJson<Record<string, unknown>>(this.configPath, {});
      raw[key] = value;
      await writeFileAtomic(this.configPath, JSON.stringify(raw, null, 2) + '\n');
    });
  }

  private async state(): Promise<StateFile> {
    const s = await readJson<Partial<StateFile>>(this.statePath, {});
    return {
      activeBundles: s.activeBundles ?? [],
      env: s.env ?? {},
      repoOverrides: s.repoOverrides ?? {},
    };
  }

  /** Read-modify-write steps run one after another, so changes made together are all kept. */
  private queue: Promise<unknown> = Promise.resolve();
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private update(fn: (s: StateFile) => void): Promise<void> {
    return this.serial(async () => {
      const s = await this.state();
      fn(s);
      await writeFileAtomic(this.statePath, JSON.stringify(s, null, 2) + '\n');
    });
  }

  async activeBundles(): Promise<string[]> {
    return (await this.state()).activeBundles;
  }
  async setActiveBundles(names: string[]): Promise<void> {
    await this.update((s) => (s.activeBundles = [...new Set(names)].sort()));
  }

  async envOverrides(): Promise<Record<string, Record<string, string>>> {
    return (await this.state()).env;
  }
  async setEnv(app: string, vars: Record<string, string>): Promise<void> {
    await this.update((s) => (s.env[app] = { ...(s.env[app] ?? {}), ...vars }));
  }
  async unsetEnv(app: string, name?: string): Promise<void> {
    await this.update((s) => {
      if (name === undefined) delete s.env[app];
      else if (s.env[app]) {
        delete s.env[app][name];
        if (!Object.keys(s.env[app]).length) delete s.env[app];
      }
    });
  }

  async repoOverrides(): Promise<Record<string, string>> {
    return (await this.state()).repoOverrides;
  }
  async setRepoOverride(repo: string, path: string | undefined): Promise<void> {
    await this.update((s) => {
      if (path === undefined) delete s.repoOverrides[repo];
      else s.repoOverrides[repo] = path;
    });
  }

  private assetPath(name: string): string {
    if (!ASSET_NAME.test(name))
      throw new Error(
        `"${name}" is not a valid asset name (letters, digits, dots, hyphens, underscores)`,
      );
    return join(this.assetsDir, name);
  }
  async setAssets(): Promise<Set<string>> {
    try {
      return new Set(
        (await readdir(this.assetsDir)).filter((n) => ASSET_NAME.test(n) && !n.endsWith('.tmp')),
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw e;
    }
  }
  async setAsset(name: string, content: Uint8Array): Promise<void> {
    await writeFileAtomic(this.assetPath(name), content, 0o600);
  }
  async readAsset(name: string): Promise<Buffer> {
    try {
      return await readFile(this.assetPath(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`asset ${name} is not set; set it with \`dusty assets set ${name} FILE\``, {
          cause: e,
        });
      throw e;
    }
  }
  async assetSize(name: string): Promise<number> {
    return (await stat(this.assetPath(name))).size;
  }
  async unsetAsset(name: string): Promise<void> {
    await rm(this.assetPath(name), { force: true });
  }
}
