/**
 * How the helper is configured when it starts. Nothing here comes from a
 * request: the files it edits and the socket it listens on are fixed now.
 */
import { readFileSync } from 'node:fs';
import { HELPER_DEFAULTS, defaultHelperUnitFile } from '../../src-shared/helper-protocol.js';
import type { CommandRunner } from '../platform/command-runner.js';
import type { EngineStartOutcome } from '../platform/native-engine.js';
import type { NfsReloadOutcome } from '../platform/nfs-server.js';
import type { PeerIdentifier } from './peer.js';
import type { ProgramTable } from '../platform/system-programs.js';

/** Unit and plist files `dusty setup` writes; `uninstall` removes these. */
export const DEFAULT_UNIT_FILES = [defaultHelperUnitFile('linux'), defaultHelperUnitFile('darwin')];

/** How the helper is configured when it starts. */
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
  /** Where the programs root runs are (tests point this at a temporary root-owned folder). */
  programs?: ProgramTable;
  startEngine?: () => Promise<EngineStartOutcome>;
  reloadExports?: (exportsFile: string) => Promise<NfsReloadOutcome>;
  /** A throw-away CA store for `trust.*` (tests); the machine's own when absent. */
  trustStoreDir?: string | undefined;
  /** Homes whose browser NSS databases get the CA; the owner's (from /etc/passwd) when absent. */
  nssHomes?: string[] | undefined;
  log?: (message: string) => void;
}

/** Reads the helper's configuration from the environment its unit gives it. */
export function helperOptionsFromEnv(
  env: Record<string, string | undefined>,
  ownerUid: number,
): ServeOptions {
  return {
    socketPath: env.DUSTY_SOCKET_PATH || HELPER_DEFAULTS.socketPath,
    ownerUid,
    hostsFile: env.DUSTY_HOSTS_FILE || HELPER_DEFAULTS.hostsFile,
    exportsFile: env.DUSTY_EXPORTS_FILE || HELPER_DEFAULTS.exportsFile,
    auditLog: env.DUSTY_HELPER_AUDIT_LOG || HELPER_DEFAULTS.auditLog,
    unitFiles: env.DUSTY_HELPER_UNIT_FILES
      ? env.DUSTY_HELPER_UNIT_FILES.split(':').filter(Boolean)
      : DEFAULT_UNIT_FILES,
    idleTimeoutMs: env.DUSTY_HELPER_IDLE_MS ? Number(env.DUSTY_HELPER_IDLE_MS) : undefined,
    ...(env.DUSTY_HELPER_PROGRAMS ? { programs: programTable(env.DUSTY_HELPER_PROGRAMS) } : {}),
    trustStoreDir: env.DUSTY_TRUST_STORE_DIR || undefined,
    nssHomes: env.DUSTY_NSS_HOME ? [env.DUSTY_NSS_HOME] : undefined,
  };
}

/**
 * A program table from the environment (JSON: name to list of absolute
 * paths). Only the unit, which root writes, sets the helper's environment;
 * every path in it is still checked before it runs.
 */
function programTable(json: string): ProgramTable {
  const parsed = JSON.parse(json) as unknown;
  if (typeof parsed !== 'object' || parsed === null)
    throw new Error('DUSTY_HELPER_PROGRAMS is not a JSON object');
  const table: Record<string, string[]> = {};
  for (const [name, paths] of Object.entries(parsed)) {
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.startsWith('/'))) {
      throw new Error(`DUSTY_HELPER_PROGRAMS: ${name} is not a list of absolute paths`);
    }
    table[name] = paths as string[];
  }
  return table;
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
