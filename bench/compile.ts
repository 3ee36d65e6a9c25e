/**
 * Benchmark: read + validate + compile a large specs repo in-process.
 *
 * Generates 1,000 apps, 200 libs, 100 services and 50 bundles in a temporary
 * folder (dependency chains, libs with lib dependencies, http and stream
 * forwarding, assets, scripts, test suites), activates every bundle, and
 * times what `loadSpecs` does (read and parse every file, validate) followed
 * by `compile`.
 *
 *   npx tsc -p tsconfig.bench.json && node dist/bench/compile.js [runs]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compile } from '../src-main/engine/compiler/index.js';
import { pathToFileURL } from 'node:url';
import { readSpecsRepo } from '../src-main/engine/specs/load.js';
import { validateSpecs } from '../src-main/engine/specs/validate.js';

const APPS = 1000;
const LIBS = 200;
const SERVICES = 100;
const BUNDLES = 50;
const TARGET_S = 0.5;

/** A small deterministic PRNG, so every run benchmarks the same repo. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => n.toString().padStart(4, '0');
const app = (i: number) => `app${pad(i)}`;
const lib = (i: number) => `lib${pad(i)}`;
const svc = (i: number) => `svc${pad(i)}`;

/** Writes the specs repo and returns the repo paths the compiler needs. */
export function generateSpecsRepo(root: string): Record<string, string> {
  const rand = rng(42);
  const pick = (n: number) => Math.floor(rand() * n);
  const repoPaths: Record<string, string> = {};
  for (const kind of ['apps', 'libs', 'services', 'bundles'])
    mkdirSync(join(root, kind), { recursive: true });

  for (let i = 0; i < LIBS; i++) {
    const repo = `github.com/acme/${lib(i)}`;
    repoPaths[repo] = `/home/u/src/${lib(i)}`;
    // Libs depend only on libs with a lower number: no cycles.
    const deps = i === 0 ? [] : [...new Set([pick(i), pick(i)])].map(lib);
    const lines = [
      `repo: ${repo}`,
      `mount: /libs/${lib(i)}`,
      'install:',
      '  - pip install -e .',
      `  - echo "installed ${lib(i)} in $PWD"`,
      `depends:\n  libs: [${deps.join(', ')}]`,
    ];
    if (i % 10 === 0)
      lines.push('assets:', `  - {name: ${lib(i)}_token, path: /etc/${lib(i)}/token}`);
    if (i % 3 === 0)
      lines.push(
        'test:',
        '  image: python:3.12',
        '  once: [pip install -r test-requirements.txt]',
        '  suites:',
        `    - {name: unit, command: [pytest tests/unit], default_args: -x, services: [${svc(i % SERVICES)}]}`,
      );
    writeFileSync(join(root, 'libs', `${lib(i)}.yml`), lines.join('\n') + '\n');
  }

  for (let i = 0; i < SERVICES; i++) {
    const lines = [
      `image: postgres:${10 + (i % 7)}`,
      'environment:',
      `  POSTGRES_DB: db${i}`,
      '  POSTGRES_PASSWORD: dev',
      'volumes:',
      `  - /persist/${svc(i)}:/var/lib/postgresql/data`,
    ];
    if (i % 10 === 0) lines.push('log_driver: json-file', 'log_opt: {max-size: 10m}');
    if (i % 25 === 5) lines.push(`net: container:${svc(i - 5)}`);
    writeFileSync(join(root, 'services', `${svc(i)}.yml`), lines.join('\n') + '\n');
  }

  for (let i = 0; i < APPS; i++) {
    const repo = `https://git.acme.dev/acme/${app(i)}.git`;
    repoPaths[repo] = `/home/u/src/${app(i)}`;
    // Chains of ten, plus a jump back: apps depend only on lower numbers.
    const depApps = [
      ...new Set([...(i % 10 ? [i - 1] : []), ...(i > 50 && i % 7 === 0 ? [pick(i)] : [])]),
    ];
    const depServices = [...new Set([pick(SERVICES), pick(SERVICES)])];
    const depLibs = [...new Set(Array.from({ length: 1 + pick(3) }, () => pick(LIBS)))];
    const lines = [
      `repo: ${repo}`,
      `mount: /srv/${app(i)}`,
      i % 5 === 0 ? 'build: .' : `image: python:3.${8 + (i % 4)}`,
      'depends:',
      `  apps: [${depApps.map(app).join(', ')}]`,
      `  services: [${depServices.map(svc).join(', ')}]`,
      `  libs: [${depLibs.map(lib).join(', ')}]`,
    ];
    if (i > 20 && i % 4 === 0)
      lines.push(
        `conditional_links:\n  apps: [${app(pick(i))}]\n  services: [${svc(pick(SERVICES))}]`,
      );
    lines.push(
      'host_forwarding:',
      `  - {host_name: ${app(i)}.local.acme.com, host_port: 80, container_port: ${5000 + (i % 100)}}`,
    );
    if (i % 3 === 0)
      lines.push(`  - {host_name: ${app(i)}.localhost, host_port: 8080, container_port: 8080}`);
    if (i % 20 === 0)
      lines.push(
        `  - {host_name: ${app(i)}.db.acme.com, host_port: ${20000 + i}, container_port: 5432, type: stream}`,
      );
    lines.push(
      'commands:',
      '  once:',
      '    - pip install -r requirements.txt',
      '    - python manage.py migrate',
      '  always:',
      `    - echo "starting ${app(i)} with $DATABASE_URL"`,
      '    - python app.py',
      'scripts:',
      '  - {name: shell, description: a Python shell, command: [python manage.py shell]}',
      '  - {name: seed, description: load data, command: [python manage.py seed, echo done]}',
      'compose:',
      '  environment:',
      `    APP_NAME: ${app(i)}`,
      `    DATABASE_URL: postgres://${svc(depServices[0]!)}/db`,
    );
    if (i % 8 === 0) lines.push('  volumes: [/persist/' + app(i) + ':/data]');
    if (i % 4 === 0)
      lines.push(
        'assets:',
        `  - {name: ${app(i)}_key, path: /etc/${app(i)}/key.pem}`,
        `  - {name: ${app(i)}_opt, path: /etc/${app(i)}/opt, required: false}`,
      );
    if (i % 2 === 0)
      lines.push(
        'test:',
        '  build: .',
        '  once: [pip install -r test-requirements.txt]',
        '  suites:',
        '    - {name: unit, description: unit tests, command: [pytest tests/unit]}',
        `    - {name: integration, command: [pytest tests/integration], services: [${svc(pick(SERVICES))}]}`,
      );
    writeFileSync(join(root, 'apps', `${app(i)}.yml`), lines.join('\n') + '\n');
  }

  for (let b = 0; b < BUNDLES; b++) {
    // Each bundle's entry points are the tops of two chains and a few others.
    const apps = [...new Set([b * 20 + 9, b * 20 + 19, pick(APPS), pick(APPS)])].map(app);
    const services = b % 3 === 0 ? [svc(pick(SERVICES))] : [];
    writeFileSync(
      join(root, 'bundles', `bundle${pad(b)}.yml`),
      [
        `description: Bundle ${b}`,
        `apps: [${apps.join(', ')}]`,
        `services: [${services.join(', ')}]`,
      ].join('\n') + '\n',
    );
  }
  return repoPaths;
}

/** One timed run: read and validate every file, then compile every bundle. */
async function once(root: string, repoPaths: Record<string, string>) {
  const t0 = performance.now();
  // What loadSpecs does, timed in two steps.
  const docs = await readSpecsRepo(root);
  const tRead = performance.now();
  const v = validateSpecs(docs);
  const t1 = performance.now();
  if (!v.ok) {
    const errors = v.problems.filter((p) => p.severity === 'error').slice(0, 5);
    throw new Error(`the generated specs are invalid: ${JSON.stringify(errors)}`);
  }
  const out = compile({
    specs: v.specs,
    activeBundles: Object.keys(v.specs.bundles),
    envOverrides: { [app(1)]: { SECRET: 'x$y' } },
    repoPaths,
    setAssets: new Set([`${app(0)}_key`]),
    nginxImage: 'nginx:stable',
    platform: {
      engineAddress: '127.0.0.1',
      publishAddress: '127.0.0.1',
      dustyDir: '/home/u/.config/dusty',
      persistDir: '/home/u/.config/dusty/persist',
      repoMount: { type: 'bind' },
    },
  });
  const t2 = performance.now();
  return {
    read: (tRead - t0) / 1000,
    validate: (t1 - tRead) / 1000,
    compile: (t2 - t1) / 1000,
    total: (t2 - t0) / 1000,
    out,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const runs = Math.max(7, Number(process.argv[2] ?? 9) || 9);
  const root = mkdtempSync(join(tmpdir(), 'dusty-bench-'));
  try {
    const repoPaths = generateSpecsRepo(root);
    // One warm-up run (JIT, file cache), not counted.
    const warm = await once(root, repoPaths);
    const { closure, compose, nginx, hosts, containers } = warm.out;
    console.log(
      `specs: ${APPS} apps, ${LIBS} libs, ${SERVICES} services, ${BUNDLES} bundles (all active) in ${root}`,
    );
    console.log(
      `closure: ${closure.apps.length} apps, ${closure.services.length} services, ${closure.libs.length} libs; ` +
        `${containers.length} containers; compose ${(compose.length / 1024).toFixed(0)} KiB, ` +
        `nginx ${(nginx.length / 1024).toFixed(0)} KiB, hosts ${hosts.split('\n').length - 3} entries`,
    );
    const results = [];
    // Only the timings are kept: holding every run's output would grow the heap run by run, which
    // a CLI that compiles once never sees.
    for (let i = 0; i < runs; i++) {
      const { out: _out, ...timings } = await once(root, repoPaths);
      results.push(timings);
    }
    const cell = (x: string | number) => (typeof x === 'number' ? x.toFixed(3) : x).padStart(8);
    const line = (...cells: (string | number)[]) =>
      cells.map((c, k) => (k === 0 ? String(c).padEnd(20) : cell(c))).join('  ');
    const step = (name: string, xs: number[], target = '', ratio = '') =>
      line(name, median(xs), Math.min(...xs), target, ratio);
    const totals = results.map((r) => r.total);
    const ratio = median(totals) / TARGET_S;
    console.log(`\n${runs} runs, seconds`);
    console.log(line('step', 'median', 'min', 'target', 'ratio'));
    console.log(
      step(
        'read + parse YAML',
        results.map((r) => r.read),
      ),
    );
    console.log(
      step(
        'validate',
        results.map((r) => r.validate),
      ),
    );
    console.log(
      step(
        'compile',
        results.map((r) => r.compile),
      ),
    );
    console.log(step('total', totals, `< ${TARGET_S}`, ratio.toFixed(2)));
    console.log(
      `\nratio = median / ${TARGET_S} s = ${ratio.toFixed(2)} (${ratio < 1 ? 'within' : 'OVER'} target)`,
    );
    if (median(totals) >= TARGET_S) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
