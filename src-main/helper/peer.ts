/**
 * Who is on the other end of a Unix socket connection, on Linux.
 *
 * Node does not expose SO_PEERCRED. The kernel does publish each Unix
 * socket's peer inode through sock_diag, which `ss -x` reads; /proc/net/unix
 * alone lists inodes but not who is paired with whom. So: our accepted
 * socket's inode comes from fstat on its fd, one `ss -xpn` run (batched over
 * every connection waiting at that moment) gives the peer inode and the
 * processes ss saw holding it, and each such process is confirmed by
 * reading its /proc/PID/fd link back (ss output is text a client can
 * partly shape, through its socket path or process name, so nothing in it is
 * believed unconfirmed). The uids come from /proc/PID/status, not from the
 * owner of /proc/PID, which a process can make root-owned via
 * PR_SET_DUMPABLE. Any doubt yields null, and the server refuses.
 */
import { execFile } from 'node:child_process';
import { fstat } from 'node:fs';
import { readFile, readdir, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { ProgramLookup } from '../platform/system-programs.js';
import { trustedProgram } from '../platform/system-programs.js';

/** The processes holding the client end, with their real and effective uids. */
export interface PeerCredentials {
  processes: { pid: number; realUid: number; effectiveUid: number }[];
}

/** Finds the credentials of a connected socket's peer; null when unsure. */
export interface PeerIdentifier {
  identify(socket: Socket): Promise<PeerCredentials | null>;
}

/** One line of `ss -xpn`. */
export interface SsUnixLine {
  localInode: number;
  peerInode: number;
  holders: { pid: number; fd: number }[];
}

const SS_LINE =
  /^(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(.*?)\s+(\d+)\s+(\S+)\s+(\d+|\*)(?:\s+(users:\(.*\)))?\s*$/;

/** Parses `ss -xpn` output; lines that do not fit are skipped. */
export function parseSsUnix(output: string): SsUnixLine[] {
  const lines: SsUnixLine[] = [];
  for (const raw of output.split('\n')) {
    const m = SS_LINE.exec(raw);
    if (!m) continue;
    const localInode = Number(m[6]);
    const peerInode = m[8] === '*' ? 0 : Number(m[8]);
    const holders = [...(m[9] ?? '').matchAll(/pid=(\d+),fd=(\d+)/g)].map((h) => ({
      pid: Number(h[1]),
      fd: Number(h[2]),
    }));
    lines.push({ localInode, peerInode, holders });
  }
  return lines;
}

/** Reads real and effective uid from a /proc/PID/status text. */
export function parseStatusUids(status: string): { realUid: number; effectiveUid: number } | null {
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  return m ? { realUid: Number(m[1]), effectiveUid: Number(m[2]) } : null;
}

function socketFd(socket: Socket): number | null {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : null;
}

function fstatIno(fd: number): Promise<number | null> {
  return new Promise((resolve) => {
    fstat(fd, (err, st) => resolve(err ? null : st.ino));
  });
}

async function holdsSocket(pid: number, fd: number, inode: number): Promise<boolean> {
  try {
    return (await readlink(`/proc/${pid}/fd/${fd}`)) === `socket:[${inode}]`;
  } catch {
    return false;
  }
}

/** Every (pid, fd) holding one of `inodes`, by walking /proc (the slow path). */
async function scanProcFor(inodes: Set<number>): Promise<Map<number, Holder[]>> {
  const found = new Map<number, Holder[]>();
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
      await Promise.all(
        fds.map(async (fd) => {
          const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
          const m = /^socket:\[(\d+)\]$/.exec(link);
          if (!m || !inodes.has(Number(m[1]))) return;
          const list = found.get(Number(m[1])) ?? [];
          list.push({ pid: Number(pid), fd: Number(fd) });
          found.set(Number(m[1]), list);
        }),
      );
    }),
  );
  return found;
}

type Holder = { pid: number; fd: number };

interface Waiter {
  inode: number;
  attempts: number;
  resolve: (creds: PeerCredentials | null) => void;
}

/** Linux peer lookup through `ss -xpn` and /proc, batched; see the module comment. */
export class LinuxPeerIdentifier implements PeerIdentifier {
  private waiting: Waiter[] = [];
  private running = false;
  private readonly ss: string | null;

  /** Throws when `ss` is present but not root's alone: the helper must not start on it. */
  constructor(ssPath?: string, programs: ProgramLookup = {}) {
    this.ss = ssPath ?? trustedProgram('ss', programs);
  }

  async identify(socket: Socket): Promise<PeerCredentials | null> {
    const fd = socketFd(socket);
    if (fd === null || this.ss === null) return null;
    const inode = await fstatIno(fd);
    if (inode === null) return null;
    return new Promise((resolve) => {
      this.waiting.push({ inode, attempts: 0, resolve });
      this.kick();
    });
  }

  private kick(): void {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const batch = this.waiting;
    this.waiting = [];
    void this.resolveBatch(batch)
      .catch(() => batch.forEach((w) => w.resolve(null)))
      .finally(() => {
        this.running = false;
        this.kick();
      });
  }

  private runSs(): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.ss ?? 'ss',
        ['-xpn'],
        { maxBuffer: 256 * 1024 * 1024, timeout: 10_000, env: { LC_ALL: 'C' } },
        (err, stdout) => (err ? reject(new Error(err.message)) : resolve(stdout)),
      );
    });
  }

  private async resolveBatch(batch: Waiter[]): Promise<void> {
    const lines = parseSsUnix(await this.runSs());
    const byLocal = new Map<number, SsUnixLine[]>();
    for (const line of lines) {
      const list = byLocal.get(line.localInode) ?? [];
      list.push(line);
      byLocal.set(line.localInode, list);
    }
    const needScan = new Set<number>();
    const pending: { waiter: Waiter; peer: number; holders: Holder[] }[] = [];
    for (const waiter of batch) {
      const mine = byLocal.get(waiter.inode) ?? [];
      if (mine.length === 0 && waiter.attempts < 2) {
        // The socket may be younger than this ss run; try once more.
        waiter.attempts += 1;
        this.waiting.push(waiter);
        continue;
      }
      const peer = mine.length === 1 ? mine[0]?.peerInode : undefined;
      const theirs = peer ? (byLocal.get(peer) ?? []) : [];
      if (!peer || theirs.length > 1 || (theirs[0] && theirs[0].peerInode !== waiter.inode)) {
        waiter.resolve(null);
        continue;
      }
      const claimed = theirs[0]?.holders ?? [];
      const confirmed = await Promise.all(claimed.map((h) => holdsSocket(h.pid, h.fd, peer)));
      const holders = claimed.filter((_, i) => confirmed[i]);
      if (holders.length === 0 || confirmed.includes(false)) needScan.add(peer);
      pending.push({ waiter, peer, holders });
    }
    const scanned = needScan.size > 0 ? await scanProcFor(needScan) : new Map<number, Holder[]>();
    await Promise.all(
      pending.map(async ({ waiter, peer, holders }) => {
        const all = needScan.has(peer) ? [...holders, ...(scanned.get(peer) ?? [])] : holders;
        waiter.resolve(all.length === 0 ? null : await credentialsOf(all, peer));
      }),
    );
  }
}

/** Reads the uids of each holder; null if any holder is gone or no longer holds the socket. */
async function credentialsOf(holders: Holder[], inode: number): Promise<PeerCredentials | null> {
  const byPid = new Map<number, Holder>();
  for (const h of holders) byPid.set(h.pid, h);
  const processes = await Promise.all(
    [...byPid.values()].map(async ({ pid, fd }) => {
      const uids = parseStatusUids(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''));
      // Checked again after reading, so a pid recycled in between is not believed.
      if (!uids || !(await holdsSocket(pid, fd, inode))) return null;
      return { pid, ...uids };
    }),
  );
  return processes.every((p) => p !== null) ? { processes } : null;
}

/** For platforms where Node can learn nothing about the peer: the socket's mode is the guard. */
export class NoPeerIdentifier implements PeerIdentifier {
  async identify(): Promise<PeerCredentials | null> {
    return null;
  }
}

/** True when every process holding the peer end runs as `owner` or root, really and effectively. */
export function peerAllowed(creds: PeerCredentials | null, owner: number): boolean {
  if (!creds || creds.processes.length === 0) return false;
  return creds.processes.every(
    (p) =>
      (p.realUid === owner || p.realUid === 0) &&
      (p.effectiveUid === owner || p.effectiveUid === 0),
  );
}
