/**
 * Dusty's section of /etc/hosts. The helper uses this on the person's behalf;
 * the engine uses it directly when it already runs as root.
 */
import { HostsEntrySchema, MAX_ENTRIES } from '../../src-shared/helper-protocol.js';
import type { HostsEntry } from '../../src-shared/helper-protocol.js';
import { fromFileText, rewriteFile, toFileText } from './atomic-file.js';
import type { RewriteOptions } from './atomic-file.js';
import { readSection, replaceSection, sectionLineNumbers } from './section-text.js';

export { readSection, replaceSection, SectionError } from './section-text.js';

/** What an apply did: whether the file changed, and the section before and after. */
export interface SectionChange {
  changed: boolean;
  before: string[];
  after: string[];
  inPlace: boolean;
}

/** A host name as resolvers compare it: lower case, no final dot. */
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Every name the file defines outside Dusty's section, with its line number. */
export function namesOutsideSection(text: string): Map<string, number> {
  const names = new Map<string, number>();
  const inside = sectionLineNumbers(text);
  text.split('\n').forEach((raw, i) => {
    if (inside.has(i + 1)) return;
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/).slice(1);
    for (const name of fields)
      if (!names.has(canonicalName(name))) names.set(canonicalName(name), i + 1);
  });
  return names;
}

/**
 * Refuses an entry whose name the file already defines outside Dusty's
 * section: those lines are the machine's or the person's, and an entry of
 * ours would shadow or contradict them.
 */
export function refuseForeignNames(
  text: string,
  entries: readonly HostsEntry[],
  file: string,
): void {
  const foreign = namesOutsideSection(text);
  entries.forEach((entry, i) => {
    const line = foreign.get(canonicalName(entry.hostname));
    if (line !== undefined) {
      throw new Error(
        `entry ${i}: ${entry.hostname} is defined in ${file} outside Dusty's section (line ${line}); Dusty does not redefine names it does not own`,
      );
    }
  });
}

/**
 * The section lines for `entries` (`IP HOSTNAME`), after validating each
 * entry again; throws with the first problem found. Exact duplicates are
 * dropped, a host name given two addresses is refused.
 */
export function hostsLines(entries: readonly HostsEntry[]): string[] {
  if (entries.length > MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries`);
  const seen = new Map<string, string>();
  const lines: string[] = [];
  entries.forEach((entry, i) => {
    const parsed = HostsEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`entry ${i}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
    }
    const name = canonicalName(parsed.data.hostname);
    if (name === 'localhost') {
      throw new Error(`entry ${i}: localhost is this machine's own name; Dusty never redefines it`);
    }
    const known = seen.get(name);
    if (known === parsed.data.ip) return;
    if (known !== undefined) {
      throw new Error(`entry ${i}: ${parsed.data.hostname} is given two addresses`);
    }
    seen.set(name, parsed.data.ip);
    lines.push(`${parsed.data.ip} ${parsed.data.hostname}`);
  });
  return lines;
}

/** How a section is written. */
export interface SectionWriteOptions extends RewriteOptions {
  /** Sees the whole file first and may throw to refuse, leaving it untouched. */
  guard?: (text: string) => void;
}

/**
 * Rewrites `filePath` so Dusty's section is exactly the given lines (removed
 * when empty), atomically and with a backup; see {@link rewriteFile}.
 */
export async function applySectionLines(
  filePath: string,
  lines: string[],
  options: SectionWriteOptions = {},
): Promise<SectionChange> {
  let beforeLines: string[] = [];
  const fileLines = lines.map(toFileText);
  const outcome = await rewriteFile(
    filePath,
    (text) => {
      options.guard?.(fromFileText(text));
      beforeLines = readSection(text).map(fromFileText);
      return replaceSection(text, fileLines);
    },
    options,
  );
  return { changed: outcome.changed, before: beforeLines, after: lines, inPlace: outcome.inPlace };
}

/**
 * Makes Dusty's section of the hosts file at `filePath` hold exactly
 * `entries`: validated, written whole or not at all, skipped when nothing
 * changes, previous version kept as `FILE.dusty-backup`. Throws (changing
 * nothing) on a bad entry or garbled markers.
 */
export async function applyHostsSection(
  filePath: string,
  entries: { ip: string; hostname: string }[],
  options: RewriteOptions = {},
): Promise<SectionChange> {
  const lines = hostsLines(entries);
  const guard = (text: string) => refuseForeignNames(text, entries, filePath);
  return applySectionLines(filePath, lines, { ...options, guard });
}
