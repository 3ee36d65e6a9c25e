/**
 * The helper's audit log: who asked for what, when, and the change it made,
 * as a unified-style diff of Dusty's section.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * A unified-style diff of two line lists (longest common subsequence), one
 * line per entry prefixed with ' ', '-' or '+'. Inputs are bounded by
 * MAX_ENTRIES, so the quadratic table stays small.
 */
export function sectionDiff(before: readonly string[], after: readonly string[]): string[] {
  const n = before.length;
  const m = after.length;
  const table: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      const row = table[i] as number[];
      row[j] =
        before[i] === after[j]
          ? (table[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(table[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push(` ${before[i]}`);
      i += 1;
      j += 1;
    } else if (i < n && (j >= m || (table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0))) {
      out.push(`-${before[i]}`);
      i += 1;
    } else {
      out.push(`+${after[j]}`);
      j += 1;
    }
  }
  return out;
}

/** One audit record. */
export interface AuditRecord {
  uid: number | null;
  op: string;
  file?: string;
  before?: readonly string[];
  after?: readonly string[];
  outcome: string;
  at?: Date;
}

/** Longest outcome one record keeps: a refused request cannot fill the log. */
export const MAX_OUTCOME_CHARS = 1000;

/**
 * `text` with every control character (and the backslash) written as an
 * escape, so nothing a request carries can start a line of its own.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\\' ? '\\\\' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function bounded(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** Formats a record as the text block appended to the log. */
export function formatAudit(record: AuditRecord): string {
  const when = (record.at ?? new Date()).toISOString();
  const who = record.uid === null ? 'unknown' : String(record.uid);
  const op = escapeControl(bounded(record.op, 64));
  const outcome = escapeControl(bounded(record.outcome, MAX_OUTCOME_CHARS));
  let text = `${when} uid=${who} op=${op} ${outcome}\n`;
  if (record.file && record.before && record.after) {
    const file = escapeControl(record.file);
    text += `--- ${file} (Dusty section, before)\n+++ ${file} (Dusty section, after)\n`;
    text += `@@ -1,${record.before.length} +1,${record.after.length} @@\n`;
    text += sectionDiff(record.before, record.after)
      .map((l) => `${escapeControl(l)}\n`)
      .join('');
  }
  return text;
}

/** Appends `text`, refusing a symbolic link at the log's path rather than writing through it. */
async function appendNoFollow(file: string, text: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  const handle = await open(file, flags, 0o600);
  try {
    await handle.appendFile(text);
  } finally {
    await handle.close();
  }
}

/** Appends to a log only root can read; a failing log is reported, never fatal. */
export class AuditLog {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  write(record: AuditRecord): Promise<void> {
    const text = formatAudit(record);
    this.queue = this.queue.then(() =>
      appendNoFollow(this.file, text).catch((err: unknown) => {
        process.stderr.write(
          `dusty-helper: cannot write the audit log ${this.file}: ${String(err)}\n`,
        );
      }),
    );
    return this.queue;
  }
}
