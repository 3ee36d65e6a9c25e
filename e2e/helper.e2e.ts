/**
 * The privileged helper, run for real (as root, built) on a temporary socket,
 * hosts file and exports file: every operation, refusals, other users,
 * concurrency and garbage.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HelperResponseSchema, MAX_ENTRIES } from '../src-shared/helper-protocol.js';
import { readSection } from '../src-main/platform/section-text.js';
import { HelperClient } from '../src-main/platform/helper-client.js';
import {
  NOBODY,
  OWNER,
  connectAs,
  exchange,
  makePaths,
  rawExchange,
  removePaths,
  request,
  requireBuild,
  sleep,
  startHelper,
} from './fixtures/helper/harness.js';
import type { Helper, Json, Paths } from './fixtures/helper/harness.js';

const ORIGINAL_HOSTS = '127.0.0.1\tlocalhost  \r\n# a comment   \r\n10.1.1.1 nas.home';
const ORIGINAL_EXPORTS = '/srv/share 192.168.1.0/24(ro)\n';

let paths: Paths;
let helper: Helper;
let repo: string;

function snapshot(): Record<string, string> {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'latin1') : '<missing>');
  return { hosts: read(paths.hosts), exports: read(paths.exports) };
}

beforeAll(() => requireBuild());

describe('helper operations', () => {
  beforeEach(async () => {
    paths = makePaths(ORIGINAL_HOSTS);
    writeFileSync(paths.exports, ORIGINAL_EXPORTS);
    repo = path.join(paths.dir, 'repos', 'my-app');
    mkdirSync(repo, { recursive: true });
    // The helper exports only the owner's own folders, looked at as the owner.
    chmodSync(paths.dir, 0o755);
    chmodSync(path.dirname(repo), 0o755);
    chownSync(repo, OWNER, OWNER);
    helper = await startHelper(paths, { DUSTY_HELPER_IDLE_MS: '1500' });
  });
  afterEach(async () => {
    await helper.stop();
    removePaths(paths);
  });

  it('answers version with its protocol and the files it was started with', async () => {
    const res = await request(paths.socket, 'version', {}, 'v1');
    expect(res).toMatchObject({ id: 'v1', ok: true });
    expect(res.result).toMatchObject({
      protocol: 1,
      ownerUid: OWNER,
      hostsFile: paths.hosts,
      exportsFile: paths.exports,
    });
  });

  it('creates its socket owned by the owner, mode 0600', () => {
    const st = statSync(paths.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(OWNER);
  });

  it('writes the hosts section, keeps every other byte, and gives the original back on clear', async () => {
    chmodSync(paths.hosts, 0o640);
    chownSync(paths.hosts, OWNER, OWNER);
    const inodeBefore = statSync(paths.hosts).ino;
    const res = await request(paths.socket, 'hosts.apply', {
      entries: [
        { ip: '127.0.0.1', hostname: 'app.local' },
        { ip: '::1', hostname: 'db.dusty' },
      ],
    });
    expect(res).toMatchObject({ ok: true, result: { changed: true, entries: 2 } });
    const text = readFileSync(paths.hosts, 'latin1');
    expect(text.startsWith(`${ORIGINAL_HOSTS}\r\n# BEGIN section for Dusty\r\n`)).toBe(true);
    expect(readSection(text)).toEqual(['127.0.0.1 app.local', '::1 db.dusty']);
    const st = statSync(paths.hosts);
    expect(st.mode & 0o777).toBe(0o640);
    expect([st.uid, st.gid]).toEqual([OWNER, OWNER]);
    expect(st.ino).not.toBe(inodeBefore);
    expect(readFileSync(`${paths.hosts}.dusty-backup`, 'latin1')).toBe(ORIGINAL_HOSTS);

    const audit = readFileSync(paths.audit, 'utf8');
    expect(audit).toMatch(/uid=0 op=hosts\.apply changed/);
    expect(audit).toContain('+127.0.0.1 app.local\n+::1 db.dusty\n');

    const cleared = await request(paths.socket, 'hosts.clear');
    expect(cleared).toMatchObject({ ok: true, result: { changed: true, entries: 0 } });
    expect(readFileSync(paths.hosts, 'latin1')).toBe(ORIGINAL_HOSTS);
  });

  it('skips the write when the section already holds the entries', async () => {
    const entries = [{ ip: '10.2.3.4', hostname: 'a.local' }];
    await request(paths.socket, 'hosts.apply', { entries });
    const before = statSync(paths.hosts);
    const again = await request(paths.socket, 'hosts.apply', { entries });
    expect(again).toMatchObject({ ok: true, result: { changed: false } });
    const after = statSync(paths.hosts);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readFileSync(paths.audit, 'utf8')).toMatch(/op=hosts\.apply no change/);
  });

  it('writes exports lines with its own options and says it did not reload a non-system file', async () => {
    const res = await request(paths.socket, 'exports.apply', {
      entries: [
        { path: repo, client: '192.168.99.100' },
        { path: repo, client: 'fd00::/64' },
      ],
    });
    expect(res).toMatchObject({ ok: true, result: { changed: true, entries: 2, reloaded: false } });
    expect((res.result as Json).reloadDetail).toMatch(/exportfs reads \/etc\/exports/);
    const text = readFileSync(paths.exports, 'utf8');
    expect(text.startsWith(ORIGINAL_EXPORTS)).toBe(true);
    expect(readSection(text)).toEqual([
      `${repo} 192.168.99.100(rw,async,all_squash,anonuid=${OWNER},anongid=${OWNER},no_subtree_check,insecure)`,
      `${repo} fd00::/64(rw,async,all_squash,anonuid=${OWNER},anongid=${OWNER},no_subtree_check,insecure)`,
    ]);
    const cleared = await request(paths.socket, 'exports.clear');
    expect(cleared).toMatchObject({ ok: true, result: { changed: true, entries: 0 } });
    expect(readFileSync(paths.exports, 'utf8')).toBe(ORIGINAL_EXPORTS);
  });

  it('creates a missing exports file', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(paths.exports);
    const res = await request(paths.socket, 'exports.apply', {
      entries: [{ path: repo, client: '10.0.0.0/16' }],
    });
    expect(res).toMatchObject({ ok: true, result: { changed: true } });
    expect(readSection(readFileSync(paths.exports, 'utf8'))).toHaveLength(1);
    expect(statSync(paths.exports).mode & 0o777).toBe(0o644);
  });

  it('reports the Docker engine already running on engine.start', async () => {
    const res = await request(paths.socket, 'engine.start');
    expect(res).toMatchObject({ ok: true, result: { alreadyRunning: true, method: 'none' } });
  });

  it('serves the typed client, which throws the helper message on refusal', async () => {
    const client = new HelperClient(paths.socket);
    expect(await client.available()).toBe(true);
    const result = await client.call('hosts.apply', {
      entries: [{ ip: '10.0.0.2', hostname: 'typed.local' }],
    });
    expect(result).toEqual({ changed: true, file: paths.hosts, entries: 1 });
    await expect(
      client.call('exports.apply', {
        entries: [{ path: path.join(repo, 'nope'), client: '10.0.0.1' }],
      }),
    ).rejects.toThrow(/does not exist/);
    expect(await new HelperClient(path.join(paths.dir, 'none.sock')).available()).toBe(false);
  });

  const refusals: [string, string, unknown, RegExp][] = [
    [
      'a host name with a newline (injection)',
      'hosts.apply',
      { entries: [{ ip: '10.2.3.4', hostname: 'a.com\n1.2.3.4 evil' }] },
      /hostname/,
    ],
    [
      'a host name with a space',
      'hosts.apply',
      { entries: [{ ip: '10.2.3.4', hostname: 'a.com evil.com' }] },
      /DNS/,
    ],
    [
      'a shell command as host name',
      'hosts.apply',
      { entries: [{ ip: '10.2.3.4', hostname: '; rm -rf /' }] },
      /DNS/,
    ],
    [
      'a label longer than 63',
      'hosts.apply',
      { entries: [{ ip: '10.2.3.4', hostname: `${'a'.repeat(64)}.com` }] },
      /DNS/,
    ],
    [
      'a marker as host name',
      'hosts.apply',
      { entries: [{ ip: '10.2.3.4', hostname: '# END section for Dusty' }] },
      /DNS/,
    ],
    [
      'an address with a command',
      'hosts.apply',
      { entries: [{ ip: '10.2.3.4; rm -rf /', hostname: 'a.local' }] },
      /address/,
    ],
    [
      'an out-of-range address',
      'hosts.apply',
      { entries: [{ ip: '999.1.1.1', hostname: 'a.local' }] },
      /address/,
    ],
    [
      'one name, two addresses',
      'hosts.apply',
      {
        entries: [
          { ip: '10.1.1.1', hostname: 'a.local' },
          { ip: '10.2.2.2', hostname: 'a.local' },
        ],
      },
      /two addresses/,
    ],
    [
      'too many entries',
      'hosts.apply',
      {
        entries: Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => ({
          ip: '10.1.1.1',
          hostname: `h${i}.local`,
        })),
      },
      /512/,
    ],
    [
      'an extra parameter naming a file',
      'hosts.apply',
      { entries: [], file: '/etc/passwd' },
      /file|Unrecognized/i,
    ],
    [
      'an extra field in an entry',
      'hosts.apply',
      { entries: [{ ip: '10.1.1.1', hostname: 'a.local', comment: 'x' }] },
      /comment|Unrecognized/i,
    ],
    ['params that are a string', 'hosts.apply', 'rm -rf /', /params/],
    [
      'a relative export path',
      'exports.apply',
      { entries: [{ path: 'repos/my-app', client: '10.0.0.1' }] },
      /absolute/,
    ],
    [
      'a non-existent export path',
      'exports.apply',
      { entries: [{ path: '/nonexistent/dusty/x', client: '10.0.0.1' }] },
      /does not exist/,
    ],
    [
      'an export path with a command',
      'exports.apply',
      { entries: [{ path: '/tmp; rm -rf /', client: '10.0.0.1' }] },
      /whitespace|;/,
    ],
    [
      'an export path with ..',
      'exports.apply',
      { entries: [{ path: '/tmp/../etc', client: '10.0.0.1' }] },
      /normalised/,
    ],
    [
      'an export path with a newline',
      'exports.apply',
      { entries: [{ path: '/tmp\n/etc', client: '10.0.0.1' }] },
      /control/,
    ],
    [
      'an export of a file',
      'exports.apply',
      { entries: [{ path: '/etc/hostname', client: '10.0.0.1' }] },
      /system folder/,
    ],
    ['a wildcard client', 'exports.apply', { entries: [{ path: '/tmp', client: '*' }] }, /CIDR/],
    [
      'a client carrying options',
      'exports.apply',
      { entries: [{ path: '/tmp', client: '10.0.0.1(rw,no_root_squash)' }] },
      /CIDR/,
    ],
    [
      'a CIDR prefix too long',
      'exports.apply',
      { entries: [{ path: '/tmp', client: '10.0.0.0/33' }] },
      /CIDR/,
    ],
    ['an unknown operation', 'exec', { command: 'id' }, /op/],
    ['params on version', 'version', { x: 1 }, /params/],
  ];

  it.each(refusals)(
    'refuses %s, with a message, leaving both files byte-identical',
    async (_name, op, params, message) => {
      await request(paths.socket, 'hosts.apply', {
        entries: [{ ip: '10.1.1.1', hostname: 'kept.local' }],
      });
      const before = snapshot();
      const backup = readFileSync(`${paths.hosts}.dusty-backup`, 'latin1');
      const res = await request(paths.socket, op, params, 42);
      expect(HelperResponseSchema.parse(res)).toMatchObject({ id: 42, ok: false });
      const error = res.error as { code: string; message: string };
      expect(['bad_request', 'invalid_params']).toContain(error.code);
      expect(error.message).toMatch(message);
      expect(snapshot()).toEqual(before);
      expect(readFileSync(`${paths.hosts}.dusty-backup`, 'latin1')).toBe(backup);
      expect(readFileSync(paths.audit, 'utf8')).toMatch(/refused: /);
    },
  );

  it('refuses requests without an id or op, and malformed envelopes', async () => {
    const before = snapshot();
    const responses = await exchange(paths.socket, [
      { op: 'version' },
      { id: 1 },
      { id: { x: 1 }, op: 'version' },
      { id: 2, op: 'version', extra: true },
    ]);
    for (const res of responses)
      expect(res).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(responses[3]).toMatchObject({ id: 2 });
    expect(snapshot()).toEqual(before);
  });

  it('refuses to touch a hosts file whose markers are garbled', async () => {
    const garbled = `${ORIGINAL_HOSTS}\n# BEGIN section for Dusty\n10.9.9.9 mine.local\n`;
    writeFileSync(paths.hosts, garbled, 'latin1');
    const res = await request(paths.socket, 'hosts.apply', {
      entries: [{ ip: '10.1.1.1', hostname: 'a.local' }],
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'section_garbled' } });
    expect((res.error as Json).message).toMatch(/without "# END section for Dusty"/);
    expect(readFileSync(paths.hosts, 'latin1')).toBe(garbled);
  });

  it('leaves one whole section after 50 concurrent applies', async () => {
    const sets = Array.from({ length: 50 }, (_, i) =>
      Array.from({ length: 1 + (i % 7) }, (_, j) => ({
        ip: `10.0.${i}.${j + 1}`,
        hostname: `s${i}-h${j}.local`,
      })),
    );
    const responses = await Promise.all(
      sets.map((entries, i) => request(paths.socket, 'hosts.apply', { entries }, i)),
    );
    for (const res of responses) expect(res.ok).toBe(true);
    const text = readFileSync(paths.hosts, 'latin1');
    expect(text.match(/# BEGIN section for Dusty/g)).toHaveLength(1);
    expect(text.startsWith(ORIGINAL_HOSTS)).toBe(true);
    const lines = readSection(text);
    const match = sets.find(
      (set) => JSON.stringify(set.map((e) => `${e.ip} ${e.hostname}`)) === JSON.stringify(lines),
    );
    expect(match).toBeDefined();
  });

  it('answers bad JSON with an error and keeps the connection usable', async () => {
    const { lines, closed } = await rawExchange(
      paths.socket,
      '{not json\n{"id":7,"op":"version"}\n',
      2,
    );
    expect(closed).toBe(false);
    expect(lines[0]).toMatchObject({ id: null, ok: false, error: { code: 'bad_json' } });
    expect(lines[1]).toMatchObject({ id: 7, ok: true });
  });

  it('survives binary noise and still answers', async () => {
    const noise = Buffer.alloc(64 * 1024);
    let seed = 12345;
    for (let i = 0; i < noise.length; i += 1) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      noise[i] = seed & 0xff;
    }
    const { lines } = await rawExchange(
      paths.socket,
      Buffer.concat([noise, Buffer.from('\n')]),
      1000,
      3000,
    );
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(HelperResponseSchema.parse(line).ok).toBe(false);
    expect(await request(paths.socket, 'version')).toMatchObject({ ok: true });
  });

  it('answers a 5 MB line with line_too_long, hangs up, and keeps serving others', async () => {
    const { lines, closed } = await rawExchange(
      paths.socket,
      `{"id":1,"op":"${'x'.repeat(5 * 1024 * 1024)}`,
      1,
    );
    expect(lines[0]).toMatchObject({ ok: false, error: { code: 'line_too_long' } });
    await sleep(100);
    expect(closed || lines.length === 1).toBe(true);
    expect(await request(paths.socket, 'version')).toMatchObject({ ok: true });
  });

  it('answers 300 simultaneous connections', async () => {
    const all = await Promise.all(
      Array.from({ length: 300 }, (_, i) => request(paths.socket, 'version', {}, i)),
    );
    expect(all.map((r) => r.id)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(all.every((r) => r.ok === true)).toBe(true);
  });

  it('drops a client that connects and says nothing, and keeps serving', async () => {
    const idle = net.connect(paths.socket);
    const closedAt = await new Promise<number>((resolve) => {
      const start = Date.now();
      idle.on('close', () => resolve(Date.now() - start));
      idle.on('error', () => undefined);
    });
    expect(closedAt).toBeGreaterThan(1000);
    expect(closedAt).toBeLessThan(10_000);
    expect(await request(paths.socket, 'version')).toMatchObject({ ok: true });
  });

  it('uninstalls: clears both sections, removes the unit files and the socket, and exits', async () => {
    await request(paths.socket, 'hosts.apply', {
      entries: [{ ip: '10.1.1.1', hostname: 'a.local' }],
    });
    await request(paths.socket, 'exports.apply', { entries: [{ path: repo, client: '10.0.0.1' }] });
    const res = await request(paths.socket, 'uninstall');
    expect(res).toMatchObject({ ok: true });
    const removed = (res.result as { removed: string[] }).removed;
    expect(removed).toEqual(expect.arrayContaining([...paths.units, paths.socket]));
    expect(await helper.exited).toBe(0);
    expect(readFileSync(paths.hosts, 'latin1')).toBe(ORIGINAL_HOSTS);
    expect(readFileSync(paths.exports, 'utf8')).toBe(ORIGINAL_EXPORTS);
    for (const f of [...paths.units, paths.socket]) expect(existsSync(f)).toBe(false);
  });
});

describe('helper callers that are not the owner', () => {
  beforeAll(async () => {
    paths = makePaths(ORIGINAL_HOSTS);
    // Let other users reach the socket's directory, so the socket itself is what stops them.
    chmodSync(paths.dir, 0o755);
    helper = await startHelper(paths);
  });
  afterAll(async () => {
    await helper.stop();
    removePaths(paths);
  });

  const applyLine = JSON.stringify({
    id: 1,
    op: 'hosts.apply',
    params: { entries: [{ ip: '10.6.6.6', hostname: 'evil.local' }] },
  });

  it('keeps another user out by the socket permission', () => {
    const before = readFileSync(paths.hosts, 'latin1');
    expect(connectAs(NOBODY, paths.socket, applyLine)).toEqual({ error: 'EACCES' });
    expect(readFileSync(paths.hosts, 'latin1')).toBe(before);
  });

  it('lets the owner in', () => {
    const out = connectAs(OWNER, paths.socket, JSON.stringify({ id: 5, op: 'version' }));
    expect(out.response).toMatchObject({ id: 5, ok: true });
  });

  it('refuses another user by peer credentials when the socket is world-accessible (this test only)', () => {
    chmodSync(paths.socket, 0o666);
    try {
      const before = readFileSync(paths.hosts, 'latin1');
      const out = connectAs(NOBODY, paths.socket, applyLine);
      expect(out.response).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(out.closed).toBe(true);
      expect(readFileSync(paths.hosts, 'latin1')).toBe(before);
      expect(readFileSync(paths.audit, 'utf8')).toMatch(/op=connect refused/);
      // The owner still gets through the same world-accessible socket.
      const owner = connectAs(OWNER, paths.socket, JSON.stringify({ id: 6, op: 'version' }));
      expect(owner.response).toMatchObject({ id: 6, ok: true });
    } finally {
      chmodSync(paths.socket, 0o600);
    }
  });
});
