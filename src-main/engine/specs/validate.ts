/**
 * Turns the raw documents of a specs repo into typed specs and the complete
 * list of problems. Pure: the loader does the file reading.
 */
import type { ZodType } from 'zod';
import {
  AppSchema,
  BundleSchema,
  LibSchema,
  ServiceSchema,
  formatKeyPath,
  knownKeys,
  type App,
  type Problem,
  type SpecKind,
  type Specs,
} from '../../../src-shared/specs/schema.js';

/** One file of the specs repo after YAML parsing. */
export interface RawDoc {
  kind: SpecKind;
  name: string;
  file: string;
  /** The parsed YAML, or undefined when it did not parse. */
  data?: unknown;
  /** YAML syntax errors, already formatted with line and column. */
  syntaxErrors?: { line: number; col: number; message: string }[];
}

export interface ValidationResult {
  specs: Specs;
  problems: Problem[];
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  /**
   * Problems that concern several specs (`apps/web`, `services/db`): such a
   * problem matters only when all of them are used; `errorIfActive` marks a
   * warning that becomes an error when they all are.
   */
  involves?: Map<Problem, { specs: string[]; errorIfActive: boolean }>;
}

/** The router's Compose service name; no app or service may take it. */
export const ROUTER_NAME = 'dusty-router';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Validates every document and every cross-reference, reporting all problems at once. */
export function validateSpecs(docs: RawDoc[]): ValidationResult {
  const problems: Problem[] = [];
  const specs: Specs = { bundles: {}, apps: {}, libs: {}, services: {} };
  const err = (file: string, path: string, message: string) =>
    problems.push({ severity: 'error', file, path, message });
  const warn = (file: string, path: string, message: string) =>
    problems.push({ severity: 'warning', file, path, message });
  const involves: NonNullable<ValidationResult['involves']> = new Map();

  const sorted = [...docs].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const seen = new Map<string, string>();
  const dropped = new Map<string, Set<string>>();
  for (const doc of sorted) {
    if (doc.syntaxErrors?.length) {
      for (const e of doc.syntaxErrors)
        err(doc.file, '', `YAML syntax error at line ${e.line}, column ${e.col}: ${e.message}`);
      continue;
    }
    const key = `${doc.kind}/${doc.name}`;
    const other = seen.get(key);
    if (other) {
      err(doc.file, '', `${doc.kind.slice(0, -1)} "${doc.name}" is also defined in ${other}`);
      continue;
    }
    seen.set(key, doc.file);
    if (!NAME_RE.test(doc.name)) {
      err(doc.file, '', 'expected a file name of letters, digits, dots, hyphens and underscores');
      continue;
    }
    const data = doc.data ?? {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      err(doc.file, '', 'expected a mapping of keys to values at the top level');
      continue;
    }
    const schema: ZodType = {
      apps: AppSchema,
      libs: LibSchema,
      services: ServiceSchema,
      bundles: BundleSchema,
    }[doc.kind];
    let parsed = schema.safeParse(data, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        err(doc.file, formatKeyPath(issue.path), describeIssue(issue));
      // Check the rest of the spec too, so one bad key does not hide the other problems.
      const bad = new Set(parsed.error.issues.map((i) => i.path[0]));
      dropped.set(doc.file, new Set([...bad].map(String)));
      const rest = Object.fromEntries(Object.entries(data).filter(([k]) => !bad.has(k)));
      parsed = schema.safeParse(rest, { reportInput: true });
      if (!parsed.success) {
        if (doc.kind !== 'services')
          checkUnknownKeys(doc.kind, data as Record<string, unknown>, doc.file, warn);
        continue;
      }
    }
    if (doc.kind !== 'services')
      checkUnknownKeys(doc.kind, data as Record<string, unknown>, doc.file, warn);
    (specs[doc.kind] as Record<string, unknown>)[doc.name] = {
      name: doc.name,
      file: doc.file,
      spec: parsed.data,
    };
  }

  const together = togetherInABundle(specs);
  const conflict: Conflict = (severityIfApart, file, path, message, specsInvolved) => {
    const problem: Problem = {
      severity: together(specsInvolved) ? 'error' : severityIfApart,
      file,
      path,
      message,
    };
    problems.push(problem);
    involves.set(problem, { specs: specsInvolved, errorIfActive: true });
  };
  checkApps(specs, err, warn, dropped);
  checkLibs(specs, err);
  checkBundles(specs, err);
  checkServices(specs, err, warn, conflict);
  checkForwarding(specs, conflict, warn);
  checkCycles(specs, err, conflict);
  return { specs, problems, ok: !problems.some((p) => p.severity === 'error'), involves };
}

/**
 * Reports a problem between specs (`apps/a`, `apps/b`): an error when one
 * bundle uses them all, otherwise `severityIfApart` (they may never run together).
 */
type Conflict = (
  severityIfApart: Problem['severity'],
  file: string,
  path: string,
  message: string,
  specs: string[],
) => void;

/** Whether some single bundle uses every one of the given specs. */
function togetherInABundle(specs: Specs): (keys: string[]) => boolean {
  let reaches: Set<string>[] | undefined;
  return (keys) => {
    reaches ??= Object.keys(specs.bundles).map((b) => reachOf(specs, { bundles: [b] }));
    return reaches.some((r) => keys.every((k) => r.has(k)));
  };
}

/** What a run uses: the named bundles, apps, libs and services, followed through `depends`. */
export interface Uses {
  bundles?: readonly string[];
  apps?: readonly string[];
  libs?: readonly string[];
  services?: readonly string[];
}

/**
 * Every spec a run reaches, as `kind/name` keys, following `depends` (and
 * `conditional_links` to what is reached anyway). Names that do not exist
 * are kept: their files' problems (a spec too broken to parse) still count.
 */
export function reachOf(specs: Specs, uses: Uses): Set<string> {
  const out = new Set<string>();
  const lib = (n: string) => {
    if (out.has(`libs/${n}`)) return;
    out.add(`libs/${n}`);
    specs.libs[n]?.spec.depends.libs.forEach(lib);
  };
  const app = (n: string) => {
    if (out.has(`apps/${n}`)) return;
    out.add(`apps/${n}`);
    const a = specs.apps[n]?.spec;
    if (!a) return;
    a.depends.apps.forEach(app);
    a.depends.libs.forEach(lib);
    for (const s of a.depends.services) out.add(`services/${s}`);
  };
  for (const b of uses.bundles ?? []) {
    out.add(`bundles/${b}`);
    specs.bundles[b]?.spec.apps.forEach(app);
    for (const s of specs.bundles[b]?.spec.services ?? []) out.add(`services/${s}`);
  }
  (uses.apps ?? []).forEach(app);
  (uses.libs ?? []).forEach(lib);
  for (const s of uses.services ?? []) out.add(`services/${s}`);
  return out;
}

const specKey = (file: string) => file.replace(/\.ya?ml$/, '');

/**
 * The problems as a run that uses only `reach` sees them: an error in a
 * spec it does not use becomes a warning (a stale bundle nobody uses must
 * not stop anyone), and a conflict between specs it uses all becomes an error.
 */
export function scopeValidation(result: ValidationResult, reach: Set<string>): ValidationResult {
  const problems = result.problems.map((p): Problem => {
    const extra = result.involves?.get(p);
    const used = reach.has(specKey(p.file)) && (extra?.specs ?? []).every((k) => reach.has(k));
    if (p.severity === 'error' && !used)
      return { ...p, severity: 'warning', message: `${p.message} (not used by what runs now)` };
    if (p.severity === 'warning' && used && extra?.errorIfActive)
      return { ...p, severity: 'error' };
    return p;
  });
  return { ...result, problems, ok: !problems.some((p) => p.severity === 'error') };
}

type Report = (file: string, path: string, message: string) => void;

function describeIssue(issue: {
  code: string;
  message: string;
  path: PropertyKey[];
  input?: unknown;
}): string {
  if (issue.code === 'invalid_type' && issue.input === undefined)
    return `is required (${issue.message.replace(/^Invalid input: /, '')})`;
  return issue.message.replace(/^Invalid input: /, '');
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function unknownIn(
  obj: unknown,
  known: readonly string[],
  file: string,
  path: string,
  warn: Report,
) {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return;
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    const where = path ? `${path}.${key}` : key;
    warn(
      file,
      where,
      guess
        ? `unknown key; did you mean "${guess}"?`
        : `unknown key; expected one of ${known.join(', ')}`,
    );
  }
}

function checkUnknownKeys(
  kind: SpecKind,
  data: Record<string, unknown>,
  file: string,
  warn: Report,
) {
  if (kind === 'bundles') return unknownIn(data, knownKeys.bundle, file, '', warn);
  if (kind === 'libs') {
    unknownIn(data, knownKeys.lib, file, '', warn);
    unknownIn(data.depends, ['libs'], file, 'depends', warn);
  } else {
    unknownIn(data, knownKeys.app, file, '', warn);
    unknownIn(data.depends, knownKeys.depends, file, 'depends', warn);
    unknownIn(data.conditional_links, knownKeys.conditionalLinks, file, 'conditional_links', warn);
    unknownIn(data.commands, knownKeys.commands, file, 'commands', warn);
    const each = (v: unknown, known: readonly string[], path: string) => {
      if (Array.isArray(v)) v.forEach((x, i) => unknownIn(x, known, file, `${path}[${i}]`, warn));
    };
    each(data.host_forwarding, knownKeys.hostForwarding, 'host_forwarding');
    each(data.scripts, knownKeys.script, 'scripts');
  }
  if (Array.isArray(data.assets))
    data.assets.forEach((x, i) => unknownIn(x, knownKeys.asset, file, `assets[${i}]`, warn));
  const test = data.test as Record<string, unknown> | undefined;
  if (test && typeof test === 'object') {
    unknownIn(test, knownKeys.test, file, 'test', warn);
    if (Array.isArray(test.suites))
      test.suites.forEach((x, i) => unknownIn(x, knownKeys.suite, file, `test.suites[${i}]`, warn));
  }
}

function checkImageOrBuild(
  o: { image?: string | undefined; build?: string | undefined },
  file: string,
  path: string,
  err: Report,
) {
  const at = path ? `${path}.` : '';
  if (!o.image && !o.build)
    err(file, path || 'image', `expected one of ${at}image or ${at}build, found neither`);
  if (o.image && o.build)
    err(file, `${at}build`, `expected one of ${at}image or ${at}build, found both`);
}

function checkRefs(
  names: string[],
  pool: Record<string, unknown>,
  kind: string,
  file: string,
  path: string,
  err: Report,
) {
  names.forEach((n, i) => {
    if (!(n in pool)) {
      const known = Object.keys(pool);
      const guess = closest(n, known);
      err(
        file,
        `${path}[${i}]`,
        `${kind} "${n}" does not exist${guess ? `; did you mean "${guess}"?` : known.length ? ` (known: ${known.join(', ')})` : ''}`,
      );
    }
  });
}

function checkTest(test: App['test'], specs: Specs, file: string, err: Report) {
  if (!test) return;
  checkImageOrBuild(test, file, 'test', err);
  test.suites.forEach((s, i) =>
    checkRefs(s.services, specs.services, 'service', file, `test.suites[${i}].services`, err),
  );
  const names = new Set<string>();
  test.suites.forEach((s, i) => {
    if (names.has(s.name))
      err(file, `test.suites[${i}].name`, `suite "${s.name}" is defined twice`);
    names.add(s.name);
  });
}

function checkApps(specs: Specs, err: Report, warn: Report, dropped: Map<string, Set<string>>) {
  for (const { file, spec } of Object.values(specs.apps)) {
    // A key already reported as malformed must not also count as missing.
    const gone = dropped.get(file) ?? new Set<string>();
    if (!gone.has('image') && !gone.has('build')) checkImageOrBuild(spec, file, '', err);
    const repoChecked = !gone.has('repo') && !gone.has('mount');
    if (repoChecked && spec.repo && !spec.mount)
      err(file, 'mount', 'expected an absolute mount path because repo is given');
    if (repoChecked && spec.mount && !spec.repo)
      warn(file, 'mount', 'mount has no effect without repo');
    checkRefs(spec.depends.apps, specs.apps, 'app', file, 'depends.apps', err);
    checkRefs(spec.depends.services, specs.services, 'service', file, 'depends.services', err);
    checkRefs(spec.depends.libs, specs.libs, 'lib', file, 'depends.libs', err);
    checkRefs(spec.conditional_links.apps, specs.apps, 'app', file, 'conditional_links.apps', err);
    checkRefs(
      spec.conditional_links.services,
      specs.services,
      'service',
      file,
      'conditional_links.services',
      err,
    );
    for (const key of [
      'command',
      'entrypoint',
      ...(spec.repo && spec.mount ? ['working_dir'] : []),
    ])
      if (key in spec.compose)
        warn(
          file,
          `compose.${key}`,
          `Dusty sets ${key} itself (from commands and mount); this value has no effect`,
        );
    const scriptNames = new Set<string>();
    spec.scripts.forEach((s, i) => {
      if (scriptNames.has(s.name))
        err(file, `scripts[${i}].name`, `script "${s.name}" is defined twice`);
      scriptNames.add(s.name);
    });
    checkTest(spec.test, specs, file, err);
  }
}

function checkLibs(specs: Specs, err: Report) {
  for (const { file, spec } of Object.values(specs.libs)) {
    checkRefs(spec.depends.libs, specs.libs, 'lib', file, 'depends.libs', err);
    checkTest(spec.test, specs, file, err);
  }
}

function checkBundles(specs: Specs, err: Report) {
  for (const { file, spec } of Object.values(specs.bundles)) {
    if (!spec.apps.length && !spec.services.length)
      err(file, '', 'a bundle needs at least one entry in apps or services, found neither');
    checkRefs(spec.apps, specs.apps, 'app', file, 'apps', err);
    checkRefs(spec.services, specs.services, 'service', file, 'services', err);
  }
}

function checkServices(specs: Specs, err: Report, warn: Report, conflict: Conflict) {
  for (const { name, file, spec } of Object.values(specs.services)) {
    if (name in specs.apps)
      conflict(
        'error',
        file,
        '',
        `an app and a service are both named "${name}" (${specs.apps[name]!.file}); both become containers, so names must differ`,
        [`apps/${name}`, `services/${name}`],
      );
    if (!spec.image && !spec.build)
      err(file, 'image', 'expected image or build in the service definition');
    if ('links' in spec)
      warn(file, 'links', 'links are not needed: every container reaches the others by name');
  }
  for (const kind of ['apps', 'services'] as const)
    for (const { name, file } of Object.values(specs[kind]))
      if (name === ROUTER_NAME) err(file, '', `"${ROUTER_NAME}" is reserved for Dusty's router`);
}

/**
 * Host names and ports two apps both forward. Each pair is reported, since
 * whether it matters depends on which of the apps run.
 */
function checkForwarding(specs: Specs, conflict: Conflict, warn: Report) {
  type Seen = { where: string; app: string };
  const httpSeen = new Map<string, Seen[]>();
  const httpPorts = new Map<number, Seen[]>();
  const streamPorts = new Map<number, Seen[]>();
  const push = <K>(m: Map<K, Seen[]>, k: K, v: Seen) => m.set(k, [...(m.get(k) ?? []), v]);
  const clash = (prev: Seen, here: Seen, path: string, message: string) =>
    conflict(
      prev.app === here.app ? 'error' : 'warning',
      here.where.split(': ')[0]!,
      path,
      message,
      [...new Set([`apps/${prev.app}`, `apps/${here.app}`])],
    );
  for (const { name, file, spec } of Object.values(specs.apps)) {
    spec.host_forwarding.forEach((f, i) => {
      const at = `host_forwarding[${i}]`;
      const here = { where: `${file}: ${at}`, app: name };
      // The original accepted these; resolvers and some clients do not.
      if (f.host_name.includes('_'))
        warn(
          file,
          `${at}.host_name`,
          'an underscore is not valid in a DNS host name; some clients refuse it',
        );
      if (f.type === 'http') {
        const key = `${f.host_name}:${f.host_port}`;
        for (const prev of httpSeen.get(key) ?? [])
          clash(prev, here, at, `${key} is already forwarded by ${prev.where}`);
        push(httpSeen, key, here);
        push(httpPorts, f.host_port, here);
      } else {
        for (const prev of streamPorts.get(f.host_port) ?? [])
          clash(
            prev,
            here,
            `${at}.host_port`,
            `stream host_port ${f.host_port} is already used by ${prev.where}`,
          );
        push(streamPorts, f.host_port, here);
      }
    });
  }
  for (const [port, streams] of streamPorts)
    for (const stream of streams)
      for (const http of httpPorts.get(port) ?? [])
        clash(
          http,
          stream,
          stream.where.split(': ')[1]!,
          `stream host_port ${port} is also an http host_port (${http.where}); the router cannot serve both on one port`,
        );
  checkHttpsPorts(specs, conflict, clash, httpPorts, streamPorts);
}

/** `https_port` (Dusty's extension): only on http forwardings, on a port nothing else uses. */
function checkHttpsPorts(
  specs: Specs,
  conflict: Conflict,
  clash: (
    prev: { where: string; app: string },
    here: { where: string; app: string },
    path: string,
    message: string,
  ) => void,
  httpPorts: Map<number, { where: string; app: string }[]>,
  streamPorts: Map<number, { where: string; app: string }[]>,
) {
  const seen = new Map<string, { where: string; app: string }[]>();
  for (const { name, file, spec } of Object.values(specs.apps)) {
    spec.host_forwarding.forEach((f, i) => {
      const at = `host_forwarding[${i}].https_port`;
      const here = { where: `${file}: host_forwarding[${i}]`, app: name };
      const port = f.https_port;
      if (port === undefined) return;
      if (f.type !== 'http') {
        conflict('error', file, at, 'https_port applies only to http forwardings', [
          `apps/${name}`,
        ]);
        return;
      }
      for (const plain of [...(httpPorts.get(port) ?? []), ...(streamPorts.get(port) ?? [])])
        clash(
          plain,
          here,
          at,
          `https_port ${port} is also a plain host_port (${plain.where}); the router cannot serve TLS and plain text on one port`,
        );
      const key = `${f.host_name}:${port}`;
      for (const prev of seen.get(key) ?? [])
        clash(prev, here, at, `${key} is already served over TLS by ${prev.where}`);
      seen.set(key, [...(seen.get(key) ?? []), here]);
    });
  }
}

/**
 * Finds cycles among app dependencies and among lib dependencies, naming
 * them. A cycle that needs a `conditional_links` edge forms only when every
 * app in it runs, so it is reported as a conflict between them.
 */
function checkCycles(specs: Specs, err: Report, conflict: Conflict) {
  const dependsEdges = (n: string) =>
    (specs.apps[n]?.spec.depends.apps ?? []).filter((x) => x in specs.apps);
  const allEdges = (n: string) => {
    const a = specs.apps[n]?.spec;
    return a ? [...a.depends.apps, ...a.conditional_links.apps].filter((x) => x in specs.apps) : [];
  };
  const libEdges = (n: string) =>
    (specs.libs[n]?.spec.depends.libs ?? []).filter((x) => x in specs.libs);
  const apps = Object.keys(specs.apps).sort();
  const hard = findCycles(apps, dependsEdges);
  const hardKeys = new Set(hard.map(cycleKey));
  for (const cycle of hard)
    err(specs.apps[cycle[0]!]!.file, 'depends.apps', `dependency cycle: ${cycle.join(' -> ')}`);
  for (const cycle of findCycles(apps, allEdges)) {
    if (hardKeys.has(cycleKey(cycle))) continue;
    const members = [...new Set(cycle)];
    conflict(
      'warning',
      specs.apps[cycle[0]!]!.file,
      'depends.apps',
      `dependency cycle when ${members.join(', ')} all run (through conditional_links): ${cycle.join(' -> ')}`,
      members.map((m) => `apps/${m}`),
    );
  }
  for (const cycle of findCycles(Object.keys(specs.libs).sort(), libEdges))
    err(specs.libs[cycle[0]!]!.file, 'depends.libs', `dependency cycle: ${cycle.join(' -> ')}`);
}

const cycleKey = (cycle: string[]) => [...cycle.slice(0, -1)].sort().join(',');

/** Each cycle once, as `a -> b -> a` paths starting where the search closed it. */
function findCycles(nodes: string[], edges: (n: string) => string[]): string[][] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();
  const visit = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of edges(n)) {
      if (state.get(m) === 1) {
        const cycle = [...stack.slice(stack.indexOf(m)), m];
        if (!found.has(cycleKey(cycle))) found.set(cycleKey(cycle), cycle);
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of nodes) if (!state.has(n)) visit(n);
  return [...found.values()];
}
