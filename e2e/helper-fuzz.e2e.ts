/**
 * Seeded fuzzing of the helper: thousands of random and mutated request
 * lines. The helper must never crash, must answer every line with a
 * well-formed response, and its files must only ever hold valid content.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HelperResponseSchema,
  exportPathProblem,
  isHostname,
  isIpAddress,
  isNfsClient,
} from '../src-shared/helper-protocol.js';
import { readSection } from '../src-main/platform/section-text.js';
import {
  makePaths,
  rawExchange,
  removePaths,
  request,
  requireBuild,
  startHelper,
} from './fixtures/helper/harness.js';
import type { Helper, Paths } from './fixtures/helper/harness.js';

const SEED = 0xd057;
const ROUNDS = 3000;
const HOSTS = '127.0.0.1 localhost\r\n# fuzz\r\n';
const EXPORTS = '/srv 10.0.0.0/8(ro)\n';

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let paths: Paths;
let helper: Helper;
let dirs: string[];

beforeAll(async () => {
  requireBuild();
  paths = makePaths(HOSTS);
  writeFileSync(paths.exports, EXPORTS);
  dirs = ['a', 'b', 'c d', 'e'].map((n) => path.join(paths.dir, 'repos', n));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  helper = await startHelper(paths);
});
afterAll(async () => {
  await helper.stop();
  removePaths(paths);
});

function generator(rand: () => number) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const junkChars = [
    '\u0000',
    '\r',
    '\t',
    ' ',
    ';',
    '`',
    '$(',
    '..',
    '/',
    '#',
    '\u00e9',
    '\ud83d\ude00',
    '"',
    '\\',
  ];
  const word = () => {
    let s = '';
    const n = Math.floor(rand() * 12);
    for (let i = 0; i < n; i += 1)
      s += rand() < 0.8 ? String.fromCharCode(97 + Math.floor(rand() * 26)) : pick(junkChars);
    return s;
  };
  const host = () => (rand() < 0.7 ? `${word() || 'x'}.local` : word());
  const ip = () =>
    rand() < 0.7
      ? `${Math.floor(rand() * 300)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}`
      : pick(['::1', 'fe80::1', '1::2::3', 'localhost', '', '1.2.3.4\n5.6.7.8 evil', word()]);
  const exportPath = () =>
    rand() < 0.7
      ? pick(dirs)
      : pick(['/', '/etc', 'rel', '/tmp/../etc', `/${word()}`, '/nonexistent']);
  const client = () =>
    pick(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/64', '*', '10.0.0.1(rw)', '1.2.3.4/40', word()]);
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.3) return pick([null, true, 0, -1, 1e308, word(), '', []]);
    if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 4) }, () => [word(), value(depth + 1)]),
    );
  };
  const ops = [
    'version',
    'hosts.apply',
    'hosts.clear',
    'exports.apply',
    'exports.clear',
    'exec',
    '',
    'hosts.apply ',
    'HOSTS.APPLY',
  ];
  const requestObject = (id: number): unknown => {
    const op = pick(ops);
    const entries =
      op.startsWith('hosts') || op.startsWith('HOSTS')
        ? Array.from({ length: Math.floor(rand() * 5) }, () => ({ ip: ip(), hostname: host() }))
        : Array.from({ length: Math.floor(rand() * 4) }, () => ({
            path: exportPath(),
            client: client(),
          }));
    const obj: Record<string, unknown> = { id: rand() < 0.9 ? id : value(0), op };
    if (rand() < 0.85) obj.params = rand() < 0.85 ? { entries } : value(0);
    if (rand() < 0.05) obj[word()] = value(0);
    return obj;
  };
  const mutate = (text: string): string => {
    const chars = [...text];
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i += 1) {
      const at = Math.floor(rand() * (chars.length + 1));
      const r = rand();
      if (r < 0.33) chars.splice(at, 1);
      else if (r < 0.66)
        chars.splice(at, 0, pick(junkChars.concat(['{', '}', '[', ']', ',', ':'])));
      else chars.splice(at, 1, String.fromCharCode(Math.floor(rand() * 0x3000)));
    }
    return chars.join('');
  };
  return (id: number): string => {
    const r = rand();
    let line: string;
    if (r < 0.6) line = JSON.stringify(requestObject(id));
    else if (r < 0.9) line = mutate(JSON.stringify(requestObject(id)));
    else line = JSON.stringify(value(0)) ?? 'null';
    // One line must stay one line, so every line gets exactly one answer;
    // an uninstall would end the run, so it never appears.
    line = line.replace(/[\n\u2028\u2029]/g, ' ').replace(/uninstall|engine\.start/gi, 'x');
    return line.trim() === '' ? '{}' : line;
  };
}

function expectValidFiles(): void {
  const hosts = readFileSync(paths.hosts, 'latin1');
  expect(hosts.startsWith(HOSTS)).toBe(true);
  for (const line of readSection(hosts)) {
    const [ip, name, ...rest] = line.split(' ');
    expect(rest).toEqual([]);
    expect(isIpAddress(ip ?? '') && isHostname(name ?? '')).toBe(true);
  }
  const exportsText = readFileSync(paths.exports, 'utf8');
  expect(exportsText.startsWith(EXPORTS)).toBe(true);
  for (const line of readSection(exportsText)) {
    const m =
      /^(\S+) ([^\s(]+)\(rw,async,all_squash,anonuid=\d+,anongid=\d+,no_subtree_check,insecure\)$/.exec(
        line,
      );
    expect(m).not.toBeNull();
    expect(exportPathProblem(m?.[1] ?? '')).toBeNull();
    expect(statSync(m?.[1] ?? '').isDirectory()).toBe(true);
    expect(isNfsClient(m?.[2] ?? '')).toBe(true);
  }
}

describe('helper fuzzing', () => {
  it(`answers ${ROUNDS} random and mutated requests (seed ${SEED}) well-formed, never crashing, files always valid`, async () => {
    const next = generator(mulberry32(SEED));
    let answered = 0;
    let okCount = 0;
    const batch = 50;
    for (let start = 0; start < ROUNDS; start += batch) {
      const lines = Array.from({ length: batch }, (_, i) => next(start + i));
      const { lines: responses } = await rawExchange(
        paths.socket,
        `${lines.join('\n')}\n`,
        batch,
        20_000,
      );
      expect(responses).toHaveLength(batch);
      for (const res of responses) {
        const parsed = HelperResponseSchema.parse(res);
        if (parsed.ok) okCount += 1;
      }
      answered += responses.length;
      expect(helper.proc.exitCode).toBeNull();
      expectValidFiles();
    }
    expect(answered).toBe(ROUNDS);
    // The generator is meant to produce some valid requests too; all-refused would mean it tests nothing.
    expect(okCount).toBeGreaterThan(ROUNDS / 50);
    expect(await request(paths.socket, 'version')).toMatchObject({ ok: true });
  });
});
