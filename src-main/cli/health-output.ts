/** How the CLI shows URL answers, the overall state and `up`'s timeline. */
import type { OverallHealth, UrlCheck } from '../../src-shared/health.js';
import { timelineText, type UpTimeline } from '../../src-shared/timeline.js';
import { bold, dim, green, red, yellow } from './output.js';

/** `http://web.test (200, 12 ms)` in green, or what went wrong in red. */
export function formatCheck(url: string, check: UrlCheck | undefined): string {
  if (!check) return `${url} ${dim('(not checked)')}`;
  if (check.ok) return `${url} ${green(`(${check.status ?? 'open'}, ${check.ms} ms)`)}`;
  return `${url} ${red(`(${check.status ?? 'no answer'}: ${check.error ?? 'no answer'})`)}`;
}

/** The overall state as the first line of `dusty status`. */
export function overallLine(h: OverallHealth): string {
  const paint = { green, amber: yellow, red, grey: dim }[h.level];
  return `${paint(`● ${h.word}`)}: ${h.summary}`;
}

/** The compact timeline `up` ends with, slowest container first. */
export function printTimeline(t: UpTimeline): void {
  const lines = timelineText(t);
  if (!lines.length) return;
  console.log(bold('where the time went (slowest first):'));
  for (const l of lines.slice(0, -1)) console.log(`  ${l}`);
  console.log(dim(`  ${lines[lines.length - 1]!}`));
}

/** One URL answer as `status --json` and `up --json` print it. */
export function checkJson(url: string, c: UrlCheck | undefined) {
  return c
    ? { url, ok: c.ok, status: c.status, ms: c.ms, ...(c.error ? { error: c.error } : {}) }
    : { url, ok: false, status: null, ms: null, error: 'not checked' };
}
