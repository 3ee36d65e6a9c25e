/**
 * The privileged helper: a root process that does a handful of named things
 * for one person (its owner), on a Unix socket only that person can reach.
 * Every request is validated again here; no request names a command to run
 * or a file to write: the files are fixed when the helper starts.
 *
 * The parts: options.ts (configuration), listen.ts (the socket),
 * connection.ts with line-reader.ts (one client), dispatch.ts (one request)
 * and operations.ts (what each operation does).
 */
import { realpathSync } from 'node:fs';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { MAX_LINE_BYTES } from '../../src-shared/helper-protocol.js';
import { recoverInterruptedWrite } from '../platform/atomic-file.js';
import { ExecRunner } from '../platform/command-runner.js';
import { checkTrustedFolders } from '../platform/trusted-path.js';
import { startNativeEngine } from '../platform/native-engine.js';
import { reloadNfsExports } from '../platform/nfs-server.js';
import { homeOfUid, TrustStore, trustStoreOptions } from '../platform/trust-store.js';
import { dustyVersion } from '../version.js';
import { AuditLog } from './audit.js';
import { serveConnection } from './connection.js';
import { createDispatcher } from './dispatch.js';
import { clearStaleSocket, listenOwned } from './listen.js';
import type { HelperContext, OperationTable } from './operations.js';
import { OPERATIONS } from './operations.js';
import { DEFAULT_UNIT_FILES, primaryGidOf } from './options.js';
import type { ServeOptions } from './options.js';
import type { PeerIdentifier } from './peer.js';
import { LinuxPeerIdentifier, NoPeerIdentifier, peerAllowed } from './peer.js';

export { DEFAULT_UNIT_FILES, helperOptionsFromEnv, primaryGidOf } from './options.js';
export type { ServeOptions } from './options.js';

/** A running helper. */
export interface RunningHelper {
  socketPath: string;
  /** Settles when the helper has stopped listening (after `close` or `uninstall`). */
  closed: Promise<void>;
  close(): Promise<void>;
}

/** A file's path, resolved once now: from here on a link placed at it is refused, not followed. */
function fixedPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * Refuses to start unless the folders of the files root will write (and of
 * the socket) are root's alone, all the way up: a folder the owner could
 * write would let them swap the file for a link to anything.
 */
async function checkFolders(ctx: HelperContext, auditLog: string): Promise<void> {
  const me = process.getuid?.() ?? 0;
  const socketDir = path.dirname(ctx.socketPath);
  await mkdir(socketDir, { recursive: true, mode: 0o755 });
  const socketInfo = await lstat(socketDir);
  if (!socketInfo.isDirectory()) throw new Error(`${socketDir} is not a directory (a symlink?)`);
  for (const dir of [
    socketDir,
    path.dirname(ctx.hostsFile),
    path.dirname(ctx.exportsFile),
    path.dirname(path.resolve(auditLog)),
  ]) {
    checkTrustedFolders(dir, { owners: [me] });
  }
}

/** The operation context for `options`, with the files and socket resolved. */
function contextFor(options: ServeOptions, requestStop: () => void): HelperContext {
  const runner = options.runner ?? new ExecRunner();
  const programs = options.programs ? { table: options.programs } : {};
  const ownerGid = options.ownerGid ?? primaryGidOf(options.ownerUid);
  const home = homeOfUid(options.ownerUid);
  const trust = new TrustStore(
    trustStoreOptions({
      platform: process.platform,
      runner,
      storeDir: options.trustStoreDir,
      nssHomes: options.nssHomes ?? (home ? [home] : []),
      // certutil runs as the owner, so their browser profiles stay theirs.
      nssUser: process.getuid?.() === 0 ? { uid: options.ownerUid, gid: ownerGid } : undefined,
      programs,
    }),
  );
  return {
    ownerUid: options.ownerUid,
    ownerGid,
    trust,
    hostsFile: fixedPath(options.hostsFile),
    exportsFile: fixedPath(options.exportsFile),
    socketPath: path.resolve(options.socketPath),
    unitFiles: (options.unitFiles ?? DEFAULT_UNIT_FILES).map((f) => path.resolve(f)),
    version: dustyVersion(),
    platform: process.platform,
    audit: new AuditLog(options.auditLog),
    startEngine: options.startEngine ?? (() => startNativeEngine({ runner, programs })),
    reloadExports:
      options.reloadExports ?? ((file: string) => reloadNfsExports(file, { runner, programs })),
    requestStop,
  };
}

/** The caller's uid when it is the owner or root, else null; any doubt is null. */
function authoriser(
  peers: PeerIdentifier,
  owner: number,
): (socket: net.Socket) => Promise<number | null> {
  if (peers instanceof NoPeerIdentifier) return async () => owner;
  return (socket) =>
    peers.identify(socket).then(
      (creds) => (peerAllowed(creds, owner) ? (creds?.processes[0]?.effectiveUid ?? null) : null),
      () => null,
    );
}

/**
 * Starts the helper and resolves once it listens. Recovers an interrupted
 * in-place write first, removes a stale socket (refusing if another helper
 * answers on it), and creates the socket mode 0600, owned by the owner.
 */
export async function serveHelper(
  options: ServeOptions,
  table: OperationTable = OPERATIONS,
): Promise<RunningHelper> {
  const owner = options.ownerUid;
  if (!Number.isInteger(owner) || owner < 0) throw new Error(`owner uid ${owner} is not a uid`);
  let stopRequested = false;
  const ctx = contextFor(options, () => (stopRequested = true));
  const log = options.log ?? ((m: string) => process.stderr.write(`dusty-helper: ${m}\n`));
  const peers =
    options.peerIdentifier ??
    (process.platform === 'linux'
      ? new LinuxPeerIdentifier(undefined, options.programs ? { table: options.programs } : {})
      : new NoPeerIdentifier());

  for (const file of [ctx.hostsFile, ctx.exportsFile]) {
    if (await recoverInterruptedWrite(file)) log(`finished an interrupted write of ${file}`);
  }
  await checkFolders(ctx, options.auditLog);
  await clearStaleSocket(ctx.socketPath);

  const connections = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: false, pauseOnConnect: true });
  server.maxConnections = options.maxConnections ?? 1024;
  const connectionDeps = {
    authorise: authoriser(peers, owner),
    refuse: async () => {
      await ctx.audit.write({
        uid: null,
        op: 'connect',
        outcome: 'refused: the caller is not the owner or root',
      });
      return {
        id: null,
        ok: false as const,
        error: {
          code: 'forbidden' as const,
          message: `only uid ${owner} and root may use this helper`,
        },
      };
    },
    answer: createDispatcher(ctx, table),
    afterAnswer: () => {
      if (!stopRequested) return;
      stopRequested = false;
      // Let the answer reach the caller before the connections go.
      setTimeout(() => void close(), 50);
    },
    idleMs: options.idleTimeoutMs ?? 30_000,
    maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
  };
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, connectionDeps);
  });

  await listenOwned(server, ctx.socketPath, owner, ctx.ownerGid);
  server.on('error', (err) => log(`server error: ${err.message}`));
  log(`listening on ${ctx.socketPath} for uid ${owner}`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of connections) socket.destroy();
    }).then(async () => {
      await unlink(ctx.socketPath).catch(() => undefined);
      resolveClosed();
    });
    return closing;
  };
  return { socketPath: ctx.socketPath, closed, close };
}
