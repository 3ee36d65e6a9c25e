/** ANSI SGR colours in log lines, turned into styled spans; other escape sequences are dropped. */

export interface Span {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

const BASIC = [
  '#000000',
  '#cd3131',
  '#0dbc79',
  '#e5e510',
  '#2472c8',
  '#bc3fbc',
  '#11a8cd',
  '#e5e5e5',
];
const BRIGHT = [
  '#666666',
  '#f14c4c',
  '#23d18b',
  '#f5f543',
  '#3b8eea',
  '#d670d6',
  '#29b8db',
  '#ffffff',
];

function color256(n: number): string {
  if (n < 8) return BASIC[n]!;
  if (n < 16) return BRIGHT[n - 8]!;
  if (n < 232) {
    const i = n - 16;
    const v = (c: number) => (c === 0 ? 0 : 55 + c * 40);
    return `rgb(${v(Math.floor(i / 36))},${v(Math.floor(i / 6) % 6)},${v(i % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

// CSI sequences (ESC [ ... final byte) and OSC sequences (ESC ] ... BEL or ESC \).
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Splits a line into spans with the colours and weights its SGR codes ask for. */
export function parseAnsi(line: string): Span[] {
  if (!line.includes('\x1b')) return [{ text: line }];
  const spans: Span[] = [];
  let style: Omit<Span, 'text'> = {};
  let last = 0;
  for (const m of line.matchAll(ESCAPES)) {
    if (m.index > last) spans.push({ text: line.slice(last, m.index), ...style });
    last = m.index + m[0].length;
    if (m[2] !== 'm') continue;
    const codes = (m[1] || '0').split(';').map((c) => Number(c || 0));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c === 0) style = {};
      else if (c === 1) style = { ...style, bold: true };
      else if (c === 2) style = { ...style, dim: true };
      else if (c === 3) style = { ...style, italic: true };
      else if (c === 4) style = { ...style, underline: true };
      else if (c === 22) style = { ...style, bold: false, dim: false };
      else if (c === 23) style = { ...style, italic: false };
      else if (c === 24) style = { ...style, underline: false };
      else if (c >= 30 && c <= 37) style = { ...style, fg: BASIC[c - 30]! };
      else if (c >= 90 && c <= 97) style = { ...style, fg: BRIGHT[c - 90]! };
      else if (c >= 40 && c <= 47) style = { ...style, bg: BASIC[c - 40]! };
      else if (c >= 100 && c <= 107) style = { ...style, bg: BRIGHT[c - 100]! };
      else if (c === 39) style = { ...style, fg: undefined };
      else if (c === 49) style = { ...style, bg: undefined };
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
        const col = color256(codes[i + 2] ?? 0);
        style = c === 38 ? { ...style, fg: col } : { ...style, bg: col };
        i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
        const col = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`;
        style = c === 38 ? { ...style, fg: col } : { ...style, bg: col };
        i += 4;
      }
    }
  }
  if (last < line.length) spans.push({ text: line.slice(last), ...style });
  return spans.filter((s) => s.text);
}

/** The line without escape sequences, for searching. */
export function stripAnsi(line: string): string {
  return line.includes('\x1b') ? line.replace(ESCAPES, '') : line;
}
