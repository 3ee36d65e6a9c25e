/**
 * The helper killed at the worst moments, restarted over its own debris, and
 * writing a hosts file that is a bind mount (as /etc/hosts is in containers).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSection } from '../src-main/platform/section-text.js';
import {
  OWNER,
  SERVE_MAIN,
  makePaths,
  removePaths,
  request,
  requireBuild,
  sleep,
  startHelper,
} from './fixtures/helper/harness.js';
import type { Helper, Paths } from './fixtures/helper/harness.js';

const ORIGINAL = '127.0.0.1 localhost\n# keep me\n10.0.0.1 nas';

const SETS = Array.from({ length: 8 }, (_, i) =>
  Array.from({ length: 1 + ((i * 37) % 40) }, (_, j) => ({
    ip: `10.${i}.${j >> 8}.${j & 0xff}`,
    hostname: `set${i}-host${j}.local`,
  })),
);
const VALID_SECTIONS = new Set(
  SETS.map((set) => JSON.stringify(set.map((e) => `${e.ip} ${e.hostname}`))),
);

let paths: Paths | undefined;
let helpers: Helper[] = [];

beforeAll(() => requireBuild());
afterEach(async () => {
  for (const h of helpers) {
    if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGKILL');
    await h.exited;
  }
  helpers = [];
  if (paths) removePaths(paths);
  paths = undefined;
});

/** Fires applies of the sets at the helper until stopped; errors (the kill) end it. */
function hammer(socketPath: string): {
  stop: () => void;
  done: Promise<number>;
  first: Promise<void>;
} {
  let stopped = false;
  let sent = 0;
  let firstDone!: () => void;
  const first = new Promise<void>((r) => (firstDone = r));
  const worker = async () => {
    while (!stopped) {
      try {
        await request(socketPath, 'hosts.apply', { entries: SETS[sent % SETS.length] }, sent);
        sent += 1;
        firstDone();
      } catch {
        return;
      }
    }
  };
  const done = Promise.all([worker(), worker(), worker(), worker()]).then(() => sent);
  return { stop: () => (stopped = true), done, first };
}

function expectWhole(text: string): void {
  expect(text.startsWith(ORIGINAL)).toBe(true);
  if (text === ORIGINAL) return;
  expect(text.match(/# BEGIN section for Dusty/g)).toHaveLength(1);
  expect(VALID_SECTIONS.has(JSON.stringify(readSection(text)))).toBe(true);
}

async function killLoop(p: Paths, rounds: number, check: () => void): Promise<number> {
  let writes = 0;
  for (let round = 0; round < rounds; round += 1) {
    const helper = await startHelper(p);
    helpers.push(helper);
    const load = hammer(p.socket);
    // The kill lands mid-stream: after the first answer (slow on a loaded machine), at a varying moment.
    await Promise.race([load.first, sleep(5000)]);
    await sleep(20 + ((round * 97) % 400));
    helper.proc.kill('SIGKILL');
    await helper.exited;
    load.stop();
    writes += await load.done;
    check();
  }
  // A restart finishes any journalled write and sweeps temporary files.
  const last = await startHelper(p);
  helpers.push(last);
  check();
  return writes;
}

describe('helper crashes', () => {
  it('restarts over the stale socket a kill -9 left behind', async () => {
    paths = makePaths(ORIGINAL);
    const first = await startHelper(paths);
    helpers.push(first);
    first.proc.kill('SIGKILL');
    await first.exited;
    expect(existsSync(paths.socket)).toBe(true);
    const second = await startHelper(paths);
    helpers.push(second);
    expect(await request(paths.socket, 'version')).toMatchObject({ ok: true });
  });

  it('refuses to start while another live helper answers on the socket', async () => {
    paths = makePaths(ORIGINAL);
    helpers.push(await startHelper(paths));
    const second = spawnSync(process.execPath, [SERVE_MAIN, '--owner', String(OWNER)], {
      env: { ...process.env, DUSTY_SOCKET_PATH: paths.socket, DUSTY_HOSTS_FILE: paths.hosts },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another helper is answering/);
    expect(await request(paths.socket, 'version')).toMatchObject({ ok: true });
  });

  it('refuses to remove a socket path that is not a socket', () => {
    paths = makePaths(ORIGINAL);
    spawnSync('mkdir', ['-p', path.dirname(paths.socket)]);
    writeFileSync(paths.socket, 'not a socket');
    const run = spawnSync(process.execPath, [SERVE_MAIN, '--owner', String(OWNER)], {
      env: { ...process.env, DUSTY_SOCKET_PATH: paths.socket, DUSTY_HOSTS_FILE: paths.hosts },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/is not a socket/);
    expect(readFileSync(paths.socket, 'utf8')).toBe('not a socket');
  });

  it('never leaves a broken hosts file when killed -9 during a stream of writes', async () => {
    const p = makePaths(ORIGINAL);
    paths = p;
    const check = () => expectWhole(readFileSync(p.hosts, 'latin1'));
    const writes = await killLoop(p, 12, check);
    expect(writes).toBeGreaterThan(0);
    expect(readdirSync(p.dir).filter((n) => n.includes('dusty-tmp'))).toEqual([]);
  });
});

const bindProbe = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  const probe = makePaths('a\n');
  const over = path.join(probe.dir, 'over');
  writeFileSync(over, 'b\n');
  const mounted = spawnSync('mount', ['--bind', probe.hosts, over]);
  const ok = mounted.status === 0;
  if (ok) spawnSync('umount', [over]);
  removePaths(probe);
  return ok ? null : `mount --bind is not permitted here: ${String(mounted.stderr).trim()}`;
})();

describe.skipIf(bindProbe !== null)(
  `helper on a bind-mounted hosts file${bindProbe ? ` (skipped: ${bindProbe})` : ''}`,
  () => {
    let mountPoint: string | null = null;
    afterEach(() => {
      if (mountPoint) spawnSync('umount', [mountPoint]);
      mountPoint = null;
    });

    /** Puts a separate file over paths.hosts, like Docker does with /etc/hosts. */
    function bindHosts(p: Paths): string {
      const source = path.join(p.dir, 'hosts.source');
      writeFileSync(source, ORIGINAL);
      const result = spawnSync('mount', ['--bind', source, p.hosts]);
      expect(result.status).toBe(0);
      mountPoint = p.hosts;
      return source;
    }

    it('rewrites it in place, keeping the mount, with a backup', async () => {
      const p = makePaths('placeholder\n');
      paths = p;
      const source = bindHosts(p);
      helpers.push(await startHelper(p));
      const res = await request(p.socket, 'hosts.apply', { entries: SETS[1] });
      expect(res).toMatchObject({ ok: true, result: { changed: true } });
      // The write landed in the mounted file, seen through both names.
      expect(readFileSync(source, 'latin1')).toBe(readFileSync(p.hosts, 'latin1'));
      expectWhole(readFileSync(p.hosts, 'latin1'));
      expect(readFileSync(`${p.hosts}.dusty-backup`, 'latin1')).toBe(ORIGINAL);
      expect(readFileSync(p.audit, 'utf8')).toMatch(/\(in place\)/);
      expect(existsSync(`${p.hosts}.dusty-pending`)).toBe(false);
      const cleared = await request(p.socket, 'hosts.clear');
      expect(cleared).toMatchObject({ ok: true, result: { changed: true } });
      expect(readFileSync(source, 'latin1')).toBe(ORIGINAL);
    });

    it('never leaves it broken when killed -9 during a stream of in-place writes', async () => {
      const p = makePaths('placeholder\n');
      paths = p;
      bindHosts(p);
      const check = () => {
        const text = readFileSync(p.hosts, 'latin1');
        // Between kill and restart an in-place write may be half done; the
        // journal must then hold the whole new text for the restart to finish.
        const pending = `${p.hosts}.dusty-pending`;
        if (existsSync(pending)) expectWhole(readFileSync(pending, 'latin1'));
        else expectWhole(text);
      };
      const writes = await killLoop(p, 10, check);
      expect(writes).toBeGreaterThan(0);
      expectWhole(readFileSync(p.hosts, 'latin1'));
      expect(existsSync(`${p.hosts}.dusty-pending`)).toBe(false);
    });
  },
);

describe('helper under a flood of connections that vanish', () => {
  it('keeps answering after clients hang up mid-request', async () => {
    const p = makePaths(ORIGINAL);
    paths = p;
    helpers.push(await startHelper(p));
    await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const s = net.connect(p.socket);
            s.on('error', () => resolve());
            s.on('connect', () => {
              s.write(`{"id":${i},"op":"hosts.apply","params":{"entries":[`);
              s.destroy();
              resolve();
            });
          }),
      ),
    );
    expect(await request(p.socket, 'version')).toMatchObject({ ok: true });
    expect(readFileSync(p.hosts, 'latin1')).toBe(ORIGINAL);
  });
});
