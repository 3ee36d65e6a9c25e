/**
 * From one request line to one answer: parse, check the envelope and the
 * operation's params against the protocol's schemas, run the operation
 * (changes one at a time), and audit every refusal and failure.
 */
import type { z } from 'zod';
import {
  HelperParamsSchemas,
  HelperRequestEnvelopeSchema,
} from '../../src-shared/helper-protocol.js';
import type { HelperOp, HelperResponse } from '../../src-shared/helper-protocol.js';
import type { HelperContext, Operation, OperationTable } from './operations.js';
import { OpError } from './operations.js';

/** Names the first few problems of a failed parse, with the offending value where short. */
export function describeIssues(error: z.ZodError, input: unknown, prefix: string): string {
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
      const message =
        issue.message.length > 200 ? `${issue.message.slice(0, 200)}...` : issue.message;
      return `${where || 'request'}: ${message}${shown}`;
    })
    .join('; ');
}

/** The request's id when it is one we can echo, else null. */
function requestId(raw: unknown): string | number | null {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  if (typeof id === 'string' && id.length <= 128) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  return null;
}

/** Answers request lines for `ctx` with the operations of `table`. */
export function createDispatcher(
  ctx: HelperContext,
  table: OperationTable,
): (line: string, uid: number) => Promise<HelperResponse> {
  // Mutating operations run one at a time, in arrival order, across connections.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };

  const run = async (op: HelperOp, params: unknown, uid: number, id: string | number | null) => {
    const operation = table[op] as Operation<HelperOp>;
    const task = () => operation.run(params as never, uid, ctx);
    try {
      const result = await (operation.mutates ? serially(task) : task());
      return { id, ok: true as const, result };
    } catch (err) {
      const opError =
        err instanceof OpError
          ? err
          : new OpError('internal', (err as Error).message ?? String(err));
      const verdict = opError.code === 'invalid_params' ? 'refused' : 'failed';
      await ctx.audit.write({ uid, op, outcome: `${verdict}: ${opError.message}` });
      return { id, ok: false as const, error: { code: opError.code, message: opError.message } };
    }
  };

  return async (line, uid) => {
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
    const id = requestId(raw);
    const envelope = HelperRequestEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      const message = describeIssues(envelope.error, raw, '');
      await ctx.audit.write({ uid, op: 'request', outcome: `refused: ${message}` });
      return { id, ok: false, error: { code: 'bad_request', message } };
    }
    const { op, params } = envelope.data;
    const parsed = HelperParamsSchemas[op].safeParse(params);
    if (!parsed.success) {
      const message = describeIssues(parsed.error, params, 'params');
      await ctx.audit.write({ uid, op, outcome: `refused: ${message}` });
      return { id, ok: false, error: { code: 'invalid_params', message } };
    }
    return run(op, parsed.data, uid, id);
  };
}
