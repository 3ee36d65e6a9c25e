/**
 * The engine's view of one person's Dusty: their state, their specs repo, and
 * the compiled documents. Every surface (CLI, web server, Electron shell)
 * goes through this.
 */
import { access } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  compile,
  computeClosure,
  type CompileOutput,
  type PlatformFacts,
} from './compiler/index.js';
import {
  describeRepos,
  managedFolder,
  reposOfSpecs,
  syncRepos,
  type RepoInfo,
} from './repos/repos.js';
import { projectName } from './docker/compose-runner.js';
import { DustyError } from './errors.js';
import { Platform } from './platform.js';
import { remoteRepoPath } from './remote/sync.js';
import { loadSpecs } from './specs/load.js';
import { reachOf, scopeValidation, type ValidationResult } from './specs/validate.js';
import { writeFileAtomic } from './state/files.js';
import { originalInstallOffer } from './state/import-original.js';
import { normalizeSpecsRepo } from './state/specs-repo.js';
import type { StateStore } from './state/store.js';

export interface CompileOptions {
  specsPath?: string;
  activeBundles?: string[];
}

/** The specs as far as the active bundles reach, valid, and those bundles. */
export interface CheckedSpecs {
  validation: ValidationResult;
  known: string[];
}

export interface CompiledProject {
  validation: ValidationResult;
  output: CompileOutput;
  repos: RepoInfo[];
  platform: PlatformFacts;
}

export class Project {
  constructor(
    readonly store: StateStore,
    /** Where the engine runs: by default the configured provider's facts. */
    readonly platformFacts: () => Promise<PlatformFacts> = async () =>
      (await Platform.create(store)).facts(),
  ) {}

  /** The specs repo folder: a local path as configured, or Dusty's clone of a git URL. */
  async specsPath(explicit?: string): Promise<string> {
    if (explicit) return resolve(explicit);
    const { specs_repo } = await this.store.config();
    if (!specs_repo) {
      // The first run on a machine that had the original Dusty says how to bring its install over.
      const offer = await originalInstallOffer(this.store);
      throw new DustyError(
        'no-specs-repo',
        `no specs repo is configured: run \`dusty config set specs_repo PATH_OR_GIT_URL\`${offer ? `, or import it: ${offer}` : ''}`,
      );
    }
    const local = normalizeSpecsRepo(specs_repo);
    if (isAbsolute(local)) return local;
    // `dusty repos override SPECS_SHORT_NAME PATH`, as the original's tutorial does with its specs repo.
    const override = (await this.store.repoOverrides())[specs_repo];
    if (override) return override;
    const path = join(this.store.home, 'specs', managedFolder(specs_repo));
    const ok = await access(join(path, '.git')).then(
      () => true,
      () => false,
    );
    if (!ok)
      await syncRepos(
        [{ name: specs_repo, mode: 'managed', path, cloneUrl: specs_repo, usedBy: [] }],
        false,
        () => {},
      );
    return path;
  }

  async validate(explicit?: string): Promise<ValidationResult> {
    return loadSpecs(await this.specsPath(explicit));
  }

  /**
   * Validates what the active bundles reach (a broken spec nothing active
   * uses is a warning); throws a DustyError listing every problem that stops
   * it. Needs no engine, so `up` refuses bad specs before starting a VM.
   */
  async check(opts: CompileOptions = {}): Promise<CheckedSpecs> {
    const [full, active] = await Promise.all([
      this.validate(opts.specsPath),
      opts.activeBundles ? Promise.resolve(opts.activeBundles) : this.store.activeBundles(),
    ]);
    const known = active.filter((b) => b in full.specs.bundles);
    const validation = scopeValidation(full, reachOf(full.specs, { bundles: known }));
    if (!validation.ok)
      throw new DustyError('invalid-specs', 'the specs are invalid; nothing was changed', {
        problems: validation.problems.filter((p) => p.severity === 'error'),
      });
    return { validation, known };
  }

  /**
   * Checks the specs (unless given what `check` returned), then compiles for
   * where the engine runs, which for a VM means the VM must be up.
   */
  async compile(opts: CompileOptions & { checked?: CheckedSpecs } = {}): Promise<CompiledProject> {
    const { validation, known } = opts.checked ?? (await this.check(opts));
    const [config, env, overrides, setAssets, platform] = await Promise.all([
      this.store.config(),
      this.store.envOverrides(),
      this.store.repoOverrides(),
      this.store.setAssets(),
      this.platformFacts(),
    ]);
    const closure = computeClosure(validation.specs, known);
    const repos = describeRepos(
      reposOfSpecs(validation.specs, closure),
      overrides,
      this.store.reposDir,
    );
    const remote = platform.remote;
    const output = compile({
      specs: validation.specs,
      activeBundles: known,
      envOverrides: env,
      // A remote engine mounts the copies sync keeps on its host, never the paths here.
      repoPaths: Object.fromEntries(
        repos.map((r) => [r.name, remote ? remoteRepoPath(remote.root, r.name) : r.path]),
      ),
      setAssets,
      nginxImage: config.nginx_image,
      platform,
      project: projectName(),
      https: config.https,
    });
    return { validation, output, repos, platform };
  }

  /** Writes docker-compose.yml, nginx.conf and hosts to a folder. */
  async writeCompiled(output: CompileOutput, dir = this.store.compiledDir): Promise<void> {
    await Promise.all([
      writeFileAtomic(join(dir, 'docker-compose.yml'), output.compose, 0o644),
      writeFileAtomic(join(dir, 'nginx.conf'), output.nginx, 0o644),
      writeFileAtomic(join(dir, 'hosts'), output.hosts, 0o644),
    ]);
  }
}
