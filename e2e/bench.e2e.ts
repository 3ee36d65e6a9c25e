/**
 * The dashboard benchmarks still run and measure: a short run of each against
 * the real engine, `dusty ui` and Chromium. Their figures are not judged here
 * (speed is for the benchmarks to report, not for timed tests); what is checked
 * is that every figure was measured, so a broken harness cannot hide.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './pages/environment.js';

function bench(script: string, ...args: string[]): string {
  const r = spawnSync('node', [join(ROOT, 'bench', script), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BENCH_STRICT: '0' },
    timeout: 150_000,
  });
  expect(r.status, `${script} failed:\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

const number = (s: string) => Number(s.replace(/,/g, ''));

describe('benchmarks', () => {
  it('logs: counts the lines raw `docker logs -f` and the view get, and the page’s stalls', () => {
    const out = bench('logs.js', '--seconds', '2');
    const raw = /raw docker logs -f:\s+([\d,]+) lines\/s/.exec(out);
    const view = /dashboard view:\s+([\d,]+) lines\/s\s+\(ratio ([\d.]+)/.exec(out);
    const stall = /main-thread stall:\s+(\d+) ms/.exec(out);
    const frames = /frame gap:\s+(\d+) ms .*?(\d+) frames\)/.exec(out);
    expect(raw && view && stall && frames, out).toBeTruthy();
    expect(number(raw![1]!)).toBeGreaterThan(1000);
    expect(number(view![1]!)).toBeGreaterThan(1000);
    expect(Number(view![2])).toBeCloseTo(number(view![1]!) / number(raw![1]!), 1);
    expect(Number(stall![1])).toBeGreaterThanOrEqual(0);
    expect(Number(frames![1])).toBeGreaterThan(0);
    expect(Number(frames![2])).toBeGreaterThan(10);
    expect(out).toMatch(/view status:\s+[\d,]+ lines received/);
  });

  it('status: times from `docker kill` to the view showing the container exited', () => {
    const out = bench('status.js', '--samples', '3');
    const m = /p50 (\d+) ms, p95 (\d+) ms, min (\d+) ms, max (\d+) ms/.exec(out);
    expect(m, out).toBeTruthy();
    const [p50, p95, min, max] = m!.slice(1).map(Number) as [number, number, number, number];
    expect(min).toBeGreaterThan(0);
    expect(min).toBeLessThanOrEqual(p50);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(max);
  });
});
