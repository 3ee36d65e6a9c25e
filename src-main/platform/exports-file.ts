/**
 * Dusty's section of the NFS exports file. The export options are fixed
 * here, never taken from a request: everything a client does is squashed to
 * the owner's uid, so an export grants nobody more than the owner has.
 */
import { stat } from 'node:fs/promises';
import { ExportsEntrySchema, MAX_ENTRIES } from '../../src-shared/helper-protocol.js';
import type { ExportsEntry } from '../../src-shared/helper-protocol.js';
import { applySectionLines } from './hosts-file.js';
import type { SectionChange } from './hosts-file.js';

/** Whose files the NFS clients act as. */
export interface ExportIdentity {
  uid: number;
  gid: number;
  /** `process.platform`; macOS's exports file has its own syntax. */
  platform: NodeJS.Platform;
}

/** Linux export options: read-write, all squashed to the owner, no subtree checks. */
export function linuxExportOptions(uid: number, gid: number): string {
  // insecure: VM clients behind NAT (VirtualBox, lima) connect from ports above 1024.
  return `rw,async,all_squash,anonuid=${uid},anongid=${gid},no_subtree_check,insecure`;
}

function prefixToMask(bits: number): string {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
}

/** One exports line for a validated entry, in the platform's syntax. */
export function exportsLine(entry: ExportsEntry, who: ExportIdentity): string {
  if (who.platform === 'darwin') {
    const [address, prefix] = entry.client.split('/');
    const client =
      prefix === undefined ? address : `-network ${address} -mask ${prefixToMask(Number(prefix))}`;
    return `${entry.path} -alldirs -mapall=${who.uid}:${who.gid} ${client}`;
  }
  return `${entry.path} ${entry.client}(${linuxExportOptions(who.uid, who.gid)})`;
}

/**
 * Validates `entries` (shape, and each path an existing directory) and
 * returns the section lines; throws with the first problem found.
 */
export async function exportsLines(
  entries: readonly ExportsEntry[],
  who: ExportIdentity,
): Promise<string[]> {
  if (entries.length > MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries`);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const parsed = ExportsEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`entry ${i}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
    }
    if (who.platform === 'darwin' && parsed.data.client.includes(':')) {
      throw new Error(`entry ${i}: macOS exports take IPv4 clients only`);
    }
    const info = await stat(parsed.data.path).catch(() => null);
    if (!info) throw new Error(`entry ${i}: ${parsed.data.path} does not exist`);
    if (!info.isDirectory()) throw new Error(`entry ${i}: ${parsed.data.path} is not a directory`);
    const key = `${parsed.data.path} ${parsed.data.client}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(exportsLine(parsed.data, who));
  }
  return lines;
}

/**
 * Makes Dusty's section of the exports file hold exactly `entries` (see
 * {@link applySectionLines}); does not reload the NFS server.
 */
export async function applyExportsSection(
  filePath: string,
  entries: ExportsEntry[],
  who: ExportIdentity,
): Promise<SectionChange> {
  return applySectionLines(filePath, await exportsLines(entries, who));
}
