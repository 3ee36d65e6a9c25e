#!/usr/bin/env node
/* global Buffer, process, console, performance, setTimeout, document, window, requestAnimationFrame, PerformanceObserver */
/**
 * The Logs view under a flood: a container printing as fast as it can (`yes`).
 * In the same run, counts the lines per second that reach the dashboard's view
 * (measured in the page) and the lines per second raw `docker logs -f` gets,
 * and watches the page's main thread (long tasks and gaps between animation
 * frames) while it runs. Run after a build (`npm run build`):
 *
 *   node bench/logs.js [--seconds N] [--trace FILE]
 *
 * `--trace` writes a Chromium trace of the measured window (open it in the
 * Performance panel or Perfetto) to see what the page's long tasks were.
 *
 * Targets (issue 13): view rate >= 0.8 x raw rate, longest main-thread task under 50 ms
 * (the Long Tasks API reports only tasks of 50 ms or more, so: none reported).
 * The stall is the longest long task (the Long Tasks API: a task that kept the
 * main thread from input and rendering for 50 ms or more). The longest gap
 * between animation frames is printed beside it, with the same gap for the
 * idle page under the same load: a frame can also be late when the compositor
 * or GPU process waits for a CPU while the page's main thread is free.
 * BENCH_STRICT=1 makes a missed target exit 1.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDusty } from './support.js';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 8;
const traceArg = process.argv.indexOf('--trace');
const TRACE = traceArg > 0 ? process.argv[traceArg + 1] : null;
const { specs, upAndFind, openDashboard, cleanup } = benchDusty('logs');

writeFileSync(
  join(specs, 'bundles', 'flood.yml'),
  'description: One app printing as fast as it can\napps:\n  - flood\n',
);
writeFileSync(
  join(specs, 'apps', 'flood.yml'),
  [
    'image: dusty-busybox:local',
    'commands:',
    '  always:',
    '    - \'yes "GET /api/items?page=1 200 0.004s user=alice request-id=8f14e45fceea167a"\'',
    'compose:',
    '  logging:',
    '    driver: json-file',
    '    options:',
    '      max-size: 50m',
    '      max-file: "2"',
    '',
  ].join('\n'),
);

/** Counts lines of `docker logs -f --tail 0` from now on. */
function rawFollower(id) {
  const child = spawn('docker', ['logs', '-f', '--tail', '0', id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const counter = { lines: 0, child };
  const count = (d) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) counter.lines++;
  };
  child.stdout.on('data', count);
  child.stderr.on('data', count);
  return counter;
}

/** Main-thread watch in the page: long tasks and gaps between animation frames (restarted on each call). */
async function installMonitor(page) {
  await page.evaluate(() => {
    const w = window;
    w.__stall = { longest: 0, longTask: 0, frames: 0, script: 0, blocking: 0 };
    if (!w.__observer) {
      // Long animation frames say how much of a slow frame was the page's own work (scripts, blocking tasks).
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const script = e.scripts.reduce((sum, x) => sum + x.duration, 0);
          w.__stall.script = Math.max(w.__stall.script, script);
          w.__stall.blocking = Math.max(w.__stall.blocking, e.blockingDuration);
        }
      }).observe({ type: 'long-animation-frame', buffered: false });
      w.__observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          w.__stall.longTask = Math.max(w.__stall.longTask, e.duration);
      });
      w.__observer.observe({ type: 'longtask', buffered: false });
      let last = performance.now();
      const tick = (t) => {
        w.__stall.longest = Math.max(w.__stall.longest, t - last);
        w.__stall.frames++;
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }
  });
}

/** Stops the trace and writes it to `file`. */
async function saveTrace(cdp, file) {
  const done = cdp.Tracing.tracingComplete();
  await cdp.Tracing.end();
  const { stream } = await done;
  let out = '';
  for (;;) {
    const r = await cdp.IO.read({ handle: stream });
    out += r.base64Encoded ? Buffer.from(r.data, 'base64').toString() : r.data;
    if (r.eof) break;
  }
  await cdp.IO.close({ handle: stream });
  writeFileSync(file, out);
  console.log(`  trace written to ${file}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  const id = upAndFind('flood', 'flood');
  const page = await openDashboard();
  await page.waitFor(() => !!document.querySelector('button[aria-label="Logs of flood"]'));
  await sleep(1000); // the page settles: the baseline is the machine's, not the first render's
  // Baseline: the same machine load (the flood and a raw follower) with the page not following logs.
  await installMonitor(page);
  const idleRaw = rawFollower(id);
  await sleep(3000);
  const idle = await page.evaluate(() => window.__stall);
  idleRaw.child.kill();
  await page.click('button', 'Logs of flood');
  const received = () =>
    page.evaluate(() =>
      Number(
        document.querySelector('[role=log][aria-label="Log lines"]')?.getAttribute('data-received'),
      ),
    );
  await page.waitFor(
    () => Number(document.querySelector('[role=log]')?.getAttribute('data-received')) > 0,
  );
  await sleep(2000); // warm up: the tail and the first bursts

  await installMonitor(page);
  const cdp = TRACE ? page.client : null;
  await cdp?.Tracing.start({
    transferMode: 'ReturnAsStream',
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'v8',
        'v8.execute',
        'blink.gc',
        'disabled-by-default-v8.gc',
        'toplevel',
      ],
    },
  });
  const raw = rawFollower(id);
  await sleep(500);
  const viewStart = await received();
  const rawStart = raw.lines;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const viewEnd = await received();
  const rawEnd = raw.lines;
  const elapsed = (performance.now() - t0) / 1000;
  const stall = await page.evaluate(() => window.__stall);
  const skipped = await page.evaluate(
    () => document.querySelector('.log-status[role=status]')?.textContent,
  );
  raw.child.kill();
  if (cdp) await saveTrace(cdp, TRACE);

  const viewRate = (viewEnd - viewStart) / elapsed;
  const rawRate = (rawEnd - rawStart) / elapsed;
  const ratio = viewRate / rawRate;
  const worst = stall.longTask;
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(`logs bench: ${SECONDS}s window, one container printing with \`yes\``);
  console.log(`  raw docker logs -f:   ${fmt(rawRate)} lines/s`);
  console.log(
    `  dashboard view:       ${fmt(viewRate)} lines/s  (ratio ${ratio.toFixed(2)}, target >= 0.8)`,
  );
  console.log(
    `  main-thread stall:    ${Math.round(worst)} ms (longest long task; target < 50 ms; 0 means none reached 50 ms)`,
  );
  console.log(
    `  frame gap:            ${Math.round(stall.longest)} ms (longest between animation frames; ${stall.frames} frames)`,
  );
  console.log(
    `  page's own work:      at most ${Math.round(stall.script)} ms of script and ${Math.round(stall.blocking)} ms of blocking in one frame (long-animation-frame entries)`,
  );
  console.log(
    `  same load, page idle: frame gap ${Math.round(idle.longest)} ms, longest long task ${Math.round(idle.longTask)} ms (the machine's share of any stall)`,
  );
  console.log(`  view status:          ${skipped?.trim()}`);
  const ok = ratio >= 0.8 && worst < 50;
  console.log(ok ? '  targets met' : '  TARGET MISSED');
  if (!ok && process.env.BENCH_STRICT === '1') process.exitCode = 1;
} finally {
  await cleanup();
}
