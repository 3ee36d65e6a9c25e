#!/usr/bin/env node
/* global process, console, URL, performance, setTimeout */
/**
 * `dusty up` against raw `docker-compose up -d` on the same compiled file,
 * for a 20-container stack (16 http apps with host names, 3 services, the
 * router), from nothing and with nothing to do. Run after a build:
 *
 *   node bench/up.js [--rounds N]
 *
 * Prints the medians, the ratios cold = dusty/raw (target <= 1.15) and
 * no-op = dusty/raw (target <= 1.5), how many containers a no-op up
 * recreated (target 0), and where the time of `dusty up` goes, step by step
 * as its output shows them. BENCH_STRICT=1 makes a missed target exit 1.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'dusty.js');
// A project of its own per run, so a leftover of an earlier run cannot interfere.
const PROJECT = `benchup${process.pid}`;
const HTTP_PORT = 29080;
const APPS = 16;
const SERVICES = 3;
const IMAGE = 'dusty-busybox:local';
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;

const dir = mkdtempSync(join(tmpdir(), 'dusty-bench-up-'));
const home = join(dir, 'home');
const specs = join(dir, 'specs');
const hostsFile = join(dir, 'hosts');
const composeFile = join(home, 'compiled', 'docker-compose.yml');
const env = {
  ...process.env,
  DUSTY_HOME: home,
  DUSTY_PROJECT: PROJECT,
  DUSTY_HOSTS_FILE: hostsFile,
  NO_COLOR: '1',
};

/** Runs a command; resolves with its exit code, output, duration and when each output line came. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: ROOT });
    let out = '';
    let partial = '';
    const lines = [];
    const onData = (d) => {
      const s = d.toString();
      out += s;
      const parts = (partial + s).split('\n');
      partial = parts.pop() ?? '';
      const at = performance.now() - start;
      for (const p of parts) lines.push({ at, line: p });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, lines, ms: performance.now() - start }));
  });
}

async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r;
}

const dusty = (...args) => must('node', [CLI, ...args], { env });
const compose = (...args) => must('docker-compose', ['-p', PROJECT, '-f', composeFile, ...args]);
const composeDown = () =>
  run('docker-compose', [
    '-p',
    PROJECT,
    '-f',
    composeFile,
    'down',
    '-v',
    '--remove-orphans',
    '-t',
    '1',
  ]);
/** Removes the project; the engine sometimes lags in freeing the network's endpoints, so retry. */
async function down() {
  for (let attempt = 1; ; attempt++) {
    const r = await composeDown();
    if (r.code === 0) return;
    if (attempt === 3 && (await containerIds()).size === 0 && /network/.test(r.out)) {
      // Seen on a loaded engine: a network keeps a stale endpoint. Both sides
      // then start with the network present, so the comparison stays fair.
      process.stderr.write(
        `warning: the network was not removed: ${r.out.trim().split('\n').pop()}\n`,
      );
      return;
    }
    if (attempt === 5) throw new Error(`docker-compose down failed:\n${r.out}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Container id of each service of the project. */
async function containerIds() {
  const r = await must('docker', [
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
    '--format',
    '{{.Label "com.docker.compose.service"}} {{.ID}} {{.State}}',
  ]);
  return new Map(
    r.out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [service, id, state] = l.split(' ');
        return [service, { id, state }];
      }),
  );
}

function recreatedBetween(before, after) {
  let n = 0;
  for (const [service, c] of after) if (before.get(service)?.id !== c.id) n++;
  for (const service of before.keys()) if (!after.has(service)) n++;
  return n;
}

function writeSpecs() {
  const w = (rel, text) => {
    mkdirSync(join(specs, rel, '..'), { recursive: true });
    writeFileSync(join(specs, rel), text);
  };
  const services = Array.from({ length: SERVICES }, (_, i) => `svc${i + 1}`);
  const apps = Array.from({ length: APPS }, (_, i) => `app${String(i + 1).padStart(2, '0')}`);
  for (const s of services)
    w(
      `services/${s}.yml`,
      `image: ${IMAGE}\ninit: true\ncommand: ["httpd", "-f", "-p", "6379", "-h", "/tmp"]\n`,
    );
  apps.forEach((a, i) =>
    w(
      `apps/${a}.yml`,
      [
        `image: ${IMAGE}`,
        'depends:',
        `  services: [${services[i % SERVICES]}]`,
        'host_forwarding:',
        `  - host_name: ${a}.bench.test`,
        `    host_port: ${HTTP_PORT}`,
        '    container_port: 8000',
        'commands:',
        '  always:',
        '    - httpd -f -p 8000 -h /tmp',
        '',
      ].join('\n'),
    ),
  );
  w('bundles/all.yml', `description: benchmark stack\napps: [${apps.join(', ')}]\n`);
  writeFileSync(hostsFile, '127.0.0.1 localhost\n');
  return apps.length + services.length + 1;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sec = (ms) => (ms / 1000).toFixed(2);

/** Time from the start of `dusty up` to each `» step` line, turned into the duration of each step. */
function stepDurations(r) {
  const marks = r.lines.filter((l) => l.line.startsWith('» '));
  const firstContainer = r.lines.find((l) =>
    /^ {2}\S+: (running|created|restarting|missing)/.test(l.line),
  );
  const out = [{ step: 'node start-up, until the first step', ms: marks[0]?.at ?? r.ms }];
  marks.forEach((m, i) => {
    const isLast = i === marks.length - 1;
    const end = isLast ? (firstContainer?.at ?? r.ms) : marks[i + 1].at;
    out.push({ step: m.line.slice(2), ms: end - m.at });
  });
  if (firstContainer)
    out.push({ step: 'waiting for containers, URLs, exit', ms: r.ms - firstContainer.at });
  return out;
}

async function main() {
  const expected = writeSpecs();
  await dusty('config', 'set', 'specs_repo', specs);
  await dusty('config', 'set', 'nginx_image', 'dusty-nginx:local');
  await dusty('bundles', 'activate', 'all');
  // A first up writes the compiled file the raw runs use, and warms caches.
  await dusty('up');
  const running = await containerIds();
  if (running.size !== expected)
    throw new Error(`expected ${expected} containers, found ${running.size}`);

  const t = { dustyCold: [], rawCold: [], dustyNoop: [], rawNoop: [] };
  const recreated = { dusty: [], raw: [] };
  const steps = { cold: [], noop: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    // (a) dusty up from nothing, (b) raw compose from nothing; the order alternates.
    const cold = [
      async () => {
        await down();
        const r = await dusty('up');
        t.dustyCold.push(r.ms);
        steps.cold.push(stepDurations(r));
      },
      async () => {
        await down();
        t.rawCold.push((await compose('up', '-d', '--remove-orphans')).ms);
      },
    ];
    const noop = [
      async () => {
        const before = await containerIds();
        const r = await dusty('up');
        t.dustyNoop.push(r.ms);
        steps.noop.push(stepDurations(r));
        recreated.dusty.push(recreatedBetween(before, await containerIds()));
      },
      async () => {
        const before = await containerIds();
        t.rawNoop.push((await compose('up', '-d', '--remove-orphans')).ms);
        recreated.raw.push(recreatedBetween(before, await containerIds()));
      },
    ];
    const order = round % 2 ? [0, 1] : [1, 0];
    for (const i of order) await cold[i]();
    for (const i of order) await noop[i]();
    process.stderr.write(`round ${round}/${ROUNDS} done\n`);
  }

  const [startup, composeVersion] = [
    await run('node', [CLI, '--version'], { env }),
    await run('docker-compose', ['version', '--short']),
  ];

  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
  const coldRatio = m.dustyCold / m.rawCold;
  const noopRatio = m.dustyNoop / m.rawNoop;
  const maxRecreated = Math.max(...recreated.dusty);
  const rows = [
    ['(a) dusty up, from nothing', t.dustyCold, m.dustyCold],
    ['(b) docker-compose up -d, from nothing', t.rawCold, m.rawCold],
    ['(c) dusty up, nothing to do', t.dustyNoop, m.dustyNoop],
    ['(d) docker-compose up -d, nothing to do', t.rawNoop, m.rawNoop],
  ];
  console.log(`\nbench/up: ${expected} containers, ${ROUNDS} rounds (seconds)\n`);
  console.log(`${'run'.padEnd(42)}${'median'.padStart(8)}  runs`);
  for (const [name, all, med] of rows)
    console.log(`${name.padEnd(42)}${sec(med).padStart(8)}  ${all.map(sec).join(' ')}`);
  const verdict = (ok) => (ok ? 'ok' : 'MISSED');
  console.log('');
  console.log(
    `cold  = a/b = ${coldRatio.toFixed(2)}  (target <= 1.15: ${verdict(coldRatio <= 1.15)})`,
  );
  console.log(
    `no-op = c/d = ${noopRatio.toFixed(2)}  (target <= 1.5: ${verdict(noopRatio <= 1.5)})`,
  );
  console.log(
    `recreated by a no-op dusty up: ${recreated.dusty.join(', ')} (target 0: ${verdict(maxRecreated === 0)}); by raw: ${recreated.raw.join(', ')}`,
  );

  console.log('\nwhere the time of dusty up goes (median seconds per step, from its output):');
  for (const kind of ['cold', 'noop']) {
    const names = steps[kind][0].map((s) => s.step);
    console.log(`  ${kind === 'cold' ? 'from nothing' : 'nothing to do'}:`);
    for (const name of names) {
      const ms = median(steps[kind].map((r) => r.find((s) => s.step === name)?.ms ?? 0));
      console.log(`    ${name.padEnd(48)}${sec(ms).padStart(7)}`);
    }
  }
  console.log(
    `  for scale: \`node bin/dusty.js --version\` ${sec(startup.ms)} s, \`docker-compose version\` ${sec(composeVersion.ms)} s`,
  );

  const missed = coldRatio > 1.15 || noopRatio > 1.5 || maxRecreated !== 0;
  if (missed && process.env.BENCH_STRICT === '1') process.exitCode = 1;
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
} finally {
  await composeDown();
  rmSync(dir, { recursive: true, force: true });
}
