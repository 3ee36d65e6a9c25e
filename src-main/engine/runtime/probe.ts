/**
 * Probing the URLs Dusty prints, through the router, the way a browser or a
 * client would reach them: an HTTP request with the URL's host name (HTTP
 * status), or a TCP connection for a stream forwarding. The connection goes
 * to the router's address directly, so the answer does not depend on the
 * hosts file being written yet.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { UrlCheck } from '../../../src-shared/health.js';

export interface ProbeOptions {
  /** Where the router listens (the engine's address): every URL is probed there. */
  address: string;
  /** Milliseconds before a probe gives up. */
  timeoutMs?: number;
  /**
   * How long a stream connection must stay open to count as answered: the
   * router accepts every connection and closes it at once when nothing
   * answers behind it.
   */
  holdMs?: number;
}

/** Below this an HTTP status means the app answered; the router answers 502 and 504 for an app that does not. */
const SERVER_ERROR = 500;

/** Probes one URL (`http://`, `https://` or `tcp://`). */
export async function probeUrl(app: string, url: string, opts: ProbeOptions): Promise<UrlCheck> {
  const started = performance.now();
  const at = Date.now();
  const done = (r: { ok: boolean; status: number | null; error?: string }): UrlCheck => ({
    url,
    app,
    ok: r.ok,
    status: r.status,
    ms: Math.round(performance.now() - started),
    ...(r.error ? { error: r.error } : {}),
    at,
  });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return done({ ok: false, status: null, error: 'not a URL' });
  }
  const timeoutMs = opts.timeoutMs ?? 3000;
  try {
    if (parsed.protocol === 'tcp:') {
      const port = Number(parsed.port);
      await holdConnection(opts.address, port, timeoutMs, opts.holdMs ?? 300);
      return done({ ok: true, status: null });
    }
    const status = await httpStatus(parsed, opts.address, timeoutMs);
    return done(
      status < SERVER_ERROR
        ? { ok: true, status }
        : { ok: false, status, error: `the router answered ${status}: the app does not answer` },
    );
  } catch (e) {
    return done({ ok: false, status: null, error: describe(e) });
  }
}

/** Probes every URL at once. */
export function probeUrls(
  urls: readonly { app: string; url: string }[],
  opts: ProbeOptions,
): Promise<UrlCheck[]> {
  return Promise.all(urls.map((u) => probeUrl(u.app, u.url, opts)));
}

function httpStatus(url: URL, address: string, timeoutMs: number): Promise<number> {
  const https = url.protocol === 'https:';
  const port = Number(url.port) || (https ? 443 : 80);
  return new Promise((resolve, reject) => {
    const options = {
      host: address,
      port,
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headers: { host: url.host, 'user-agent': 'dusty-probe' },
      timeout: timeoutMs,
      agent: false as const,
    };
    const onResponse = (res: IncomingMessage) => {
      // Only the status matters: drop the body and the connection.
      res.resume();
      res.destroy();
      resolve(res.statusCode ?? 0);
    };
    const req = https
      ? // Whether the app answers is the question here; whether this machine trusts Dusty's CA is doctor's.
        httpsRequest(
          { ...options, servername: url.hostname, rejectUnauthorized: false },
          onResponse,
        )
      : httpRequest(options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function holdConnection(
  address: string,
  port: number,
  timeoutMs: number,
  holdMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    let connected = false;
    let timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const fail = (err: Error) => finish(err);
    socket.on('connect', () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(() => finish(), holdMs);
    });
    // Data means something answered behind the router.
    socket.on('data', () => finish());
    socket.on('error', (e) => fail(e));
    socket.on('close', () =>
      fail(
        new Error(
          connected
            ? 'the router closed the connection: the app does not answer'
            : 'the connection closed',
        ),
      ),
    );
  });
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ECONNREFUSED') return 'connection refused: the router does not listen there';
  if (err?.code === 'ECONNRESET') return 'the connection was reset';
  return err?.message || String(e);
}
