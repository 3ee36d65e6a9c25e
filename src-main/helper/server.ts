/**
 * The privileged helper: a root process that does a handful of named things
 * for one person (its owner), on a Unix socket only that person can reach.
 * Every request is validated again here; no request names a command to run
 * or a file to write: the files are fixed when the helper starts.
 */
import { readFileSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { z } from 'zod';
import {
  DEFAULT_HELPER_SOCKET,
  HELPER_PROTOCOL_VERSION,
  HelperParamsSchemas,
  HelperRequestEnvelopeSchema,
  MAX_LINE_BYTES,
} from '../../src-shared/helper-protocol.js';
import type {
  HelperErrorCode,
  HelperOp,
  HelperResponse,
  HelperResult,
} from '../../src-shared/helper-protocol.js';
import { recoverInterruptedWrite } from '../platform/atomic-file.js';
import type { CommandRunner } from '../platform/command-runner.js';
import { ExecRunner } from '../platform/command-runner.js';
import { applyExportsSection } from '../platform/exports-file.js';
import { applyHostsSection, applySectionLines, SectionError } from '../platform/hosts-file.js';
import type { SectionChange } from '../platform/hosts-file.js';
import { startNativeEngine } from '../platform/native-engine.js';
import type { EngineStartOutcome } from '../platform/native-engine.js';
import { reloadNfsExports } from '../platform/nfs-server.js';
import type { NfsReloadOutcome } from '../platform/nfs-server.js';
import { dustyVersion } from '../version.js';
import { AuditLog } from './audit.js';
import type { PeerIdentifier } from './peer.js';
import { LinuxPeerIdentifier, NoPeerIdentifier, peerAllowed } from './peer.js';

/** Unit and plist files `dusty setup` writes; `uninstall` removes these. */
export const DEFAULT_UNIT_FILES = [
  '/etc/systemd/system/dusty-helper.service',
  '/Library/LaunchDaemons/com.dusty.helper.plist',
];

/** How the helper is configured when it starts. Nothing here comes from a request. */
export interface ServeOptions {
  socketPath: string;
  /** The one unprivileged user allowed to connect (root always may). */
  ownerUid: number;
  /** Group for the socket and for squashed NFS access; the owner's primary group by default. */
  ownerGid?: number;
  hostsFile: string;
  exportsFile: string;
  auditLog: string;
  /** Files `uninstall` removes besides the socket. */
  unitFiles?: string[];
  /** Defaults to the /proc-based check on Linux; elsewhere the socket mode is the only guard. */
  peerIdentifier?: PeerIdentifier;
  idleTimeoutMs?: number;
  maxLineBytes?: number;
  maxConnections?: number;
  runner?: CommandRunner;
  startEngine?: () => Promise<EngineStartOutcome>;
  reloadExports?: (exportsFile: string) => Promise<NfsReloadOutcome>;
  log?: (message: string) => void;
}

/** A running helper. */
export interface RunningHelper {
  socketPath: string;
  /** Settles when the helper has stopped listening (after `close` or `uninstall`). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** Reads the helper's configuration from the environment its unit gives it. */
export function helperOptionsFromEnv(
  env: Record<string, string | undefined>,
  ownerUid: number,
): ServeOptions {
  return {
    socketPath: env.DUSTY_SOCKET_PATH || DEFAULT_HELPER_SOCKET,
    ownerUid,
    hostsFile: env.DUSTY_HOSTS_FILE || '/etc/hosts',
    exportsFile: env.DUSTY_EXPORTS_FILE || '/etc/exports',
    auditLog: env.DUSTY_HELPER_AUDIT_LOG || '/var/log/dusty-helper.log',
    unitFiles: env.DUSTY_HELPER_UNIT_FILES
      ? env.DUSTY_HELPER_UNIT_FILES.split(':').filter(Boolean)
      : DEFAULT_UNIT_FILES,
    idleTimeoutMs: env.DUSTY_HELPER_IDLE_MS ? Number(env.DUSTY_HELPER_IDLE_MS) : undefined,
  };
}

/** The primary group of `uid` from /etc/passwd, or `uid` itself when absent. */
export function primaryGidOf(uid: number, passwd = '/etc/passwd'): number {
  try {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[2] === String(uid) && fields[3] && /^\d+$/.test(fields[3]))
        return Number(fields[3]);
    }
  } catch {
    // no passwd file: fall through
  }
  return uid;
}

class OpError extends Error {
  constructor(
    readonly code: HelperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function describeIssues(error: z.ZodError, input: unknown, prefix: string): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      let value: unknown = input;
      for (const key of issue.path) {
        value =
          typeof value === 'object' && value !== null
            ? (value as Record<PropertyKey, unknown>)[key]
            : undefined;
      }
      const shown = typeof value === 'string' ? ` (got ${JSON.stringify(value).slice(0, 80)})` : '';
      const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${where || 'request'}: ${issue.message}${shown}`;
    })
    .join('; ');
}

/** Refuses unless the socket's directory is a real directory only root can write to. */
async function checkSocketDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory (a symlink?)`);
  const me = process.getuid?.() ?? 0;
  if (info.uid !== 0 && info.uid !== me)
    throw new Error(`${dir} belongs to uid ${info.uid}, not root`);
  const othersWrite = (info.mode & 0o022) !== 0;
  const sticky = (info.mode & 0o1000) !== 0;
  if (othersWrite && !sticky) throw new Error(`${dir} is writable by others`);
}

/** Removes a socket left by a crash; refuses when a live helper still answers on it. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  let info;
  try {
    info = await lstat(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!info.isSocket())
    throw new Error(`${socketPath} exists and is not a socket; not touching it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(true);
    }, 2000);
    probe.once('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT');
    });
  });
  if (live) throw new Error(`another helper is answering on ${socketPath}`);
  await unlink(socketPath);
}

/**
 * Starts the helper and resolves once it listens. Recovers an interrupted
 * in-place write first, removes a stale socket (refusing if another helper
 * answers on it), and creates the socket mode 0600, owned by the owner.
 */
export async function serveHelper(options: ServeOptions): Promise<RunningHelper> {
  const socketPath = path.resolve(options.socketPath);
  const owner = options.ownerUid;
  if (!Number.isInteger(owner) || owner < 0) throw new Error(`owner uid ${owner} is not a uid`);
  const ownerGid = options.ownerGid ?? primaryGidOf(owner);
  const hostsFile = path.resolve(options.hostsFile);
  const exportsFile = path.resolve(options.exportsFile);
  const unitFiles = (options.unitFiles ?? DEFAULT_UNIT_FILES).map((f) => path.resolve(f));
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  const runner = options.runner ?? new ExecRunner();
  const peers =
    options.peerIdentifier ??
    (process.platform === 'linux' ? new LinuxPeerIdentifier() : new NoPeerIdentifier());
  const peerCheckRequired = !(peers instanceof NoPeerIdentifier);
  const audit = new AuditLog(options.auditLog);
  const log = options.log ?? ((m: string) => process.stderr.write(`dusty-helper: ${m}\n`));
  const startEngine = options.startEngine ?? (() => startNativeEngine({ runner }));
  const reloadExports =
    options.reloadExports ?? ((file: string) => reloadNfsExports(file, { runner }));
  const version = dustyVersion();

  for (const file of [hostsFile, exportsFile]) {
    if (await recoverInterruptedWrite(file)) log(`finished an interrupted write of ${file}`);
  }
  await checkSocketDir(path.dirname(socketPath));
  await clearStaleSocket(socketPath);

  // Mutating operations run one at a time, in arrival order.
  let opQueue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const next = opQueue.then(task, task);
    opQueue = next.catch(() => undefined);
    return next;
  };

  const fileResult = (file: string, change: SectionChange) => ({
    changed: change.changed,
    file,
    entries: change.after.length,
  });

  const auditChange = (uid: number, op: string, file: string, change: SectionChange) =>
    audit.write({
      uid,
      op,
      file,
      before: change.before,
      after: change.after,
      outcome: change.changed
        ? `changed ${file}${change.inPlace ? ' (in place)' : ''}`
        : 'no change',
    });

  const fileOp = async <T>(task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (err) {
      if (err instanceof OpError) throw err;
      if (err instanceof SectionError) {
        throw new OpError(
          'section_garbled',
          `${err.message}; fix the file by hand, nothing was changed`,
        );
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code === 'string') throw new OpError('file_error', (err as Error).message);
      throw new OpError('invalid_params', (err as Error).message);
    }
  };

  let stopRequested = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));

  const handlers: {
    [Op in HelperOp]: (params: unknown, uid: number) => Promise<HelperResult<Op>>;
  } = {
    version: async () => ({
      version,
      protocol: HELPER_PROTOCOL_VERSION,
      platform: process.platform,
      pid: process.pid,
      ownerUid: owner,
      hostsFile,
      exportsFile,
    }),
    'hosts.apply': (params, uid) =>
      serially(async () => {
        const { entries } = HelperParamsSchemas['hosts.apply'].parse(params);
        const change = await fileOp(() => applyHostsSection(hostsFile, entries));
        await auditChange(uid, 'hosts.apply', hostsFile, change);
        return fileResult(hostsFile, change);
      }),
    'hosts.clear': (_params, uid) =>
      serially(async () => {
        const change = await fileOp(() => applySectionLines(hostsFile, []));
        await auditChange(uid, 'hosts.clear', hostsFile, change);
        return fileResult(hostsFile, change);
      }),
    'exports.apply': (params, uid) =>
      serially(async () => {
        const { entries } = HelperParamsSchemas['exports.apply'].parse(params);
        const change = await fileOp(() =>
          applyExportsSection(exportsFile, entries, {
            uid: owner,
            gid: ownerGid,
            platform: process.platform,
          }),
        );
        await auditChange(uid, 'exports.apply', exportsFile, change);
        return { ...fileResult(exportsFile, change), ...(await reloadExports(exportsFile)) };
      }),
    'exports.clear': (_params, uid) =>
      serially(async () => {
        const change = await fileOp(() => applySectionLines(exportsFile, []));
        await auditChange(uid, 'exports.clear', exportsFile, change);
        return { ...fileResult(exportsFile, change), ...(await reloadExports(exportsFile)) };
      }),
    'engine.start': (_params, uid) =>
      serially(async () => {
        if (process.platform !== 'linux') {
          throw new OpError(
            'unsupported',
            'on this platform the engine runs in a VM that Dusty starts as you, not as root',
          );
        }
        try {
          const outcome = await startEngine();
          await audit.write({ uid, op: 'engine.start', outcome: outcome.detail });
          return outcome;
        } catch (err) {
          throw new OpError('engine_error', (err as Error).message);
        }
      }),
    uninstall: (_params, uid) =>
      serially(async () => {
        const removed: string[] = [];
        const problems: string[] = [];
        for (const file of [hostsFile, exportsFile]) {
          try {
            const change = await applySectionLines(file, []);
            await auditChange(uid, 'uninstall', file, change);
            if (change.changed) removed.push(`Dusty's section of ${file}`);
          } catch (err) {
            problems.push(`${file}: ${(err as Error).message}`);
          }
        }
        await reloadExports(exportsFile).catch(() => undefined);
        for (const file of unitFiles) {
          try {
            await unlink(file);
            removed.push(file);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
              problems.push(`${file}: ${(err as Error).message}`);
          }
        }
        await unlink(socketPath).then(
          () => removed.push(socketPath),
          () => undefined,
        );
        stopRequested = true;
        if (problems.length > 0) {
          throw new OpError('file_error', `uninstalled with problems: ${problems.join('; ')}`);
        }
        return { removed };
      }),
  };

  const answer = async (line: string, uid: number): Promise<HelperResponse> => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return {
        id: null,
        ok: false,
        error: { code: 'bad_json', message: 'the request is not JSON' },
      };
    }
    const rawId =
      typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
    const id =
      (typeof rawId === 'string' && rawId.length <= 128) ||
      (typeof rawId === 'number' && Number.isSafeInteger(rawId))
        ? rawId
        : null;
    const envelope = HelperRequestEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      const message = describeIssues(envelope.error, raw, '');
      await audit.write({ uid, op: 'request', outcome: `refused: ${message}` });
      return { id, ok: false, error: { code: 'bad_request', message } };
    }
    const { op, params } = envelope.data;
    const parsed = HelperParamsSchemas[op].safeParse(params);
    if (!parsed.success) {
      const message = describeIssues(parsed.error, params, 'params');
      await audit.write({ uid, op, outcome: `refused: ${message}` });
      return { id, ok: false, error: { code: 'invalid_params', message } };
    }
    try {
      const result = await handlers[op](parsed.data, uid);
      return { id, ok: true, result };
    } catch (err) {
      const opError =
        err instanceof OpError
          ? err
          : new OpError('internal', (err as Error).message ?? String(err));
      const verdict = opError.code === 'invalid_params' ? 'refused' : 'failed';
      await audit.write({ uid, op, outcome: `${verdict}: ${opError.message}` });
      return { id, ok: false, error: { code: opError.code, message: opError.message } };
    }
  };

  const connections = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: false, pauseOnConnect: true });
  server.maxConnections = options.maxConnections ?? 1024;

  const send = (socket: net.Socket, response: HelperResponse): void => {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(response)}\n`);
  };

  const stopAfterUninstall = (): void => {
    if (!stopRequested) return;
    stopRequested = false;
    // Let the answer reach the caller before the connections go.
    setTimeout(() => void close(), 50);
  };

  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);

    // A generous bound on the peer lookup itself, so a stuck lookup cannot pin the socket.
    socket.on('timeout', () => socket.destroy());
    socket.setTimeout(60_000);
    const authorised: Promise<number | null> = peerCheckRequired
      ? peers.identify(socket).then(
          (creds) =>
            peerAllowed(creds, owner) ? (creds?.processes[0]?.effectiveUid ?? null) : null,
          () => null,
        )
      : Promise.resolve(owner);

    let chunks: Buffer[] = [];
    let size = 0;
    let inFlight = 0;
    let queue: Promise<void> = Promise.resolve();
    let done = false;

    const hangUp = (response: HelperResponse): void => {
      done = true;
      chunks = [];
      send(socket, response);
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    };

    const enqueue = (line: Buffer): void => {
      inFlight += 1;
      // Waiting for our answer is not idling: no idle clock while a request is in hand.
      if (inFlight === 1 && !done) socket.setTimeout(0);
      if (inFlight > 16) socket.pause();
      queue = queue
        .then(async () => {
          const uid = await authorised;
          if (uid === null || done) return;
          const text = line.toString('utf8').replace(/\r$/, '');
          if (text.trim() === '') return;
          send(socket, await answer(text, uid));
          stopAfterUninstall();
        })
        .catch((err: unknown) => {
          send(socket, {
            id: null,
            ok: false,
            error: { code: 'internal', message: String((err as Error)?.message ?? err) },
          });
        })
        .finally(() => {
          inFlight -= 1;
          if (inFlight === 0 && !done) socket.setTimeout(idleMs);
          if (inFlight <= 4 && !done) socket.resume();
        });
    };

    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      let start = 0;
      let nl = chunk.indexOf(0x0a, start);
      while (nl >= 0) {
        const piece = chunk.subarray(start, nl);
        if (size + piece.length > maxLine) {
          hangUp(lineTooLong(maxLine));
          return;
        }
        enqueue(Buffer.concat([...chunks, piece]));
        chunks = [];
        size = 0;
        start = nl + 1;
        nl = chunk.indexOf(0x0a, start);
      }
      const rest = chunk.subarray(start);
      if (size + rest.length > maxLine) {
        hangUp(lineTooLong(maxLine));
        return;
      }
      if (rest.length > 0) {
        chunks.push(Buffer.from(rest));
        size += rest.length;
      }
    });

    void authorised.then(async (uid) => {
      if (uid !== null) {
        // The idle clock starts once the caller is known: the lookup is our time, not theirs.
        socket.setTimeout(idleMs);
        socket.resume();
        return;
      }
      await audit.write({
        uid: null,
        op: 'connect',
        outcome: 'refused: the caller is not the owner or root',
      });
      hangUp({
        id: null,
        ok: false,
        error: { code: 'forbidden', message: `only uid ${owner} and root may use this helper` },
      });
    });
  });

  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previousUmask);
  }
  await chown(socketPath, owner, ownerGid);
  await chmod(socketPath, 0o600);
  server.on('error', (err) => log(`server error: ${err.message}`));
  log(`listening on ${socketPath} for uid ${owner}`);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of connections) socket.destroy();
    }).then(async () => {
      await unlink(socketPath).catch(() => undefined);
      resolveClosed();
    });
    return closing;
  };

  return { socketPath, closed, close };
}

function lineTooLong(max: number): HelperResponse {
  return {
    id: null,
    ok: false,
    error: { code: 'line_too_long', message: `a request line is longer than ${max} bytes` },
  };
}
