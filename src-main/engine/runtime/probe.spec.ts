import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeUrl, probeUrls } from './probe.js';

const servers: { close(): unknown }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen<T extends Server | ReturnType<typeof createTcpServer>>(
  s: T,
): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** An HTTP server that answers by host name, like the router. */
function router(statusFor: Record<string, number>) {
  const hosts: string[] = [];
  const server = createHttpServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    res.writeHead(statusFor[(req.headers.host ?? '').split(':')[0]!] ?? 404);
    res.end('body');
  });
  return { server, hosts };
}

const opts = { address: '127.0.0.1', timeoutMs: 1000 };

describe('probeUrl', () => {
  it('asks the router with the URL’s host name and reports the status and time', async () => {
    const { server, hosts } = router({ 'web.demo.test': 200 });
    const port = await listen(server);
    const r = await probeUrl('web', `http://web.demo.test:${port}/path`, opts);
    expect(r).toMatchObject({ app: 'web', ok: true, status: 200 });
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(r.error).toBeUndefined();
    expect(hosts).toEqual([`web.demo.test:${port}`]);
  });

  it('counts an app’s own 404 as an answer but the router’s 502 as none', async () => {
    const { server } = router({ 'up.test': 404, 'down.test': 502 });
    const port = await listen(server);
    const [up, down] = await probeUrls(
      [
        { app: 'a', url: `http://up.test:${port}` },
        { app: 'b', url: `http://down.test:${port}` },
      ],
      opts,
    );
    expect(up).toMatchObject({ ok: true, status: 404 });
    expect(down).toMatchObject({ ok: false, status: 502 });
    expect(down!.error).toMatch(/502/);
  });

  it('says so when nothing listens on the port', async () => {
    const port = await listen(createTcpServer());
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const r = await probeUrl('web', `http://web.test:${port}`, opts);
    expect(r).toMatchObject({ ok: false, status: null });
    expect(r.error).toMatch(/refused/);
  });

  it('gives up after the timeout when the server never answers', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const r = await probeUrl('web', `http://web.test:${port}`, { ...opts, timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, status: null });
    expect(r.error).toMatch(/within 200 ms/);
    expect(r.ms).toBeGreaterThanOrEqual(190);
  });

  it('counts a stream URL as answering when the connection stays open', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const r = await probeUrl('echo', `tcp://echo.test:${port}`, { ...opts, holdMs: 100 });
    expect(r).toMatchObject({ ok: true, status: null });
  });

  it('counts a stream URL whose connection the router closes at once as not answering', async () => {
    const port = await listen(createTcpServer((s) => s.destroy()));
    const r = await probeUrl('echo', `tcp://echo.test:${port}`, { ...opts, holdMs: 300 });
    expect(r).toMatchObject({ ok: false, status: null });
    expect(r.error).toMatch(/closed the connection/);
  });

  it('counts data from a stream URL as an answer at once', async () => {
    const port = await listen(createTcpServer((s) => s.write('hello\n')));
    const r = await probeUrl('echo', `tcp://echo.test:${port}`, { ...opts, holdMs: 5000 });
    expect(r).toMatchObject({ ok: true });
    expect(r.ms).toBeLessThan(4000);
  });
});
