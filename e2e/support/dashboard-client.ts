/**
 * The dashboard's API as the browser reaches it: a `dusty ui` process of its
 * own (so it sees the environment it is given) and calls over its WebSocket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { ROOT } from './dusty.js';

/** `dusty ui` as a process, and calls over its WebSocket. */
export class DashboardClient {
  private constructor(
    private readonly child: ChildProcess,
    private readonly ws: WebSocket,
    /** The dashboard's URL with this run's token. */
    readonly url: string,
  ) {}
  private seq = 0;

  static async start(env: NodeJS.ProcessEnv): Promise<DashboardClient> {
    const child = spawn(process.execPath, [join(ROOT, 'bin/dusty.js'), 'ui', '--no-open'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => {
        // Not left serving (and reaching for its engine) after the test gave up on it.
        child.kill('SIGKILL');
        reject(new Error(`dusty ui printed no URL within 30 s: ${out}`));
      }, 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Dusty dashboard: (\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    });
    const u = new URL(url);
    const ws = new WebSocket(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)).catch(
      (e: unknown) => {
        child.kill('SIGKILL');
        throw e;
      },
    );
    return new DashboardClient(child, ws, url);
  }

  call<T>(channel: string, input: unknown = {}): Promise<T> {
    const seq = ++this.seq;
    this.ws.send(JSON.stringify({ type: 'call', seq, channel, input }));
    return new Promise((resolve, reject) => {
      const onMessage = (data: Buffer) => {
        const m = JSON.parse(data.toString()) as {
          type: string;
          seq?: number;
          result?: { ok: boolean; value?: T; error?: { message: string } };
        };
        if (m.type !== 'result' || m.seq !== seq) return;
        this.ws.off('message', onMessage);
        if (m.result?.ok) resolve(m.result.value as T);
        else reject(new Error(`${channel}: ${m.result?.error?.message}`));
      };
      this.ws.on('message', onMessage);
    });
  }

  close(): void {
    this.ws.close();
    this.child.kill('SIGTERM');
  }
}
