/* global process, URL, setTimeout, document, location */
/**
 * What the dashboard benchmarks share: the built code to run, a throw-away
 * Dusty (its own home, Compose project, hosts file and specs folder), the
 * CLI, `dusty ui`, and Chromium driven bare (see `launchBareChromium`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import CDP from 'chrome-remote-interface';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The built code to run (`npm run build` writes dist/); DUSTY_BENCH_DIST points elsewhere.
export const DIST = process.env.DUSTY_BENCH_DIST ?? join(ROOT, 'dist');

/** Chromium's flags for this machine, shared with the e2e tests. */
export const CHROMIUM_ARGS = JSON.parse(readFileSync(join(ROOT, 'e2e/chromium-args.json'), 'utf8'));

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
      // DUSTY_BENCH_UI_NODE_ARGS passes flags to the server's Node, e.g. `--cpu-prof` to profile it.
      const nodeArgs = (process.env.DUSTY_BENCH_UI_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const child = spawn(
        'node',
        [...nodeArgs, join(DIST, 'src-main/cli/main.js'), 'ui', '--no-open'],
        {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
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

  /** Debian's Chromium, headless, with a profile of its own, driven bare (see `launchBareChromium`). */
  const launchBrowser = () => launchBareChromium(mkdtempSync(join(dir, 'chromium-')));

  let ui;
  let browser;
  /** Starts `dusty ui`, opens it in Chromium on the Containers view, and gives the page. */
  const openDashboard = async () => {
    ui = await startUi();
    browser = await launchBrowser();
    await browser.goto(ui.url);
    await browser.click('tab', 'Containers');
    return browser;
  };

  /** Closes the dashboard and removes the bench's containers, network and files. */
  const cleanup = async () => {
    await browser?.close();
    ui?.child.kill();
    const ids = spawnSync(
      'docker',
      ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`],
      { encoding: 'utf8' },
    )
      .stdout.split('\n')
      .filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids]);
    spawnSync('docker', ['network', 'rm', `${project}_dusty`]);
    rmSync(dir, { recursive: true, force: true });
  };

  return { dir, project, env, specs, dusty, upAndFind, openDashboard, cleanup };
}

/**
 * Chromium driven over a bare DevTools connection that turns on no domain.
 * Playwright turns on the Network domain for every page, and Chromium then
 * copies every WebSocket frame to the driver: for the logs bench, the whole
 * log stream (20 MB in 7 s), serialised in the page's renderer, forwarded by
 * the browser and parsed by the driver. No person's browser carries that load,
 * and it took a good share of this machine's two cores from the page measured.
 */
export async function launchBareChromium(profile) {
  const child = spawn(
    '/usr/bin/chromium',
    [
      '--headless',
      ...CHROMIUM_ARGS,
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      '--window-size=1280,820',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // A browser that started but could not be driven is not left behind.
  const client = await connect().catch((e) => {
    child.kill();
    throw e;
  });
  async function connect() {
    const port = await new Promise((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d) => {
        err += d.toString();
        const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`chromium exited ${code}:\n${err}`)));
      setTimeout(
        () => reject(new Error(`chromium did not start in 30 s:\n${err}`)),
        30_000,
      ).unref();
    });
    return CDP({ port });
  }

  /** Runs `fn(...args)` in the page and gives its (awaited, JSON-able) result. */
  const evaluate = async (fn, ...args) => {
    const r = await client.Runtime.evaluate({
      expression: `(${fn})(...${JSON.stringify(args)})`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (r.exceptionDetails)
      throw new Error(
        `in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
      );
    return r.result.value;
  };
  /** Waits until `fn(...args)` is truthy in the page, and gives its value. */
  const waitFor = async (fn, ...args) => {
    const until = Date.now() + 30_000;
    for (;;) {
      const v = await evaluate(fn, ...args).catch(() => undefined);
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${fn}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return {
    client,
    evaluate,
    waitFor,
    async goto(url) {
      await client.Page.navigate({ url });
      await waitFor(() => document.readyState === 'complete' && location.href !== 'about:blank');
    },
    /** Clicks the control with this role and accessible name (its label, else its text). */
    async click(role, name) {
      await waitFor(
        (role, name) => {
          const all = [
            ...document.querySelectorAll(role === 'button' ? 'button' : `[role=${role}]`),
          ];
          const el = all.find(
            (e) => (e.getAttribute('aria-label') ?? e.textContent.trim()) === name,
          );
          el?.click();
          return !!el;
        },
        role,
        name,
      );
    },
    async close() {
      await client.close().catch(() => undefined);
      child.kill();
    },
  };
}
