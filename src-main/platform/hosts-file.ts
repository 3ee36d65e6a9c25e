/**
 * Dusty's section of /etc/hosts. The helper uses this on the person's behalf;
 * the engine uses it directly when it already runs as root.
 */
import { HostsEntrySchema, MAX_ENTRIES } from '../../src-shared/helper-protocol.js';
import type { HostsEntry } from '../../src-shared/helper-protocol.js';
import { fromFileText, rewriteFile, toFileText } from './atomic-file.js';
import { readSection, replaceSection } from './section-text.js';

export { readSection, replaceSection, SectionError } from './section-text.js';

/** What an apply did: whether the file changed, and the section before and after. */
export interface SectionChange {
  changed: boolean;
  before: string[];
  after: string[];
  inPlace: boolean;
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
    const name = parsed.data.hostname.toLowerCase();
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

/**
 * Rewrites `filePath` so Dusty's section is exactly the given lines (removed
 * when empty), atomically and with a backup; see {@link rewriteFile}.
 */
export async function applySectionLines(filePath: string, lines: string[]): Promise<SectionChange> {
  let beforeLines: string[] = [];
  const fileLines = lines.map(toFileText);
  const outcome = await rewriteFile(filePath, (text) => {
    beforeLines = readSection(text).map(fromFileText);
    return replaceSection(text, fileLines);
  });
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
): Promise<SectionChange> {
  return applySectionLines(filePath, hostsLines(entries));
}
