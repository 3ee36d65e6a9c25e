/**
 * The table of what the helper does: one entry per operation of the
 * protocol. A request reaches an entry only after its params passed the
 * operation's schema (src-shared/helper-protocol.ts); the entry may check
 * more (against the files, the owner) and refuses with an OpError.
 * Adding an operation is a schema there and an entry here.
 */
import { unlink } from 'node:fs/promises';
import type { z } from 'zod';
import { HELPER_PROTOCOL_VERSION } from '../../src-shared/helper-protocol.js';
import type {
  HelperErrorCode,
  HelperOp,
  HelperParamsSchemas,
  HelperResult,
} from '../../src-shared/helper-protocol.js';
import { applyExportsSection } from '../platform/exports-file.js';
import { applyHostsSection, applySectionLines, SectionError } from '../platform/hosts-file.js';
import type { SectionChange } from '../platform/hosts-file.js';
import type { EngineStartOutcome } from '../platform/native-engine.js';
import type { NfsReloadOutcome } from '../platform/nfs-server.js';
import { checkDustyCa, type TrustStore } from '../platform/trust-store.js';
import type { AuditLog } from './audit.js';
import type { OwnerLook } from '../platform/exports-file.js';

/** The helper's files were fixed at start: a link placed at their path later is refused, not followed. */
const NO_FOLLOW = { noFollow: true } as const;

/** A refusal or failure with the code the caller gets. */
export class OpError extends Error {
  constructor(
    readonly code: HelperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What every operation may use: fixed when the helper starts, never from a request. */
export interface HelperContext {
  ownerUid: number;
  ownerGid: number;
  hostsFile: string;
  exportsFile: string;
  socketPath: string;
  unitFiles: readonly string[];
  version: string;
  platform: NodeJS.Platform;
  audit: AuditLog;
  /** The CA stores `trust.*` edit (the machine's, or a throw-away one fixed at start). */
  trust: TrustStore;
  startEngine(): Promise<EngineStartOutcome>;
  reloadExports(exportsFile: string): Promise<NfsReloadOutcome>;
  /** How exports.apply looks at paths as the owner (a child process as the owner by default). */
  lookAsOwner?: OwnerLook;
  /** Asks the server to stop once the current answer has gone out. */
  requestStop(): void;
}

/** Params of an operation after its schema parsed them. */
export type ParsedParams<Op extends HelperOp> = z.output<(typeof HelperParamsSchemas)[Op]>;

/** One operation. */
export interface Operation<Op extends HelperOp> {
  /** Changes something on the machine: such operations run one at a time, in arrival order. */
  mutates: boolean;
  run(params: ParsedParams<Op>, uid: number, ctx: HelperContext): Promise<HelperResult<Op>>;
}

/** Every operation of the protocol, and no others. */
export type OperationTable = { [Op in HelperOp]: Operation<Op> };

/** Maps what a file edit throws to the code the caller gets. */
export async function fileOp<T>(task: () => Promise<T>): Promise<T> {
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
}

function fileResult(file: string, change: SectionChange) {
  return { changed: change.changed, file, entries: change.after.length };
}

function auditChange(
  ctx: HelperContext,
  uid: number,
  op: string,
  file: string,
  change: SectionChange,
): Promise<void> {
  return ctx.audit.write({
    uid,
    op,
    file,
    before: change.before,
    after: change.after,
    outcome: change.changed ? `changed ${file}${change.inPlace ? ' (in place)' : ''}` : 'no change',
  });
}

/** Clears one section: the body of `hosts.clear` and `exports.clear`. */
async function clearSection(ctx: HelperContext, uid: number, op: HelperOp, file: string) {
  const change = await fileOp(() => applySectionLines(file, [], NO_FOLLOW));
  await auditChange(ctx, uid, op, file, change);
  return fileResult(file, change);
}

/** Removes Dusty's sections, the unit files and the socket, then stops the helper. */
async function uninstall(uid: number, ctx: HelperContext): Promise<{ removed: string[] }> {
  const removed: string[] = [];
  const problems: string[] = [];
  for (const file of [ctx.hostsFile, ctx.exportsFile]) {
    try {
      const change = await applySectionLines(file, [], NO_FOLLOW);
      await auditChange(ctx, uid, 'uninstall', file, change);
      if (change.changed) removed.push(`Dusty's section of ${file}`);
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  await ctx.reloadExports(ctx.exportsFile).catch(() => undefined);
  try {
    const trust = await ctx.trust.remove();
    await ctx.audit.write({
      uid,
      op: 'uninstall',
      outcome: `CA removed from ${trust.stores.join(', ') || 'nothing'}`,
    });
    removed.push(...trust.stores.map((s) => `Dusty's CA in ${s}`));
  } catch (err) {
    problems.push(`CA: ${(err as Error).message}`);
  }
  for (const file of [...ctx.unitFiles, ctx.socketPath]) {
    try {
      await unlink(file);
      removed.push(file);
    } catch (err) {
      const quiet = (err as NodeJS.ErrnoException).code === 'ENOENT' || file === ctx.socketPath;
      if (!quiet) problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  ctx.requestStop();
  if (problems.length > 0) {
    throw new OpError('file_error', `uninstalled with problems: ${problems.join('; ')}`);
  }
  return { removed };
}

/** The helper's operations. */
export const OPERATIONS: OperationTable = {
  version: {
    mutates: false,
    run: async (_params, _uid, ctx) => ({
      version: ctx.version,
      protocol: HELPER_PROTOCOL_VERSION,
      platform: ctx.platform,
      pid: process.pid,
      ownerUid: ctx.ownerUid,
      hostsFile: ctx.hostsFile,
      exportsFile: ctx.exportsFile,
    }),
  },
  'hosts.apply': {
    mutates: true,
    run: async ({ entries }, uid, ctx) => {
      const change = await fileOp(() => applyHostsSection(ctx.hostsFile, entries, NO_FOLLOW));
      await auditChange(ctx, uid, 'hosts.apply', ctx.hostsFile, change);
      return fileResult(ctx.hostsFile, change);
    },
  },
  'hosts.clear': {
    mutates: true,
    run: (_params, uid, ctx) => clearSection(ctx, uid, 'hosts.clear', ctx.hostsFile),
  },
  'exports.apply': {
    mutates: true,
    run: async ({ entries }, uid, ctx) => {
      const who = { uid: ctx.ownerUid, gid: ctx.ownerGid, platform: ctx.platform };
      const options = { ...NO_FOLLOW, ...(ctx.lookAsOwner ? { look: ctx.lookAsOwner } : {}) };
      const change = await fileOp(() =>
        applyExportsSection(ctx.exportsFile, entries, who, options),
      );
      await auditChange(ctx, uid, 'exports.apply', ctx.exportsFile, change);
      return {
        ...fileResult(ctx.exportsFile, change),
        ...(await ctx.reloadExports(ctx.exportsFile)),
      };
    },
  },
  'exports.clear': {
    mutates: true,
    run: async (_params, uid, ctx) => ({
      ...(await clearSection(ctx, uid, 'exports.clear', ctx.exportsFile)),
      ...(await ctx.reloadExports(ctx.exportsFile)),
    }),
  },
  'engine.start': {
    mutates: true,
    run: async (_params, uid, ctx) => {
      if (ctx.platform !== 'linux') {
        throw new OpError(
          'unsupported',
          'on this platform the engine runs in a VM that Dusty starts as you, not as root',
        );
      }
      try {
        const outcome = await ctx.startEngine();
        await ctx.audit.write({ uid, op: 'engine.start', outcome: outcome.detail });
        return outcome;
      } catch (err) {
        throw new OpError('engine_error', (err as Error).message);
      }
    },
  },
  'trust.install': {
    mutates: true,
    run: async ({ pem }, uid, ctx) => {
      let ca;
      try {
        ca = checkDustyCa(pem);
      } catch (err) {
        throw new OpError('forbidden', `refused: ${(err as Error).message}`);
      }
      const result = await fileOp(() => ctx.trust.install(pem));
      await ctx.audit.write({
        uid,
        op: 'trust.install',
        outcome: `trusted ${ca.subject} (SHA-256 ${ca.fingerprint}, for ${ca.permitted.join(', ')}) in ${result.stores.join(', ')}`,
      });
      return result;
    },
  },
  'trust.remove': {
    mutates: true,
    run: async (_params, uid, ctx) => {
      const result = await fileOp(() => ctx.trust.remove());
      await ctx.audit.write({
        uid,
        op: 'trust.remove',
        outcome: `removed Dusty's CA from ${result.stores.join(', ') || 'nothing'}`,
      });
      return result;
    },
  },
  uninstall: { mutates: true, run: (_params, uid, ctx) => uninstall(uid, ctx) },
};
