/**
 * The helper against its own owner and a second user, for real: run as root
 * with an unprivileged owner and another user created for this file
 * (removed after), installing into temporary folders only (never the real
 * /etc or /usr/local). Each test is one attack from issue 11.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSection } from '../src-main/platform/section-text.js';
import {
  ROOT,
  connectAs,
  makePaths,
  removePaths,
  request,
  requireBuild,
  sleep,
  installEnv as sharedInstallEnv,
} from './fixtures/helper/harness.js';
import type { Json, Paths } from './fixtures/helper/harness.js';
import { HELPER_PACKAGES } from '../src-main/helper/install.js';

const INSTALL_MAIN = path.join(ROOT, 'dist/src-main/helper/install-main.js');
const SERVE_MAIN = path.join(ROOT, 'dist/src-main/helper/serve-main.js');
const tag = String(process.pid % 100000);
const users = { owner: `dsec${tag}o`, other: `dsec${tag}x` };
let ownerUid = -1;
let otherUid = -1;
let paths: Paths | undefined;
const children: ReturnType<typeof spawn>[] = [];

function uidOf(name: string): number {
  return Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
}

beforeAll(() => {
  requireBuild();
  if (process.getuid?.() !== 0) throw new Error('this suite runs as root (it creates users)');
  for (const name of Object.values(users)) {
    const made = spawnSync(
      'useradd',
      ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`useradd ${name}: ${made.stderr}`);
  }
  ownerUid = uidOf(users.owner);
  otherUid = uidOf(users.other);
});

afterAll(() => {
  for (const name of Object.values(users)) spawnSync('userdel', [name]);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
  if (paths) removePaths(paths);
  paths = undefined;
});

function installEnv(p: Paths, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return sharedInstallEnv(p, { DUSTY_HELPER_NO_START: '1', ...extra });
}

function install(env: NodeJS.ProcessEnv, source: string) {
  return spawnSync(
    process.execPath,
    [INSTALL_MAIN, 'install', '--owner', String(ownerUid), '--source', source],
    { env, encoding: 'utf8', timeout: 120_000 },
  );
}

/** Every entry under `dir` (folders first), with lstat. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

/**
 * The owner's own copy of what setup installs, laid out as pnpm does: the
 * dependency a link into a store, everything owned by the owner.
 */
function ownersSource(p: Paths): string {
  chmodSync(p.dir, 0o755);
  const src = path.join(p.dir, 'checkout');
  for (const part of ['dist/src-main/helper', 'dist/src-main/platform', 'dist/src-shared']) {
    cpSync(path.join(ROOT, part), path.join(src, part), { recursive: true });
  }
  copyFileSync(
    path.join(ROOT, 'dist/src-main/version.js'),
    path.join(src, 'dist/src-main/version.js'),
  );
  copyFileSync(path.join(ROOT, 'package.json'), path.join(src, 'package.json'));
  cpSync(path.join(ROOT, 'node_modules/zod'), path.join(src, 'store/zod@4'), {
    recursive: true,
    dereference: true,
  });
  mkdirSync(path.join(src, 'node_modules'));
  symlinkSync(path.join(src, 'store/zod@4'), path.join(src, 'node_modules/zod'));
  // The helper's other packages, as plain folders.
  for (const pkg of HELPER_PACKAGES.filter((p) => p !== 'zod'))
    cpSync(path.join(ROOT, 'node_modules', pkg), path.join(src, 'node_modules', pkg), {
      recursive: true,
      dereference: true,
    });
  const suid = path.join(src, 'dist/src-main/helper/tool.js');
  writeFileSync(suid, '// a setuid file in the owner’s checkout\n');
  spawnSync('chown', ['-R', '-h', `${ownerUid}:${ownerUid}`, src]);
  chmodSync(suid, 0o6777);
  return src;
}

/** Starts the built helper for the test's owner, with extra environment. */
async function startFor(p: Paths, extra: Record<string, string> = {}): Promise<void> {
  // The owner reaches the socket through the test's folder.
  chmodSync(p.dir, 0o755);
  const child = spawn(process.execPath, [SERVE_MAIN, '--owner', String(ownerUid)], {
    env: {
      ...process.env,
      DUSTY_SOCKET_PATH: p.socket,
      DUSTY_HOSTS_FILE: p.hosts,
      DUSTY_EXPORTS_FILE: p.exports,
      DUSTY_HELPER_AUDIT_LOG: p.audit,
      DUSTY_HELPER_UNIT_FILES: p.units.join(':'),
      ...extra,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) throw new Error(`helper exited ${child.exitCode}: ${err}`);
    if (existsSync(p.socket)) {
      const res = await request(p.socket, 'version').catch(() => null);
      if (res?.ok) return;
    }
    await sleep(50);
  }
  throw new Error(`helper did not come up: ${err}`);
}

function refusal(res: Json): string {
  expect(res.ok).toBe(false);
  return String((res.error as Json).message);
}

describe('what root runs', () => {
  it('installs a pnpm-linked dependency and a setuid file as root’s own regular files', async () => {
    const p = makePaths();
    paths = p;
    const env = installEnv(p);
    const done = install(env, ownersSource(p));
    expect(done.stderr).toBe('');
    expect(done.status).toBe(0);
    const dir = env.DUSTY_HELPER_INSTALL_DIR ?? '';
    expect(lstatSync(path.join(dir, 'node_modules/zod')).isDirectory()).toBe(true);
    for (const entry of [dir, ...walk(dir)]) {
      const st = lstatSync(entry);
      expect([entry, st.isFile() || st.isDirectory(), st.uid, st.mode & 0o6022]).toEqual([
        entry,
        true,
        0,
        0,
      ]);
    }
    expect(lstatSync(path.join(dir, 'dist/src-main/helper/tool.js')).mode & 0o7777).toBe(0o755);
    // The copy runs: root's runtime, root's modules.
    const served = spawn(
      path.join(dir, 'node'),
      [path.join(dir, 'dist/src-main/helper/serve-main.js'), '--owner', String(ownerUid)],
      {
        env,
        stdio: 'ignore',
      },
    );
    children.push(served);
    for (let i = 0; i < 200 && !existsSync(p.socket); i += 1) await sleep(50);
    expect(await request(p.socket, 'version')).toMatchObject({ ok: true, result: { ownerUid } });
  });

  it('refuses an install folder under a folder the owner can write, naming it, and installs nothing', () => {
    const p = makePaths();
    paths = p;
    chmodSync(p.dir, 0o755);
    const theirs = path.join(p.dir, 'owners');
    mkdirSync(theirs);
    chownSync(theirs, ownerUid, ownerUid);
    const env = installEnv(p, {
      DUSTY_HELPER_INSTALL_DIR: path.join(theirs, 'lib', 'dusty-helper'),
    });
    const done = install(env, ROOT);
    expect(done.status).toBe(1);
    expect(done.stderr).toContain(`${theirs} belongs to uid ${ownerUid}, not root`);
    expect(readdirSync(theirs)).toEqual([]);
    expect(existsSync(env.DUSTY_HELPER_UNIT_FILE ?? '')).toBe(false);
  });

  it('refuses a unit path with a newline, writing nothing', () => {
    const p = makePaths();
    paths = p;
    const unit = path.join(p.dir, 'systemd', 'dusty.service\nExecStartPre=/bin/sh -c id');
    const env = installEnv(p, { DUSTY_HELPER_UNIT_FILE: unit });
    const done = install(env, ROOT);
    expect(done.status).toBe(1);
    expect(done.stderr).toMatch(/unit file path .* contains a control character/);
    expect(existsSync(env.DUSTY_HELPER_INSTALL_DIR ?? '')).toBe(false);
    expect(existsSync(path.join(p.dir, 'systemd'))).toBe(false);
  });

  it('refuses to run a program the owner could change', async () => {
    const p = makePaths();
    paths = p;
    const bin = path.join(p.dir, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    copyFileSync('/usr/bin/docker', path.join(bin, 'docker'));
    chownSync(path.join(bin, 'docker'), ownerUid, ownerUid);
    const programs = JSON.stringify({ docker: [path.join(bin, 'docker')], ss: ['/usr/bin/ss'] });
    await startFor(p, { DUSTY_HELPER_PROGRAMS: programs });
    const res = await request(p.socket, 'engine.start');
    expect(res).toMatchObject({ ok: false, error: { code: 'engine_error' } });
    expect(refusal(res)).toMatch(
      new RegExp(`refusing to run ${bin}/docker as root: .*belongs to uid ${ownerUid}`),
    );
  });
});

describe('what a request may do', () => {
  it('refuses public and reserved addresses, localhost, and names the file already defines', async () => {
    const p = makePaths('127.0.0.1 localhost\n10.0.0.5 nas.home\n');
    paths = p;
    await startFor(p);
    const apply = (ip: string, hostname: string) =>
      connectAs(
        ownerUid,
        p.socket,
        JSON.stringify({ id: 1, op: 'hosts.apply', params: { entries: [{ ip, hostname }] } }),
      ).response as Json;
    expect(refusal(apply('8.8.8.8', 'bank.example'))).toMatch(
      /8\.8\.8\.8 is a public or reserved address/,
    );
    expect(refusal(apply('0.0.0.0', 'x.local'))).toMatch(/public or reserved/);
    expect(refusal(apply('2001:db8::1', 'x.local'))).toMatch(/public or reserved/);
    expect(refusal(apply('10.0.0.1', 'localhost'))).toMatch(/localhost is this machine's own name/);
    expect(refusal(apply('10.0.0.1', 'NAS.home.'))).toMatch(
      /defined in .* outside Dusty's section \(line 2\)/,
    );
    expect(readFileSync(p.hosts, 'utf8')).toBe('127.0.0.1 localhost\n10.0.0.5 nas.home\n');
    expect(apply('10.0.0.1', 'web.local')).toMatchObject({ ok: true });
  });

  it('exports only the owner’s folders: not /etc, not a link to it, not another user’s, not to everyone', async () => {
    const p = makePaths();
    paths = p;
    chmodSync(p.dir, 0o755);
    const mine = path.join(p.dir, 'mine');
    const hidden = path.join(p.dir, 'others-private');
    const visible = path.join(p.dir, 'others-public');
    for (const d of [mine, hidden, visible]) mkdirSync(d);
    mkdirSync(path.join(hidden, 'project'));
    chownSync(mine, ownerUid, ownerUid);
    chownSync(hidden, otherUid, otherUid);
    chmodSync(hidden, 0o700);
    chownSync(visible, otherUid, otherUid);
    symlinkSync('/etc', path.join(mine, 'etc-link'));
    await startFor(p);
    const exportOf = async (dir: string, client = '192.168.64.0/24') =>
      request(p.socket, 'exports.apply', { entries: [{ path: dir, client }] });
    expect(refusal(await exportOf('/etc'))).toMatch(/\/etc is a system folder/);
    expect(refusal(await exportOf(path.join(mine, 'etc-link')))).toMatch(
      /is \/etc, a system folder/,
    );
    // The answer for a folder the owner cannot see is the same whether it exists or not.
    const there = refusal(await exportOf(path.join(hidden, 'project')));
    const absent = refusal(await exportOf(path.join(hidden, 'nothing')));
    expect(there.replace('project', 'X')).toBe(absent.replace('nothing', 'X'));
    expect(there).toMatch(/does not exist or you cannot see it/);
    expect(refusal(await exportOf(visible))).toMatch(
      new RegExp(`not yours \\(it belongs to uid ${otherUid}\\)`),
    );
    expect(refusal(await exportOf(mine, '*'))).toMatch(/not an IP address/);
    expect(refusal(await exportOf(mine, '0.0.0.0/0'))).toMatch(/public or reserved/);
    expect(refusal(await exportOf(mine, '10.0.0.0/8'))).toMatch(/wider than \/16/);
    expect(existsSync(p.exports) ? readSection(readFileSync(p.exports, 'utf8')) : []).toEqual([]);
    const ok = await exportOf(mine);
    expect(ok).toMatchObject({ ok: true });
    expect(readSection(readFileSync(p.exports, 'utf8'))[0]).toMatch(
      new RegExp(`^${mine} 192\\.168\\.64\\.0/24\\(.*all_squash,anonuid=${ownerUid}`),
    );
  });

  it('writes a forged audit line as one escaped line, and bounds a refused request', async () => {
    const p = makePaths();
    paths = p;
    await startFor(p);
    const forged = 'x\n2030-01-01T00:00:00.000Z uid=0 op=hosts.apply changed /etc/shadow';
    const res = connectAs(
      ownerUid,
      p.socket,
      JSON.stringify({ id: 1, op: 'version', [forged]: 1 }),
    );
    expect((res.response as Json).ok).toBe(false);
    const flood: Record<string, number> = {};
    for (let i = 0; i < 5000; i += 1) flood[`${'k'.repeat(120)}${i}`] = 1;
    await request(p.socket, 'version', flood);
    await sleep(200);
    const lines = readFileSync(p.audit, 'utf8').split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('2030-'))).toEqual([]);
    expect(
      lines.some(
        (l) => l.includes(`uid=${ownerUid} op=request refused`) && l.includes('\\u000a2030'),
      ),
    ).toBe(true);
    for (const line of lines) expect(line.length).toBeLessThan(1200);
  });

  it('refuses a link put in place of its hosts file after it started, leaving the target alone', async () => {
    const p = makePaths('127.0.0.1 localhost\n');
    paths = p;
    await startFor(p);
    const target = path.join(p.dir, 'passwd-like');
    writeFileSync(target, 'root:x:0:0::/root:/bin/bash\n');
    rmSync(p.hosts);
    symlinkSync(target, p.hosts);
    const res = await request(p.socket, 'hosts.apply', {
      entries: [{ ip: '10.0.0.1', hostname: 'a.local' }],
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'file_error' } });
    expect(refusal(res)).toMatch(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('root:x:0:0::/root:/bin/bash\n');
  });

  it('will not start on a hosts file in a folder others can write', async () => {
    const p = makePaths();
    paths = p;
    const open = path.join(p.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(path.join(open, 'hosts'), '127.0.0.1 localhost\n');
    await expect(startFor(p, { DUSTY_HOSTS_FILE: path.join(open, 'hosts') })).rejects.toThrow(
      new RegExp(`${open} is writable by group or others`),
    );
  });
});
