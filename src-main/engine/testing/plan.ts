/**
 * The pure side of `dusty test`: which spec a name means, the scripts the
 * test containers run, the testing image's tag and hash, and how a suite's
 * service definition becomes a private container.
 */
import { createHash } from 'node:crypto';
import type { Specs, Suite, TestSpec } from '../../../src-shared/specs/schema.js';
import { libsInInstallOrder } from '../compiler/closure.js';
import { shQuote } from '../compiler/start-script.js';
import { DustyError } from '../project.js';

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
      `no app or lib is named "${name}"; testable: ${testableNames(specs).join(', ') || 'none'}`,
      [],
      'unknown-target',
    );
  }
  const test = found.spec.test;
  if (!test)
    throw new DustyError(
      `${found.kind} ${name} has no test section (${found.file}); testable: ${testableNames(specs).join(', ') || 'none'}`,
      [],
      'no-tests',
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
      `${target.name} has no suite "${suite}"; its suites: ${target.test.suites.map((s) => s.name).join(', ') || 'none'}`,
      [],
      'unknown-suite',
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

/** Compose-style environment (mapping or `K=V` list) as `K=V` strings. */
export function envList(env: unknown): string[] {
  if (Array.isArray(env)) return env.map(String);
  if (env && typeof env === 'object')
    return Object.entries(env).map(([k, v]) =>
      v === null || v === undefined ? k : `${k}=${String(v)}`,
    );
  return [];
}

/** The suite container's environment: the test section's, then the suite's. */
export function suiteEnv(test: TestSpec, suite: Suite): string[] {
  const merged = new Map<string, string>();
  for (const e of [...envList(test.compose.environment), ...envList(suite.compose.environment)]) {
    const eq = e.indexOf('=');
    merged.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...merged.values()];
}

/** Keys of a suite's `compose` Dusty applies; the rest are reported. */
export const SUITE_COMPOSE_KEYS = ['environment'];

/** Splits a Compose command string as Compose does (shell-like words, no expansion). */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

/** What a service's private copy is created with (a subset of the Engine API's create options). */
export interface ServiceContainerPlan {
  image: string;
  cmd?: string[] | undefined;
  entrypoint?: string[] | undefined;
  env: string[];
  workingDir?: string | undefined;
  user?: string | undefined;
  labels: Record<string, string>;
  binds: string[];
  /** Paths that get a fresh anonymous volume (named and persistent volumes, so the copy is private). */
  anonymousVolumes: string[];
  /** Keys that were not applied, for a warning. */
  ignored: string[];
}

const DROPPED = new Set([
  'container_name',
  'ports',
  'links',
  'depends_on',
  'networks',
  'network_mode',
  'net',
  'restart',
  'external_links',
  'expose',
  'description',
]);

/**
 * A service's private copy for a test run: its image, command and
 * environment as the spec says, but no published ports, no container name,
 * and fresh volumes instead of named or persistent ones.
 */
export function planServiceContainer(
  name: string,
  def: Record<string, unknown>,
): ServiceContainerPlan {
  if (typeof def.image !== 'string' || !def.image)
    throw new DustyError(
      `service ${name}: a test run needs an \`image\` (building services is not supported in tests)`,
      [],
      'service-image',
    );
  const words = (v: unknown): string[] | undefined =>
    typeof v === 'string' ? splitCommand(v) : Array.isArray(v) ? v.map(String) : undefined;
  const plan: ServiceContainerPlan = {
    image: def.image,
    cmd: words(def.command),
    entrypoint: words(def.entrypoint),
    env: envList(def.environment),
    workingDir: typeof def.working_dir === 'string' ? def.working_dir : undefined,
    user:
      typeof def.user === 'string' || typeof def.user === 'number' ? String(def.user) : undefined,
    labels: {},
    binds: [],
    anonymousVolumes: [],
    ignored: [],
  };
  const labels = def.labels;
  if (labels && typeof labels === 'object')
    for (const e of envList(labels)) {
      const eq = e.indexOf('=');
      plan.labels[eq < 0 ? e : e.slice(0, eq)] = eq < 0 ? '' : e.slice(eq + 1);
    }
  for (const v of (def.volumes as unknown[] | undefined) ?? []) {
    if (typeof v !== 'string') {
      const t = (v as { target?: unknown } | null)?.target;
      if (typeof t === 'string') plan.anonymousVolumes.push(t);
      continue;
    }
    const parts = v.split(':');
    if (parts.length === 1) plan.anonymousVolumes.push(parts[0]!);
    else {
      const [src, dst] = parts as [string, string];
      const persistent = src === '/persist' || src.startsWith('/persist/');
      if (src.startsWith('/') && !persistent) plan.binds.push(v);
      else plan.anonymousVolumes.push(dst);
    }
  }
  const known = new Set([
    'image',
    'command',
    'entrypoint',
    'environment',
    'working_dir',
    'user',
    'labels',
    'volumes',
  ]);
  for (const k of Object.keys(def)) if (!known.has(k) && !DROPPED.has(k)) plan.ignored.push(k);
  return plan;
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
