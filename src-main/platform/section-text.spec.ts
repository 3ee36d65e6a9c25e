import { describe, expect, it } from 'vitest';
import { SectionError, readSection, replaceSection } from './section-text.js';

const B = '# BEGIN section for Dusty';
const E = '# END section for Dusty';

describe('replaceSection', () => {
  it('appends a section to a file that has none, keeping the rest exactly', () => {
    const text = '127.0.0.1\tlocalhost\n::1  localhost   ip6-localhost  \n';
    const out = replaceSection(text, ['1.2.3.4 a.local']);
    expect(out).toBe(`${text}${B}\n1.2.3.4 a.local\n${E}\n`);
  });

  it('replaces only the lines between the markers', () => {
    const head = '# my hosts\n10.0.0.1   nas\n';
    const tail = '\n\n# after\t \n192.168.1.1 router';
    const text = `${head}${B}\n1.1.1.1 old.local\n${E}\n${tail}`;
    const out = replaceSection(text, ['2.2.2.2 new.local', '3.3.3.3 b.local']);
    expect(out).toBe(`${head}${B}\n2.2.2.2 new.local\n3.3.3.3 b.local\n${E}\n${tail}`);
    expect(readSection(out)).toEqual(['2.2.2.2 new.local', '3.3.3.3 b.local']);
  });

  it('keeps CRLF files CRLF, inside the section too', () => {
    const text = 'a\r\nb\r\n';
    const out = replaceSection(text, ['1.2.3.4 x.local']);
    expect(out).toBe(`a\r\nb\r\n${B}\r\n1.2.3.4 x.local\r\n${E}\r\n`);
    expect(replaceSection(out, [])).toBe(text);
  });

  it('gives back a file without a final newline byte for byte after apply then clear', () => {
    const text = '127.0.0.1 localhost';
    const applied = replaceSection(text, ['1.2.3.4 x.local']);
    expect(applied).toBe(`127.0.0.1 localhost\n${B}\n1.2.3.4 x.local\n${E}`);
    expect(readSection(applied)).toEqual(['1.2.3.4 x.local']);
    const again = replaceSection(applied, ['5.6.7.8 y.local']);
    expect(again).toBe(`127.0.0.1 localhost\n${B}\n5.6.7.8 y.local\n${E}`);
    expect(replaceSection(again, [])).toBe(text);
  });

  it('round-trips an empty file', () => {
    const applied = replaceSection('', ['1.2.3.4 x.local']);
    expect(applied).toBe(`${B}\n1.2.3.4 x.local\n${E}\n`);
    expect(replaceSection(applied, [])).toBe('');
  });

  it('removes the whole section, markers included, for an empty list', () => {
    const text = `a\n${B}\n1.1.1.1 x\n${E}\nb\n`;
    expect(replaceSection(text, [])).toBe('a\nb\n');
  });

  it('leaves a file without a section alone for an empty list', () => {
    const text = 'a  \r\n\tb';
    expect(replaceSection(text, [])).toBe(text);
  });

  it('keeps marker lines with stray whitespace as they are', () => {
    const text = `x\n  ${B}  \n1.1.1.1 a\n${E}\t\ny\n`;
    expect(replaceSection(text, ['2.2.2.2 b'])).toBe(`x\n  ${B}  \n2.2.2.2 b\n${E}\t\ny\n`);
  });

  it('is idempotent', () => {
    const once = replaceSection('a\n', ['1.1.1.1 a', '2.2.2.2 b']);
    expect(replaceSection(once, ['1.1.1.1 a', '2.2.2.2 b'])).toBe(once);
  });

  it('refuses a BEGIN without an END instead of guessing', () => {
    expect(() => replaceSection(`a\n${B}\n1.1.1.1 x\nmine\n`, [])).toThrow(SectionError);
    expect(() => replaceSection(`a\n${B}\n`, ['1.1.1.1 x'])).toThrow(/without/);
  });

  it('refuses an END without a BEGIN', () => {
    expect(() => replaceSection(`a\n${E}\n`, ['1.1.1.1 x'])).toThrow(SectionError);
  });

  it('refuses duplicated markers and reversed markers', () => {
    expect(() => replaceSection(`${B}\n${E}\n${B}\n${E}\n`, [])).toThrow(/more than one/);
    expect(() => replaceSection(`${B}\n${B}\n${E}\n`, [])).toThrow(/more than one/);
    expect(() => replaceSection(`${E}\nx\n${B}\n`, [])).toThrow(/before/);
  });

  it('refuses lines that would break out of the section', () => {
    expect(() => replaceSection('', ['1.1.1.1 a\n2.2.2.2 evil'])).toThrow(/line break/);
    expect(() => replaceSection('', ['a\rb'])).toThrow(/line break/);
    expect(() => replaceSection('', [E])).toThrow(/marker/);
  });

  it('does not treat a marker mentioned inside another line as a marker', () => {
    const text = `# see ${B} in docs\n`;
    expect(readSection(text)).toEqual([]);
    expect(replaceSection(text, ['1.1.1.1 a'])).toBe(`${text}${B}\n1.1.1.1 a\n${E}\n`);
  });
});

describe('readSection', () => {
  it('is empty without markers', () => {
    expect(readSection('a\nb\n')).toEqual([]);
  });

  it('reads CRLF lines without their terminators', () => {
    expect(readSection(`${B}\r\n1.1.1.1 a\r\n${E}\r\n`)).toEqual(['1.1.1.1 a']);
  });

  it('throws on garbled markers', () => {
    expect(() => readSection(`${B}\n`)).toThrow(SectionError);
  });
});

describe('every byte outside the section survives apply then clear (issue 11)', () => {
  const cases: [string, string][] = [
    ['no final newline', 'a\nb'],
    ['bare \\r line endings', 'a\rb\r'],
    ['bare \\r, no final line break', 'a\rb'],
    ['a last line ending in \\r, then LF lines', 'x\ny\r'],
    ['CRLF without a final line break', 'a\r\nb'],
    ['empty', ''],
    ['only a newline', '\n'],
  ];
  for (const [name, text] of cases) {
    it(`keeps a file with ${name}`, () => {
      const applied = replaceSection(text, ['10.0.0.1 a.local']);
      expect(applied.startsWith(text)).toBe(true);
      const reapplied = replaceSection(applied, ['10.0.0.2 b.local', '10.0.0.3 c.local']);
      expect(readSection(reapplied)).toEqual(['10.0.0.2 b.local', '10.0.0.3 c.local']);
      expect(replaceSection(reapplied, [])).toBe(text);
    });
  }
});
