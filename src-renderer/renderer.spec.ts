import { describe, expect, it } from 'vitest';
import { parseAnsi, stripAnsi } from './ansi.js';
import { LogBuffer } from './log-buffer.js';
import { splitArgs } from './args.js';

const line = (x: string, c = 'web') => ({ c, t: '', x });

describe('ANSI colours in logs', () => {
  it('turns SGR codes into styled spans', () => {
    expect(parseAnsi('\x1b[31merror\x1b[0m ok')).toEqual([
      { text: 'error', fg: '#cd3131' },
      { text: ' ok' },
    ]);
    expect(parseAnsi('\x1b[1;38;5;46mgo')).toEqual([
      { text: 'go', bold: true, fg: 'rgb(0,255,0)' },
    ]);
    expect(parseAnsi('\x1b[38;2;1;2;3mrgb')).toEqual([{ text: 'rgb', fg: 'rgb(1,2,3)' }]);
  });
  it('drops other escape sequences', () => {
    expect(stripAnsi('\x1b[2K\x1b]0;title\x07done')).toBe('done');
    expect(parseAnsi('\x1b[2Kplain')).toEqual([{ text: 'plain' }]);
  });
});

describe('the log buffer', () => {
  it('keeps only the last cap lines however many arrive', () => {
    const b = new LogBuffer(3);
    b.push([1, 2, 3, 4, 5].map((n) => line(`l${n}`)));
    expect(b.total).toBe(5);
    expect(b.size).toBe(3);
    expect(b.line(1)).toBeUndefined();
    expect(b.line(4)?.x).toBe('l5');
    expect([0, 1, 2].map((i) => b.line(b.visibleAt(i, false))?.x)).toEqual(['l3', 'l4', 'l5']);
  });
  it('filters case-insensitively, ignoring colours, and follows new lines', () => {
    const b = new LogBuffer(10);
    b.push([line('GET /a'), line('\x1b[31mERROR\x1b[0m boom'), line('get /b')]);
    b.setFilter('get');
    expect(b.matchCount()).toBe(2);
    b.push([line('nothing'), line('GET /c')]);
    expect(b.matchCount()).toBe(3);
    b.setFilter('error boom');
    expect(b.matchCount()).toBe(1);
    expect(b.line(b.matchAt(0))?.x).toContain('boom');
  });
  it('forgets matches that fell out of the ring', () => {
    const b = new LogBuffer(2);
    b.setFilter('x');
    b.push([line('x1'), line('x2')]);
    expect(b.matchCount()).toBe(2);
    b.push([line('x3')]);
    expect(b.matchCount()).toBe(2);
    expect(b.line(b.matchAt(0))?.x).toBe('x2');
  });
  it('finds the same lines as a line-by-line search, however the lines arrive', () => {
    // A seeded generator: the same cases every run.
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const words = ['GET', 'get', 'post', 'Error', '\x1b[1mbold\x1b[0m', 'İstanbul', 'api', 'x'];
    const all: ReturnType<typeof line>[] = [];
    const b = new LogBuffer(300);
    for (let k = 0; k < 120; k++) {
      const batch = Array.from({ length: rand(9) }, () =>
        line(
          Array.from({ length: rand(4) }, () => words[rand(words.length)]).join(' '),
          ['web', 'api', 'worker'][rand(3)],
        ),
      );
      all.push(...batch);
      b.push(batch);
      // A filter set midway follows the lines that arrive after it.
      if (k === 60) b.setFilter('get');
    }
    expect(b.matchCount()).toBeGreaterThan(0);
    for (const q of ['get', 'API', 'bold', 'i̇stanbul', 'error x', 'nothing', 'w']) {
      b.setFilter(q);
      const want = all
        .map((l, n) => ({ l, n }))
        .filter(({ n }) => n >= all.length - 300)
        .filter(
          ({ l }) =>
            stripAnsi(l.x).toLowerCase().includes(q.toLowerCase()) || l.c.includes(q.toLowerCase()),
        )
        .map(({ n }) => n);
      const got = Array.from({ length: b.matchCount() }, (_, i) => b.matchAt(i));
      expect(got, q).toEqual(want);
    }
  });
  it('clears', () => {
    const b = new LogBuffer(5);
    b.push([line('a')], 7);
    b.clear();
    expect([b.total, b.dropped, b.size]).toEqual([0, 0, 0]);
  });
});

describe('script arguments', () => {
  it('splits like a shell for simple quoting', () => {
    expect(splitArgs(`Ada "Grace Hopper" 'x y' z`)).toEqual(['Ada', 'Grace Hopper', 'x y', 'z']);
    expect(splitArgs('   ')).toEqual([]);
  });
});
