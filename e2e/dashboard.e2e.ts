/**
 * The dashboard in a real browser (Debian's Chromium) against the real
 * `dusty ui` server and the real Docker engine: bundles, Up, containers from
 * engine events, logs, terminals, failures, and the server's doorway checks.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openDusty } from '../src-main/service/index.js';
import { runUi, type RunningUi } from '../src-main/web/ui.js';
import { DashboardPage } from './pages/dashboard-page.js';
import {
  buildDashboard,
  CHROMIUM_ARGS,
  containerId,
  docker,
  makeEnv,
  ROOT,
  teardownEnv,
  type TestEnv,
} from './pages/environment.js';

const ARTIFACTS = join(ROOT, 'e2e/artifacts');
const PROJECT = 'e2edash';

// A bundle whose app never becomes healthy, to see how a failure is shown.
const BROKEN = {
  'bundles/broken.yml': 'description: An app that cannot start\napps:\n  - broken\n',
  'apps/broken.yml': [
    'image: dusty-busybox:local',
    'commands:',
    '  always:',
    `    - 'echo "boom: no config at /etc/broken.conf"'`,
    '    - sleep 3600',
    'compose:',
    '  healthcheck:',
    '    test: ["CMD", "test", "-f", "/etc/broken.conf"]',
    '    interval: 1s',
    '    timeout: 1s',
    '    retries: 1',
    '',
  ].join('\n'),
};

let env: TestEnv | undefined;
let ui: RunningUi | undefined;
let browser: BrowserContext | undefined;
let dash: DashboardPage;

beforeAll(async () => {
  env = makeEnv(PROJECT, { web: 19081, api: 19082, echo: 19777 }, BROKEN);
  await env.useCopies();
  await env.store.setConfig('nginx_image', 'dusty-nginx:local');
  const staticDir = buildDashboard(join(env.dir, 'renderer'));
  ui = await runUi(openDusty(), { staticDir });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launchPersistentContext(mkdtempSync(join(env.dir, 'chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 820 },
  });
  dash = new DashboardPage(browser.pages()[0] ?? (await browser.newPage()));
});

afterAll(async () => {
  await browser?.close();
  await ui?.close();
  teardownEnv(env);
});

/** A raw HTTP request with chosen headers (fetch may not set Host). */
function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ui!.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and reports whether the server accepted it (and the refusal's status). */
function wsOutcome(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${ui!.port}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => resolve({ opened: false }));
  });
}

describe('the dashboard server is a locked doorway', () => {
  it('serves the page only with the token of this run', async () => {
    const withToken = await get(`/?token=${ui!.token}`);
    expect(withToken.status).toBe(200);
    expect(withToken.body).toContain('<div id="root">');
    for (const path of ['/', '/?token=wrong', '/index.html', '/assets/x.js']) {
      const r = await get(path);
      expect(r.status, path).toBe(401);
      expect(r.body, path).toBe('');
    }
  });

  it('opens the WebSocket only with the token', async () => {
    expect(await wsOutcome(`/ws?token=${ui!.token}`)).toEqual({ opened: true });
    expect(await wsOutcome('/ws')).toEqual({ opened: false, status: 401 });
    expect(await wsOutcome('/ws?token=nope')).toEqual({ opened: false, status: 401 });
  });

  it('refuses another Host (DNS rebinding) and another site’s Origin', async () => {
    const token = ui!.token;
    expect((await get(`/?token=${token}`, { Host: `evil.example:${ui!.port}` })).status).toBe(421);
    expect((await get(`/?token=${token}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect(await wsOutcome(`/ws?token=${token}`, { Origin: 'http://evil.example' })).toEqual({
      opened: false,
      status: 403,
    });
    expect(await wsOutcome(`/ws?token=${token}`, { Host: `rebound.example:${ui!.port}` })).toEqual({
      opened: false,
      status: 421,
    });
    expect(
      await wsOutcome(`/ws?token=${token}`, { Origin: `http://127.0.0.1:${ui!.port}` }),
    ).toEqual({ opened: true });
  });

  it('shows a page opened without the token nothing but how to get in', async () => {
    const page = await browser!.newPage();
    // Chromium reports an empty 401 as a failed navigation: either way, no dashboard.
    const res = await page.goto(`http://127.0.0.1:${ui!.port}/`).catch(() => null);
    expect(res === null || res.status() === 401).toBe(true);
    await page.waitForTimeout(300);
    expect(await page.locator('#root').count()).toBe(0);
    expect(await page.getByRole('switch').count()).toBe(0);
    await page.close();
  });
});

describe('running the demo from the dashboard', () => {
  it('lists bundles with what each would start, and switches one on', async () => {
    await dash.goto(ui!.url);
    const web = dash.bundles.switch('web');
    await web.waitFor();
    expect(await web.getAttribute('aria-checked')).toBe('false');
    const card = dash.page.getByRole('listitem').filter({ has: web });
    expect(await card.locator('.chip').allTextContents()).toEqual([
      'api',
      'web',
      'cache',
      'greeting',
    ]);
    await dash.bundles.setActive('web', true);
    await dash.screenshot(join(ARTIFACTS, 'dashboard-bundles.png'));
  });

  it('Up starts every container and the Containers view shows them running', async () => {
    expect(await dash.operation.run(dash.up())).toBe('succeeded');
    await dash.screenshot(join(ARTIFACTS, 'dashboard-up-done.png'));
    await dash.show('Containers');
    for (const name of ['web', 'api', 'cache', 'dusty-router'])
      await dash.containers.waitForState(name, 'running', 10_000);
    const links = await dash.containers.row('web').getByRole('link').allTextContents();
    expect(links).toEqual(['web.demo.test:19081']);
    await dash.screenshot(join(ARTIFACTS, 'dashboard-containers.png'));
  });

  it("opens a container's logs and shows what it prints", async () => {
    await dash.containers.action('web', 'Logs of').click();
    await dash.page.getByRole('tabpanel', { name: 'Logs' }).waitFor();
    docker(
      'exec',
      containerId(PROJECT, 'web'),
      'sh',
      '-c',
      'for i in 1 2 3; do echo "hello from e2e $i" > /proc/1/fd/1; done',
    );
    await dash.logs.lines().getByText('hello from e2e 3').waitFor({ timeout: 10_000 });
    await dash.logs.search().fill('e2e 2');
    await dash.page.getByRole('checkbox', { name: 'Only matching lines' }).check();
    await expect(dash.logs.lines().locator('.log-line').allTextContents()).resolves.toEqual([
      'hello from e2e 2',
    ]);
    await dash.page.getByRole('checkbox', { name: 'Only matching lines' }).uncheck();
    await dash.screenshot(join(ARTIFACTS, 'dashboard-logs.png'));
    await dash.logs.search().fill('');
  });

  it('counts the lines it shows, the backlog included', async () => {
    // Following again starts from the backlog alone: nothing new is printed.
    await dash.logs.follow('web').uncheck();
    await dash.logs.follow('web').check();
    await dash.logs.lines().getByText('hello from e2e 3').waitFor({ timeout: 10_000 });
    // Both streams, as the view shows them.
    const id = containerId(PROJECT, 'web');
    const backlog = execFileSync('sh', ['-c', `docker logs --tail 500 ${id} 2>&1`], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean).length;
    expect(backlog).toBeGreaterThanOrEqual(3);
    // The counter follows the lines without any other change on the page.
    await expect
      .poll(() => dash.page.getByRole('status').filter({ hasText: 'lines received' }).innerText(), {
        timeout: 3000,
      })
      .toBe(`${backlog} lines received`);
    expect(await dash.logs.received()).toBe(backlog);
  });

  it('opens a terminal in a container and runs a command in it', async () => {
    await dash.show('Containers');
    await dash.containers.action('web', 'Shell in').click();
    const pane = dash.terminal.pane('web');
    await pane.waitFor();
    await dash.page.waitForTimeout(500);
    await dash.terminal.type('web', 'echo "sum=$((6*7))"; hostname\n');
    await expect.poll(() => dash.terminal.text('web'), { timeout: 10_000 }).toContain('sum=42');
    await dash.screenshot(join(ARTIFACTS, 'dashboard-terminal.png'));
    // Another view and back: the session and its output are still there.
    await dash.show('Bundles');
    await dash.show('Terminal');
    await dash.terminal.type('web', 'echo again-$((1+1))\n');
    await expect
      .poll(() => dash.terminal.text('web'), { timeout: 10_000 })
      .toMatch(/sum=42[\s\S]*again-2/);
  });

  it("runs an app's script in a terminal pane with the arguments given", async () => {
    await dash.show('Containers');
    await dash.containers.action('web', 'Scripts of').click();
    const dialog = dash.page.getByRole('dialog', { name: 'Run a script in web' });
    await dialog.getByRole('combobox', { name: 'Script' }).selectOption('greet');
    await dialog.getByRole('textbox', { name: 'Arguments' }).fill('Ada "Grace Hopper"');
    await dialog.getByRole('button', { name: 'Run' }).click();
    const title = 'web: greet Ada Grace Hopper';
    await dash.terminal.pane(title).waitFor();
    try {
      await expect
        .poll(() => dash.terminal.text(title), { timeout: 10_000 })
        .toMatch(/Hello, Ada![\s\S]*Hello, Grace Hopper!/);
    } finally {
      await dash.screenshot(join(ARTIFACTS, 'dashboard-script.png'));
    }
    expect(await dash.terminal.tab('web').count()).toBe(1);
  });

  it('marks a container killed outside Dusty as stopped, and Up brings it back', async () => {
    await dash.show('Containers');
    await dash.containers.waitForState('api', 'running');
    const t0 = Date.now();
    docker('kill', containerId(PROJECT, 'api'));
    await dash.containers.waitForState('api', 'exited', 5_000);
    const seen = Date.now() - t0;
    expect(seen).toBeLessThan(2_000);
    await dash.page
      .getByRole('status', { name: 'Notifications' })
      .getByText('api stopped')
      .waitFor({ timeout: 5_000 });
    // The finished Up's progress shows the container as it is now, not as Up left it.
    await dash.operation
      .region()
      .getByRole('list', { name: 'Container progress' })
      .getByText('api: exited')
      .waitFor({ timeout: 5_000 });
    await dash.screenshot(join(ARTIFACTS, 'dashboard-killed.png'));
    expect(await dash.operation.run(dash.up())).toBe('succeeded');
    await dash.containers.waitForState('api', 'running', 10_000);
  });

  it('shows the container, the reason and its last log lines when Up fails', async () => {
    await dash.show('Bundles');
    await dash.bundles.setActive('broken', true);
    expect(await dash.operation.run(dash.up())).toBe('failed');
    const failure = dash.operation.failure();
    await expect(failure.textContent()).resolves.toContain(
      'broken did not start: its healthcheck fails',
    );
    const tail = dash.page.getByLabel('Last log lines of broken');
    await expect(tail.textContent()).resolves.toContain('boom: no config at /etc/broken.conf');
    await dash.screenshot(join(ARTIFACTS, 'dashboard-up-failed.png'));
    await dash.bundles.setActive('broken', false);
  });

  it('shows repos with their mode and settings with the specs validation', async () => {
    await dash.show('Repos');
    const row = dash.page.getByRole('row', { name: 'github.com/dusty-demo/web' });
    await row.getByText('overridden', { exact: true }).waitFor({ timeout: 5_000 });
    expect(await row.locator('th code').textContent()).toBe('github.com/dusty-demo/web');
    await dash.screenshot(join(ARTIFACTS, 'dashboard-repos.png'));
    await dash.show('Settings');
    await dash.page.getByText(/^Valid: 3 bundles, 4 apps/).waitFor();
    expect(await dash.page.getByRole('textbox', { name: 'Specs repo' }).inputValue()).toBe(
      env!.specs,
    );
    await dash.screenshot(join(ARTIFACTS, 'dashboard-settings.png'));
  });
});
