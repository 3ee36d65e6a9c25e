/**
 * The pure side of `dusty test`: which spec a name means, the scripts the
 * test containers run, the testing image's tag and hash, and how a suite's
 * service definition becomes a private container.
 */
import { createHash } from 'node:crypto';
import type { Specs, Suite, TestSpec } from '../../../src-shared/specs/schema.js';
import { libsInInstallOrder } from '../compiler/closure.js';
import { shQuote } from '../compiler/start-script.js';
import { DustyError } from '../errors.js';
import { reachOf } from '../specs/validate.js';
import { createOptions, envList, words, type CreateOptions } from './compose-options.js';

/** Labels on everything a test run creates. */
export const TEST_LABEL = {
  run: 'dev.dusty.test-run',
  pid: 'dev.dusty.test-pid',
  project: 'dev.dusty.project',
  testing: 'dev.dusty.testing',
  hash: 'dev.dusty.test-hash',
} as const;

/** An app or lib with a test section, and what its test containers mount. */
export interface TestTarget {
  name: string;
  kind: 'app' | 'lib';
  file: string;
  repo?: string | undefined;
  /** Working dir of the test containers: the repo's mount, or `/`. */
  workdir: string;
  test: TestSpec;
  /** Libs mounted and installed, dependencies first. */
  libs: { name: string; repo: string; mount: string; install: string[] }[];
}

/** The app or lib named `name` with its test section, or an error that lists what can be tested. */
export function resolveTarget(specs: Specs, name: string): TestTarget {
  const app = specs.apps[name];
  const lib = specs.libs[name];
  const found = app
    ? { kind: 'app' as const, ...app, libNames: app.spec.depends.libs }
    : lib
      ? { kind: 'lib' as const, ...lib, libNames: lib.spec.depends.libs }
      : undefined;
  if (!found) {
    throw new DustyError(
      'unknown-target',
      `no app or lib is named "${name}"; testable: ${testableNames(specs).join(', ') || 'none'}`,
    );
  }
  const test = found.spec.test;
  if (!test)
    throw new DustyError(
      'no-tests',
      `${found.kind} ${name} has no test section (${found.file}); testable: ${testableNames(specs).join(', ') || 'none'}`,
    );
  const libs = libsInInstallOrder(specs, found.libNames)
    .filter((l) => l !== name)
    .map((l) => {
      const s = specs.libs[l]!.spec;
      return { name: l, repo: s.repo, mount: s.mount, install: s.install };
    });
  const repo = found.spec.repo;
  const mount = found.spec.mount;
  return {
    name,
    kind: found.kind,
    file: found.file,
    repo,
    workdir: repo && mount ? mount : '/',
    test,
    libs,
  };
}

/**
 * The specs a test run of `name` uses: the app or lib, its libs and the
 * services of its suites. Problems elsewhere in the repo are warnings for it.
 */
export function testReach(specs: Specs, name: string): Set<string> {
  const app = specs.apps[name];
  const lib = app ? undefined : specs.libs[name];
  const test = (app ?? lib)?.spec.test;
  return reachOf(specs, {
    ...(app ? { libs: app.spec.depends.libs } : { libs: [name] }),
    services: test?.suites.flatMap((s) => s.services) ?? [],
  }).add(app ? `apps/${name}` : `libs/${name}`);
}

/** Names of every app and lib with a test section, sorted. */
export function testableNames(specs: Specs): string[] {
  const names = new Set<string>();
  for (const [name, a] of Object.entries(specs.apps)) if (a.spec.test) names.add(name);
  for (const [name, l] of Object.entries(specs.libs))
    if (l.spec.test && !specs.apps[name]) names.add(name);
  return [...names].sort();
}

/** The suites to run for `suite` (`all` means every one). */
export function selectSuites(target: TestTarget, suite: string): Suite[] {
  if (suite === 'all') return target.test.suites;
  const found = target.test.suites.find((s) => s.name === suite);
  if (!found)
    throw new DustyError(
      'unknown-suite',
      `${target.name} has no suite "${suite}"; its suites: ${target.test.suites.map((s) => s.name).join(', ') || 'none'}`,
    );
  return [found];
}

/** Docker repository names allow lowercase letters, digits and separators. */
function dockerName(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '') || 'x'
  );
}

/** The repository of a target's testing images; other projects (DUSTY_PROJECT) get their own. */
export function testingRepo(project: string, target: string): string {
  return `dusty-testing/${project === 'dusty' ? '' : `${dockerName(project)}.`}${dockerName(target)}`;
}

/**
 * The testing image's tag: it covers what the image is made from (the `once`
 * script, where it runs, what is mounted where, and the base image), so
 * editing a suite or its description reuses the image.
 */
export function testingHash(
  target: TestTarget,
  binds: readonly string[],
  baseImageId: string,
): string {
  // Only the container side of a bind: the same specs on another machine give the same tag.
  const mounts = binds.map((b) => b.slice(b.indexOf(':') + 1)).sort();
  return createHash('sha256')
    .update(JSON.stringify({ script: onceScript(target), mounts, base: baseImageId }))
    .digest('hex')
    .slice(0, 16);
}

/** The script of the container whose result becomes the testing image. */
export function onceScript(target: TestTarget): string {
  return ['set -e', `cd ${shQuote(target.workdir)}`, ...target.test.once].join('\n') + '\n';
}

/**
 * The script of a suite's container: libs installed (as apps do), then the
 * suite's command. ARGS are appended to the last line shell-quoted; without
 * ARGS, `default_args` is appended as the spec wrote it.
 */
export function suiteScript(target: TestTarget, suite: Suite, args: readonly string[]): string {
  const out = ['set -e'];
  for (const lib of target.libs) {
    if (!lib.install.length) continue;
    out.push(`echo ${shQuote(`[dusty] installing lib ${lib.name}`)}`);
    out.push(`cd ${shQuote(lib.mount)}`, ...lib.install);
  }
  out.push(`cd ${shQuote(target.workdir)}`);
  const lines = [...suite.command];
  const extra = args.length ? args.map(shQuote).join(' ') : (suite.default_args ?? '');
  if (extra && lines.length) lines[lines.length - 1] += ` ${extra}`;
  out.push(...lines);
  return out.join('\n') + '\n';
}

export { envList, splitCommand } from './compose-options.js';

/** The suite container's environment: the test section's, then the suite's. */
export function suiteEnv(test: TestSpec, suite: Suite): string[] {
  const merged = new Map<string, string>();
  for (const e of [...envList(test.compose.environment), ...envList(suite.compose.environment)]) {
    const eq = e.indexOf('=');
    merged.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...merged.values()];
}

/**
 * The suite container's Compose keys: the test section's `compose`, then the
 * suite's (the original handed a suite's block to Compose whole).
 */
export function suiteCompose(test: TestSpec, suite: Suite): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...test.compose, ...suite.compose };
  const env = suiteEnv(test, suite);
  if (env.length) merged.environment = env;
  return merged;
}

/** What a service's private copy is created with. */
export interface ServiceContainerPlan extends CreateOptions {
  image: string;
  cmd?: string[] | undefined;
}

/**
 * A service's private copy for a test run: its image, command and settings
 * as the spec says, but no published ports, no container name, and fresh
 * volumes instead of named or persistent ones. Only the first service of a
 * suite owns the network namespace the others join.
 */
export function planServiceContainer(
  name: string,
  def: Record<string, unknown>,
  ownsNetwork = true,
): ServiceContainerPlan {
  if (typeof def.image !== 'string' || !def.image)
    throw new DustyError(
      'service-image',
      `service ${name}: a test run needs an \`image\` (building services is not supported in tests)`,
    );
  return { image: def.image, cmd: words(def.command), ...createOptions(def, ownsNetwork) };
}

/** The result of one suite, as stored and shown. */
export interface SuiteResult {
  target: string;
  suite: string;
  exitCode: number;
  passed: boolean;
  durationMs: number;
  finishedAt: string;
}

/** `12.3s` / `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The exit code of `dusty test`: the suite's own for one suite; for several, 1 if any failed. */
export function overallExitCode(results: readonly SuiteResult[], all: boolean): number {
  if (!all) return results[0]?.exitCode ?? 1;
  return results.every((r) => r.passed) ? 0 : 1;
}
