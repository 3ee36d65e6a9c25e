/**
 * `dusty ui`: serves the built dashboard and the API over a WebSocket on
 * 127.0.0.1, with a random token per run required on every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventMessage, WsCall, WsServerMessage } from '../../src-shared/api/contract.js';
import type { ApiService } from '../service/api-service.js';
import {
  contentSecurityPolicy,
  cookieValue,
  hostAllowed,
  newToken,
  originAllowed,
  tokenMatches,
} from './security.js';

export interface UiServerOptions {
  service: ApiService;
  /** The built dashboard (dist-renderer). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
}

export interface UiServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const MAX_MESSAGE = 1024 * 1024;

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const token = opts.token ?? newToken();
  let port = 0;
  const cookie = () => `dusty_token_${port}`;

  /** Host, Origin and token, for HTTP requests and the WebSocket alike. */
  const allowed = (req: IncomingMessage): { ok: boolean; status: number; viaQuery: boolean } => {
    if (!hostAllowed(req.headers.host, port)) return { ok: false, status: 421, viaQuery: false };
    if (!originAllowed(req.headers.origin, port))
      return { ok: false, status: 403, viaQuery: false };
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams.get('token');
    if (tokenMatches(q, token)) return { ok: true, status: 200, viaQuery: true };
    if (tokenMatches(cookieValue(req.headers.cookie, cookie()), token))
      return { ok: true, status: 200, viaQuery: false };
    return { ok: false, status: 401, viaQuery: false };
  };

  const deny = (res: ServerResponse, status: number) => {
    res.writeHead(status, { 'Content-Length': 0, 'Cache-Control': 'no-store' });
    res.end();
  };

  const server = createServer((req, res) => {
    void (async () => {
      const check = allowed(req);
      if (!check.ok) return deny(res, check.status);
      if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let rel = decodeURIComponent(url.pathname);
      if (rel === '/' || !extname(rel)) rel = '/index.html';
      const file = normalize(join(opts.staticDir, rel));
      if (!file.startsWith(normalize(opts.staticDir) + sep)) return deny(res, 404);
      const isFile = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!isFile) return deny(res, 404);
      const body = await readFile(file);
      const headers: Record<string, string | number> = {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Content-Security-Policy': contentSecurityPolicy(port),
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': rel === '/index.html' ? 'no-store' : 'private, max-age=3600',
      };
      // The page's assets carry the token as a cookie no other site can send (SameSite=Strict) or read (HttpOnly).
      if (check.viaQuery)
        headers['Set-Cookie'] = `${cookie()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(() => deny(res, 500));
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE,
    perMessageDeflate: false,
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const check = allowed(req);
    if (url.pathname !== '/ws' || !check.ok) {
      const status = url.pathname !== '/ws' ? 404 : check.status;
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, opts.service));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One dashboard connection: calls in, results and events out. */
function serveSocket(ws: WebSocket, service: ApiService) {
  const send = (m: WsServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const me = {
    send: (message: EventMessage) => send({ type: 'event', ...message }),
    backlog: () => ws.bufferedAmount,
  };
  const disconnect = service.connect(me);
  ws.on('message', (raw) => {
    let msg: WsCall;
    try {
      msg = JSON.parse((raw as Buffer).toString('utf8')) as WsCall;
    } catch {
      return;
    }
    if (msg?.type !== 'call' || typeof msg.seq !== 'number') return;
    void service
      .call(me, msg.channel, msg.input)
      .then((result) => send({ type: 'result', seq: msg.seq, result }));
  });
  ws.on('close', disconnect);
  ws.on('error', () => ws.terminate());
}
