/**
 * Dusty's section of the NFS exports file. The export options are fixed
 * here, never taken from a request: everything a client does is squashed to
 * the owner's uid, so an export grants nobody more than the owner has.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  ExportsEntrySchema,
  MAX_ENTRIES,
  exportPathProblem,
} from '../../src-shared/helper-protocol.js';
import type { ExportsEntry } from '../../src-shared/helper-protocol.js';
import { applySectionLines } from './hosts-file.js';
import type { SectionChange } from './hosts-file.js';
import type { RewriteOptions } from './atomic-file.js';

/** Whose files the NFS clients act as. */
export interface ExportIdentity {
  uid: number;
  gid: number;
  /** `process.platform`; macOS's exports file has its own syntax. */
  platform: NodeJS.Platform;
}

/** What the owner sees at a path: its real path, its owner, whether it is a folder; null when they cannot see it. */
export interface SeenPath {
  real: string;
  uid: number;
  isDirectory: boolean;
}

/** Looks at paths with the owner's identity. */
export type OwnerLook = (
  paths: readonly string[],
  who: ExportIdentity,
) => Promise<(SeenPath | null)[]>;

async function lookHere(paths: readonly string[]): Promise<(SeenPath | null)[]> {
  return Promise.all(
    paths.map(async (p) => {
      try {
        const real = await realpath(p);
        const info = await stat(real);
        return { real, uid: info.uid, isDirectory: info.isDirectory() };
      } catch {
        return null;
      }
    }),
  );
}

// Reads JSON lists of paths on stdin; answers each with what it sees, one JSON line.
const LOOK_SCRIPT = `
const fs = require('node:fs');
const look = (p) => {
  try {
    const real = fs.realpathSync(p);
    const info = fs.statSync(real);
    return { real, uid: info.uid, isDirectory: info.isDirectory() };
  } catch {
    return null;
  }
};
require('node:readline')
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    let out = null;
    try {
      out = JSON.parse(line).map(look);
    } catch {}
    process.stdout.write(JSON.stringify(out) + '\\n');
  });
`;

/**
 * A process running as the owner (uid and gid, no other groups) that looks
 * at paths for us, started on first use and kept: one per helper, so an
 * export costs a pipe round trip, not a process start.
 */
class OwnerProcess {
  private child: ChildProcessWithoutNullStreams | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly who: ExportIdentity) {}

  look(paths: readonly string[]): Promise<(SeenPath | null)[]> {
    const next = this.queue.then(() => this.ask(paths));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private start(): ChildProcessWithoutNullStreams {
    const env: Record<string, string> = {};
    if (process.env.ELECTRON_RUN_AS_NODE) env.ELECTRON_RUN_AS_NODE = '1';
    const child = spawn(process.execPath, ['-e', LOOK_SCRIPT], {
      uid: this.who.uid,
      gid: this.who.gid,
      env,
      cwd: '/',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.on('exit', () => {
      if (this.child === child) this.child = null;
    });
    child.on('error', () => undefined);
    // The helper may exit without waiting for it; the child ends when its stdin closes.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    child.stdout.setEncoding('utf8');
    return child;
  }

  private ask(paths: readonly string[]): Promise<(SeenPath | null)[]> {
    const child = (this.child ??= this.start());
    return new Promise((resolve, reject) => {
      let buffer = '';
      const fail = (why: string) => {
        cleanup();
        child.kill();
        reject(new Error(`could not look at the paths as uid ${this.who.uid}: ${why}`));
      };
      const onData = (data: string) => {
        buffer += data;
        const nl = buffer.indexOf('\n');
        if (nl < 0) return;
        cleanup();
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(buffer.slice(0, nl));
        } catch {
          // an unreadable answer is handled as a wrong one below
        }
        if (Array.isArray(parsed) && parsed.length === paths.length) {
          resolve(parsed as (SeenPath | null)[]);
        } else fail('unexpected answer');
      };
      const onExit = () => fail('the process ended');
      const timer = setTimeout(() => fail('no answer within 15 s'), 15_000);
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
      };
      child.stdout.on('data', onData);
      child.once('exit', onExit);
      child.stdin.write(`${JSON.stringify(paths)}\n`);
    });
  }
}

const ownerProcesses = new Map<string, OwnerProcess>();

/**
 * Resolves and inspects `paths` as the owner would: through a process
 * running with the owner's uid and gid when we are someone else (root), so
 * the answer says nothing about folders the owner cannot see.
 */
export const lookAsOwner: OwnerLook = (paths, who) => {
  if (process.getuid?.() === who.uid || paths.length === 0) return lookHere(paths);
  const key = `${who.uid}:${who.gid}`;
  let owner = ownerProcesses.get(key);
  if (!owner) ownerProcesses.set(key, (owner = new OwnerProcess(who)));
  return owner.look(paths);
};

/** Folders of the system: never exported, whoever owns them. */
export const SYSTEM_FOLDERS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/usr',
  '/var',
  '/Applications',
  '/Library',
  '/System',
  '/cores',
  '/private',
];

/** Why the owner may not export `seen` (as asked for at `asked`), or null. */
export function exportRefusal(
  asked: string,
  seen: SeenPath | null,
  who: ExportIdentity,
): string | null {
  if (seen === null) return `${asked} does not exist or you cannot see it`;
  const system = SYSTEM_FOLDERS.find((f) => seen.real === f || seen.real.startsWith(`${f}/`));
  if (seen.real === '/' || system) {
    return `${asked} is ${seen.real === asked ? '' : `${seen.real}, `}a system folder; Dusty never exports one, whoever owns it`;
  }
  if (!seen.isDirectory) return `${asked} is not a directory`;
  if (seen.uid !== who.uid)
    return `${asked} is not yours (it belongs to uid ${seen.uid}); only your own folders are exported`;
  const shape = exportPathProblem(seen.real);
  if (shape) return `${asked} resolves to ${seen.real}: ${shape}`;
  return null;
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
  look: OwnerLook = lookAsOwner,
): Promise<string[]> {
  if (entries.length > MAX_ENTRIES) throw new Error(`more than ${MAX_ENTRIES} entries`);
  const seen = new Set<string>();
  const lines: string[] = [];
  const checked: ExportsEntry[] = [];
  for (const [i, entry] of entries.entries()) {
    const parsed = ExportsEntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`entry ${i}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
    }
    if (who.platform === 'darwin' && parsed.data.client.includes(':')) {
      throw new Error(`entry ${i}: macOS exports take IPv4 clients only`);
    }
    checked.push(parsed.data);
  }
  const looks = await look(
    checked.map((e) => e.path),
    who,
  );
  for (const [i, entry] of checked.entries()) {
    const seenPath = looks[i] ?? null;
    const refusal = exportRefusal(entry.path, seenPath, who);
    if (refusal || !seenPath) throw new Error(`entry ${i}: ${refusal ?? 'unreadable'}`);
    // The resolved path is what is exported: a link swapped later changes nothing.
    const resolved = { path: path.normalize(seenPath.real), client: entry.client };
    const key = `${resolved.path} ${resolved.client}`;
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(exportsLine(resolved, who));
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
  options: RewriteOptions & { look?: OwnerLook } = {},
): Promise<SectionChange> {
  return applySectionLines(filePath, await exportsLines(entries, who, options.look), options);
}
