/* global process, URL */
/**
 * What the dashboard benchmarks share: the built code to run, a throw-away
 * Dusty (its own home, Compose project, hosts file and specs folder), the
 * CLI, `dusty ui`, and Chromium's flags for this machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The built code to run (`npm run build` writes dist/); DUSTY_BENCH_DIST points elsewhere.
export const DIST = process.env.DUSTY_BENCH_DIST ?? join(ROOT, 'dist');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A fresh Dusty of its own for one benchmark run. */
export function benchDusty(name) {
  const dir = mkdtempSync(join(tmpdir(), `dusty-bench-${name}-`));
  const project = `bench${name}${process.pid}`;
  const env = {
    ...process.env,
    DUSTY_HOME: join(dir, 'home'),
    DUSTY_PROJECT: project,
    DUSTY_HOSTS_FILE: join(dir, 'hosts'),
    NO_COLOR: '1',
  };
  const specs = join(dir, 'specs');
  for (const d of ['apps', 'bundles', 'libs', 'services'])
    mkdirSync(join(specs, d), { recursive: true });
  writeFileSync(env.DUSTY_HOSTS_FILE, '');

  /** Runs the CLI, throwing with its output when it fails. */
  const dusty = (...args) => {
    const r = spawnSync('node', [join(DIST, 'src-main/cli/main.js'), ...args], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`dusty ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  /** Starts `dusty ui` and resolves with its process and tokened URL. */
  const startUi = () =>
    new Promise((resolve, reject) => {
      const child = spawn('node', [join(DIST, 'src-main/web/ui-main.js'), '--no-open'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const onData = (d) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
        if (m) resolve({ child, url: m[1] });
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`dusty ui exited ${code}:\n${out}`)));
    });

  /** Brings the bundle up and gives the running container of `service`. */
  const upAndFind = (bundle, service) => {
    dusty('config', 'set', 'specs_repo', specs);
    dusty('config', 'set', 'nginx_image', 'dusty-nginx:local');
    dusty('bundles', 'activate', bundle);
    dusty('up', '--no-pull');
    const id = spawnSync(
      'docker',
      [
        'ps',
        '-q',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        '--filter',
        `label=com.docker.compose.service=${service}`,
      ],
      { encoding: 'utf8' },
    ).stdout.trim();
    if (!id) throw new Error(`${service} is not running`);
    return id;
  };

  /** Debian's Chromium, headless, with a profile of its own. */
  const launchBrowser = () =>
    chromium.launchPersistentContext(mkdtempSync(join(dir, 'chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 820 },
    });

  return { dir, project, env, specs, dusty, startUi, upAndFind, launchBrowser };
}
