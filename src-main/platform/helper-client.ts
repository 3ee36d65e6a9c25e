/**
 * The unprivileged side of the helper protocol: what the app, the CLI and
 * the engine use to ask the helper for something.
 */
import net from 'node:net';
import {
  DEFAULT_HELPER_SOCKET,
  HelperResponseSchema,
  HelperResultSchemas,
  HelperParamsSchemas,
} from '../../src-shared/helper-protocol.js';
import type {
  HelperErrorCode,
  HelperOp,
  HelperParams,
  HelperResult,
} from '../../src-shared/helper-protocol.js';

/** The helper answered `ok: false`; `message` is the helper's own sentence. */
export class HelperError extends Error {
  override name = 'HelperError';
  constructor(
    readonly code: HelperErrorCode | 'unreachable' | 'bad_response',
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUTS: Partial<Record<HelperOp, number>> = { 'engine.start': 180_000 };

/** Talks to the helper over its socket, one connection per call. */
export class HelperClient {
  private nextId = 1;
  readonly socketPath: string;

  /** `socketPath` defaults to DUSTY_SOCKET_PATH, then /var/run/dusty/dusty.sock. */
  constructor(socketPath?: string) {
    this.socketPath = socketPath ?? process.env.DUSTY_SOCKET_PATH ?? DEFAULT_HELPER_SOCKET;
  }

  /** True when a helper answers `version` on the socket (within a few seconds). */
  async available(): Promise<boolean> {
    try {
      await this.call('version', {}, 5000);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Performs `op` and returns its typed result; throws HelperError with the
   * helper's message when it refuses or fails, or when it cannot be reached.
   */
  async call<Op extends HelperOp>(
    op: Op,
    params?: HelperParams<Op>,
    timeoutMs = TIMEOUTS[op] ?? 30_000,
  ): Promise<HelperResult<Op>> {
    const checked = HelperParamsSchemas[op].safeParse(params ?? {});
    if (!checked.success) {
      throw new HelperError(
        'invalid_params',
        checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    }
    const id = this.nextId++;
    const line = await this.exchange(
      `${JSON.stringify({ id, op, params: params ?? {} })}\n`,
      timeoutMs,
    );
    let response;
    try {
      response = HelperResponseSchema.parse(JSON.parse(line));
    } catch {
      throw new HelperError(
        'bad_response',
        `the helper sent something unreadable: ${line.slice(0, 200)}`,
      );
    }
    if (!response.ok) throw new HelperError(response.error.code, response.error.message);
    if (response.id !== id)
      throw new HelperError('bad_response', 'the helper answered another request');
    const result = HelperResultSchemas[op].safeParse(response.result);
    if (!result.success)
      throw new HelperError('bad_response', `unexpected ${op} result from the helper`);
    return result.data as HelperResult<Op>;
  }

  private exchange(request: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.socketPath);
      let buffer = '';
      let settled = false;
      const finish = (err: Error | null, line?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(line ?? '');
      };
      const timer = setTimeout(
        () =>
          finish(
            new HelperError('unreachable', `the helper did not answer within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(request));
      socket.on('data', (data: string) => {
        buffer += data;
        const nl = buffer.indexOf('\n');
        if (nl >= 0) finish(null, buffer.slice(0, nl));
      });
      socket.on('error', (err: NodeJS.ErrnoException) =>
        finish(
          new HelperError(
            'unreachable',
            `cannot reach the helper at ${this.socketPath}: ${err.code ?? err.message}`,
          ),
        ),
      );
      socket.on('close', () =>
        finish(
          new HelperError('unreachable', 'the helper closed the connection without answering'),
        ),
      );
    });
  }
}
