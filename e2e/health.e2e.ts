/**
 * Health at a glance and where `up`'s time goes, on the real Docker engine:
 * `up --json` carries each URL's answer through the router and the timeline;
 * `up` prints the timeline; `status` and `status --json` show what each URL
 * answers, and turn red naming a container killed outside Dusty (but not one
 * stopped on purpose).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { stoppedOnPurpose } from '../src-main/engine/runtime/health.js';
import { CHROMIUM_ARGS, ROOT } from './pages/environment.js';
import { DustyCli, ok } from './support/dusty.js';

const PORTS = { web: 28481, api: 28482, echo: 28477 };
const cli = new DustyCli('e2ehealth', PORTS);
const WEB = `http://web.demo.test:${PORTS.web}`;
const API = `http://api.demo.test:${PORTS.api}`;
const ECHO = `tcp://echo.demo.test:${PORTS.echo}`;

interface UrlJson {
  url: string;
  ok: boolean;
  status: number | null;
  ms: number | null;
  error?: string;
}
interface Phase {
  phase: string;
  start: number;
  end: number | null;
  note?: string;
}

async function statusJson(): Promise<Map<string, { state: string; urls: UrlJson[] }>> {
  const rows = JSON.parse((await cli.must('status', '--json')).stdout) as {
    name: string;
    state: string;
    urls: UrlJson[];
  }[];
  return new Map(rows.map((r) => [r.name, r]));
}

beforeAll(async () => {
  await cli.configure();
});

let ui: ChildProcess | undefined;
let browser: BrowserContext | undefined;

afterAll(async () => {
  await browser?.close();
  ui?.kill();
  await cli.destroy();
});

/** Starts `dusty ui` for this Dusty and resolves with its tokened URL. */
function startUi(): Promise<string> {
  return new Promise((resolve, reject) => {
    ui = spawn('node', [join(ROOT, 'bin/dusty.js'), 'ui', '--no-open'], {
      env: cli.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    ui.stdout!.on('data', onData);
    ui.stderr!.on('data', onData);
    ui.on('exit', (code) => reject(new Error(`dusty ui exited ${code}:\n${out}`)));
  });
}

const header = (page: Page) => page.getByRole('status', { name: 'Overall state' });
const levelIs = (page: Page, level: string, timeout = 30_000) =>
  page.waitForFunction(
    (want) =>
      document.querySelector('[aria-label="Overall state"]')?.getAttribute('data-level') === want,
    level,
    { timeout },
  );

describe('up', () => {
  it('--json carries each URL’s answer and each container’s timeline', async () => {
    const r = await cli.must('up', '--json');
    const out = JSON.parse(r.stdout) as {
      containers: string[];
      urls: (UrlJson & { app: string })[];
      timeline: {
        startedAt: number;
        finishedAt: number;
        containers: { name: string; phases: Phase[] }[];
      };
    };
    expect(out.containers.sort()).toEqual(['api', 'cache', 'dusty-router', 'echo', 'web']);
    const byUrl = new Map(out.urls.map((u) => [u.url, u]));
    expect(byUrl.get(WEB)).toMatchObject({ app: 'web', ok: true, status: 200 });
    expect(byUrl.get(API)).toMatchObject({ app: 'api', ok: true, status: 200 });
    expect(byUrl.get(ECHO)).toMatchObject({ app: 'echo', ok: true, status: null });
    for (const u of out.urls) expect(u.ms).toBeGreaterThanOrEqual(0);

    const { timeline } = out;
    expect(timeline.finishedAt).toBeGreaterThan(timeline.startedAt);
    const phases = (name: string) =>
      timeline.containers.find((c) => c.name === name)!.phases.map((p) => p.phase);
    for (const name of out.containers) {
      expect(phases(name)).toEqual(expect.arrayContaining(['create', 'start', 'ready']));
      for (const p of timeline.containers.find((c) => c.name === name)!.phases) {
        expect(p.end).not.toBeNull();
        expect(p.end!).toBeGreaterThanOrEqual(p.start);
        expect(p.start).toBeGreaterThanOrEqual(timeline.startedAt - 1000);
        expect(p.end!).toBeLessThanOrEqual(timeline.finishedAt);
      }
    }
    // web runs `once` on its first start, and is ready when its URL first answers.
    expect(phases('web')).toEqual(['create', 'start', 'once', 'ready']);
    const webReady = timeline.containers.find((c) => c.name === 'web')!.phases.at(-1)!;
    expect(webReady.note).toBe(`${WEB} answered 200`);
  });

  it('prints the timeline, slowest first, and each URL’s answer', async () => {
    ok(await cli.docker('stop', await cli.idOf('web')), 'docker stop');
    const r = await cli.must('up');
    expect(r.stdout).toContain('where the time went (slowest first):');
    expect(r.stdout).toMatch(/^ {2}web +\d+\.\d+s \|.*\| .*first answer \d+\.\d+s$/m);
    expect(r.stdout).toMatch(new RegExp(`web: ${WEB} \\(200, \\d+ ms\\)`));
    expect(r.stdout).toMatch(new RegExp(`echo: ${ECHO} \\(open, \\d+ ms\\)`));
  });

  it('times the build of an app’s image as its first phase', async () => {
    mkdirSync(join(cli.repos, 'api', 'docker', 'built'), { recursive: true });
    writeFileSync(
      join(cli.repos, 'api', 'docker', 'built', 'Dockerfile'),
      // A fresh build every run: the timeline must show a build, not a cache hit.
      `FROM dusty-busybox:local\nRUN echo ${Date.now()} > /built.txt\n`,
    );
    cli.writeSpec(
      'apps/built.yml',
      'repo: github.com/dusty-demo/api\nmount: /srv/built\nbuild: docker/built\ncommands:\n  always:\n    - sleep 3600\n',
    );
    cli.writeSpec(
      'bundles/built.yml',
      'description: An app built from its Dockerfile\napps:\n  - built\n',
    );
    // Compose builds only an image it does not have: one left by an earlier run would be reused.
    const images = [`${cli.project}_built`, `${cli.project}-built`];
    const removeImages = () => cli.docker('image', 'rm', '-f', ...images);
    await removeImages();
    await cli.must('bundles', 'activate', 'built');
    try {
      const out = JSON.parse((await cli.must('up', '--json')).stdout) as {
        timeline: { containers: { name: string; phases: Phase[] }[] };
      };
      const phases = out.timeline.containers.find((c) => c.name === 'built')!.phases;
      expect(phases.map((p) => p.phase)).toEqual(['image', 'create', 'start', 'ready']);
      expect(phases[0]).toMatchObject({ phase: 'image', note: 'build' });
      expect(phases[0]!.end!).toBeGreaterThanOrEqual(phases[0]!.start);
      expect(phases[1]!.start).toBeGreaterThanOrEqual(phases[0]!.end!);
    } finally {
      await cli.must('bundles', 'deactivate', 'built');
      await cli.must('up');
      await removeImages();
    }
  });
});

describe('status', () => {
  it('shows what each URL answers, and green when everything answers', async () => {
    const rows = await statusJson();
    expect(rows.get('web')!.urls).toEqual([
      { url: WEB, ok: true, status: 200, ms: expect.any(Number) as number },
    ]);
    expect(rows.get('echo')!.urls).toEqual([
      { url: ECHO, ok: true, status: null, ms: expect.any(Number) as number },
    ]);
    const text = (await cli.must('status')).stdout;
    expect(text.split('\n')[0]).toBe('● healthy: 5 running, 3 URLs answering');
    expect(text).toMatch(new RegExp(`${WEB} \\(200, \\d+ ms\\)`));
  });

  it('turns red naming a container killed outside Dusty, and its URL stops answering', async () => {
    ok(await cli.docker('kill', await cli.idOf('web')), 'docker kill');
    const rows = await statusJson();
    expect(rows.get('web')!.state).toBe('exited');
    expect(rows.get('web')!.urls).toEqual([
      {
        url: WEB,
        ok: false,
        status: 502,
        ms: expect.any(Number) as number,
        error: 'the router answered 502: the app does not answer',
      },
    ]);
    expect(rows.get('api')!.urls[0]).toMatchObject({ ok: true, status: 200 });
    const text = (await cli.must('status')).stdout;
    expect(text.split('\n')[0]).toBe('● broken: web stopped unexpectedly');
  });

  it('is not red for a container stopped on purpose', async () => {
    await cli.must('up');
    await cli.must('stop', 'echo');
    const text = (await cli.must('status')).stdout;
    // Not "starting": nothing starts; part of the stack is stopped.
    expect(text.split('\n')[0]).toBe('● partial: 4 of 5 running; echo is stopped');
    const rows = await statusJson();
    expect(rows.get('echo')!.urls[0]).toMatchObject({ url: ECHO, ok: false, status: null });
  });
});

describe('stopped on purpose, asked at once', () => {
  it('finds the stop event of a container stopped a moment ago, in the same second', async () => {
    const docker = new Docker();
    const c = await docker.createContainer({
      Image: 'dusty-busybox:local',
      Cmd: ['sleep', '300'],
      Labels: { 'com.docker.compose.project': 'e2ehealth-purpose' },
    });
    try {
      await c.start();
      await c.stop({ t: 0 });
      // Asked right away, as `dusty status` after `dusty stop` is: the stop must count.
      const found = await stoppedOnPurpose(docker, [{ name: 'sleeper', id: c.id }]);
      expect([...found]).toEqual(['sleeper']);
    } finally {
      await c.remove({ force: true });
    }
  });
});

describe('the dashboard', () => {
  let page: Page;

  it('shows green and each URL’s answer when everything answers', async () => {
    await cli.must('up');
    const url = await startUi();
    browser = await chromium.launchPersistentContext(mkdtempSync(join(cli.dir, 'chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(url);
    await levelIs(page, 'green');
    expect(await header(page).textContent()).toBe('5 running, 3 URLs answering');
    await page.getByRole('tab', { name: 'Containers', exact: true }).click();
    const answer = page.getByLabel(`answer of ${WEB}`);
    await answer.waitFor();
    expect(await answer.textContent()).toMatch(/^200 · \d+ ms$/);
    expect(await page.getByLabel(`answer of ${ECHO}`).textContent()).toMatch(/^open · \d+ ms$/);
  });

  it('goes red naming a container killed outside Dusty, and a notice says so', async () => {
    ok(await cli.docker('kill', await cli.idOf('web')), 'docker kill');
    await levelIs(page, 'red', 10_000);
    expect(await header(page).textContent()).toBe('web stopped unexpectedly');
    await page
      .getByRole('status', { name: 'Notifications' })
      .getByText('web stopped')
      .first()
      .waitFor();
  });

  it('draws Up’s timeline as bars and is green again afterwards', async () => {
    await page.getByRole('button', { name: 'Up', exact: true }).click();
    await page
      .locator('[aria-label="Operation progress"][data-status="succeeded"]')
      .waitFor({ timeout: 120_000 });
    const web = page
      .getByRole('figure', { name: 'Where the time went' })
      .getByLabel('timeline of web');
    await web.waitFor();
    expect(
      await web
        .locator('[data-phase]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-phase'))),
    ).toEqual(expect.arrayContaining(['start', 'ready']));
    await levelIs(page, 'green');
  });

  it('draws the timeline live, while Up still waits for a container', async () => {
    // Healthy only after five seconds, so Up is still waiting when the bars must show.
    cli.writeSpec(
      'apps/slowpoke.yml',
      [
        'image: dusty-busybox:local',
        'commands:',
        '  always:',
        '    - sleep 5',
        '    - touch /tmp/ready',
        '    - sleep 3600',
        'compose:',
        '  healthcheck:',
        '    test: ["CMD", "test", "-f", "/tmp/ready"]',
        '    interval: 1s',
        '    retries: 30',
        '',
      ].join('\n'),
    );
    cli.writeSpec('bundles/slow.yml', 'description: Starts slowly\napps:\n  - slowpoke\n');
    await cli.must('bundles', 'activate', 'slow');
    await page.getByRole('button', { name: 'Up', exact: true }).click();
    const slow = page
      .getByRole('figure', { name: 'Where the time went' })
      .getByLabel('timeline of slowpoke');
    await slow.locator('[data-phase="start"]').waitFor({ timeout: 60_000 });
    // The bar is there and Up has not finished: the view is live, not drawn at the end.
    expect(
      await page.locator('[aria-label="Operation progress"]').getAttribute('data-status'),
    ).toBe('running');
    await page
      .locator('[aria-label="Operation progress"][data-status="succeeded"]')
      .waitFor({ timeout: 120_000 });
    expect(
      await slow
        .locator('[data-phase]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-phase'))),
    ).toEqual(expect.arrayContaining(['start', 'ready']));
  });
});
