import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../../src-shared/shell-quote.js';

/** What a real sh reads the quoted words back as, one per line. */
const roundTrip = (words: string[]) =>
  execFileSync('sh', ['-c', `for w in ${shellJoin(words)}; do printf '%s\\n' "$w"; done`], {
    encoding: 'utf8',
  });

describe('shellQuote', () => {
  it('leaves plain words bare and quotes the rest', () => {
    expect(shellQuote('/srv/app')).toBe('/srv/app');
    expect(shellQuote('a=b,c')).toBe('a=b,c');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    expect(shellQuote('$HOME')).toBe(`'$HOME'`);
    expect(shellQuote('')).toBe(`''`);
    expect(shellQuote('a\nb')).toBe(`'a\nb'`);
    expect(shellQuote('/srv/app', true)).toBe(`'/srv/app'`);
    expect(shellJoin(['ssh', '-o', 'BatchMode=yes', 'a b'])).toBe(`ssh -o BatchMode=yes 'a b'`);
  });

  it('gives sh back every word unchanged, whatever it holds', () => {
    const words = ['plain', "it's", '$HOME', '`id`', 'a b', '*', '"q"', '\\n', 'x;rm -rf /', '~'];
    expect(roundTrip(words)).toBe(words.map((w) => `${w}\n`).join(''));
  });
});
