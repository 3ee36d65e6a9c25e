/** Terminal output helpers: colour only on a TTY, problems printed one per line. */
import { formatProblem, type Problem } from '../../src-shared/specs/schema.js';

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const etty = process.stderr.isTTY && !process.env.NO_COLOR;
const paint = (code: string, on: boolean) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1', tty);
export const dim = paint('2', tty);
export const green = paint('32', tty);
export const red = paint('31', tty);
export const yellow = paint('33', tty);
const ered = paint('31', etty);
const eyellow = paint('33', etty);

export function printProblems(problems: Problem[]): void {
  for (const p of problems) {
    const line = formatProblem(p);
    process.stderr.write((p.severity === 'error' ? ered(line) : eyellow(line)) + '\n');
  }
}

/** Prints rows as aligned columns. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length))) ?? [];
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return all.map((r, i) => (header && i === 0 ? bold(fmt(r)) : fmt(r))).join('\n') + '\n';
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
