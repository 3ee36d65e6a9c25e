import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HelperResponse } from '../../src-shared/helper-protocol.js';
import { HelperRequestEnvelopeSchema } from '../../src-shared/helper-protocol.js';
import { requireProgram, trustedProgram } from '../platform/system-programs.js';
import { checkTrustedFolders } from '../platform/trusted-path.js';
import { formatAudit } from './audit.js';
import { serveConnection } from './connection.js';
import { describeIssues } from './dispatch.js';
import { defaultInstallPlan } from './install-plan.js';
import { copyTreeAsRoot, verifyTreeIsRoots } from './install-tree.js';
import { LineReader } from './line-reader.js';
import { launchdPlist, systemdUnit } from './unit-files.js';

// These tests make root-owned and user-owned files for real; the suite runs as root.
const OWNER = 1000;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dusty-harden-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the audit log', () => {
  it('cannot be given a forged line, and one refused request writes a bounded record', () => {
    const forged = 'x\n2026-01-01T00:00:00.000Z uid=0 op=hosts.apply changed /etc/hosts';
    const parsed = HelperRequestEnvelopeSchema.safeParse({ id: 1, op: 'version', [forged]: 1 });
    const message = parsed.success ? '' : describeIssues(parsed.error, {}, '');
    const text = formatAudit({ uid: OWNER, op: 'request', outcome: `refused: ${message}` });
    expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(text).toContain('\\u000a2026-01-01');
    const flood: Record<string, number> = {};
    for (let i = 0; i < 3000; i += 1) flood[`${'k'.repeat(100)}${i}`] = 1;
    const big = HelperRequestEnvelopeSchema.safeParse({ id: 1, op: 'version', ...flood });
    const bigMessage = big.success ? '' : describeIssues(big.error, {}, '');
    expect(formatAudit({ uid: OWNER, op: 'request', outcome: bigMessage }).length).toBeLessThan(
      1200,
    );
  });
});

describe('the line reader and the connection', () => {
  it('cuts lines and refuses one past the bound', () => {
    const reader = new LineReader(10);
    expect(reader.push(Buffer.from('ab\ncd')).lines.map(String)).toEqual(['ab']);
    expect(reader.push(Buffer.from('e\n')).lines.map(String)).toEqual(['cde']);
    expect(reader.push(Buffer.from('0123456789ab')).tooLong).toBe(true);
  });

  it('stops reading from a client that does not read its answers (backpressure)', async () => {
    const socketPath = path.join(dir, 's.sock');
    let answered = 0;
    const big = 'x'.repeat(64 * 1024);
    const server = net.createServer({ pauseOnConnect: true }, (socket) =>
      serveConnection(socket, {
        authorise: async () => OWNER,
        refuse: async () => ({ id: null, ok: false, error: { code: 'forbidden', message: '' } }),
        answer: async (): Promise<HelperResponse> => {
          answered += 1;
          return { id: answered, ok: false, error: { code: 'internal', message: big } };
        },
        afterAnswer: () => undefined,
        idleMs: 30_000,
        maxLineBytes: 1024,
      }),
    );
    await new Promise<void>((r) => server.listen(socketPath, r));
    const client = net.connect(socketPath);
    client.pause();
    await new Promise<void>((r) => client.once('connect', r));
    client.write('{"id":1,"op":"version"}\n'.repeat(5000));
    await new Promise((r) => setTimeout(r, 1500));
    // Without backpressure all 5000 answers (320 MB) would be queued in the helper.
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(200);
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('what root runs', () => {
  function sourceTree(): string {
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'store/zod'), { recursive: true });
    writeFileSync(path.join(src, 'store/zod/index.js'), 'export {};\n', { mode: 0o664 });
    writeFileSync(path.join(src, 'store/zod/tool'), '#!/bin/sh\n', { mode: 0o4775 });
    chmodSync(path.join(src, 'store/zod/tool'), 0o6775);
    mkdirSync(path.join(src, 'node_modules'));
    symlinkSync(path.join(src, 'store/zod'), path.join(src, 'node_modules/zod'));
    return src;
  }

  it('copies a linked dependency as root’s own files, masking modes and dropping setuid', async () => {
    const src = sourceTree();
    const dest = path.join(dir, 'installed');
    await copyTreeAsRoot(path.join(src, 'node_modules/zod'), dest, { ownerUid: OWNER });
    expect(lstatSync(dest).isDirectory()).toBe(true);
    expect(lstatSync(path.join(dest, 'index.js')).mode & 0o7777).toBe(0o644);
    expect(lstatSync(path.join(dest, 'tool')).mode & 0o7777).toBe(0o755);
    await expect(verifyTreeIsRoots(dest)).resolves.toBeUndefined();
  });

  it('refuses anything that is neither a regular file nor a folder', async () => {
    const src = path.join(dir, 'src');
    mkdirSync(src);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path.join(src, 'a.sock'), r));
    try {
      await expect(copyTreeAsRoot(src, path.join(dir, 'out'), { ownerUid: OWNER })).rejects.toThrow(
        /a\.sock is neither a regular file nor a folder/,
      );
    } finally {
      server.close();
    }
  });

  it('finds a tree that is not root’s alone', async () => {
    const tree = path.join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(path.join(tree, 'ok'), '');
    writeFileSync(path.join(tree, 'suid'), '');
    chmodSync(path.join(tree, 'suid'), 0o4755);
    writeFileSync(path.join(tree, 'theirs'), '');
    chownSync(path.join(tree, 'theirs'), OWNER, OWNER);
    symlinkSync('/etc/passwd', path.join(tree, 'out'));
    await expect(verifyTreeIsRoots(tree)).rejects.toThrow(
      /suid has the setuid or setgid bit.*theirs belongs to uid 1000|theirs belongs to uid 1000.*suid has the setuid/,
    );
    await expect(verifyTreeIsRoots(tree)).rejects.toThrow(/out links outside/);
  });

  it('keeps a link inside an Electron bundle as a relative link into root’s copy', async () => {
    const bundle = path.join(dir, 'Dusty.app');
    mkdirSync(path.join(bundle, 'Versions/A'), { recursive: true });
    writeFileSync(path.join(bundle, 'Versions/A/lib'), 'x');
    symlinkSync('A', path.join(bundle, 'Versions/Current'));
    const dest = path.join(dir, 'copy');
    await copyTreeAsRoot(bundle, dest, { ownerUid: OWNER, keepInternalLinks: true });
    expect(readlinkSync(path.join(dest, 'Versions/Current'))).toBe('A');
    await expect(verifyTreeIsRoots(dest)).resolves.toBeUndefined();
  });

  it('refuses a folder above the install folder that others can write, naming it', () => {
    const open = path.join(dir, 'shared');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => checkTrustedFolders(path.join(open))).toThrow(
      new RegExp(`${open} is writable by group or others`),
    );
    const theirs = path.join(dir, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, OWNER, OWNER);
    expect(() => checkTrustedFolders(theirs)).toThrow(
      new RegExp(`${theirs} belongs to uid 1000, not root`),
    );
    expect(() => checkTrustedFolders('/tmp')).not.toThrow();
  });
});

describe('what root runs: programs and units', () => {
  it('runs programs from fixed paths only, each checked first', () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    copyFileSync('/bin/true', path.join(bin, 'docker'));
    copyFileSync('/bin/true', path.join(bin, 'exportfs'));
    chownSync(path.join(bin, 'exportfs'), OWNER, OWNER);
    const table = { docker: [path.join(bin, 'docker')], exportfs: [path.join(bin, 'exportfs')] };
    expect(trustedProgram('docker', { table })).toBe(path.join(bin, 'docker'));
    expect(() => trustedProgram('exportfs', { table })).toThrow(
      /refusing to run .*exportfs as root: .*belongs to uid 1000, not root/,
    );
    expect(trustedProgram('ss', { table })).toBeNull();
    expect(() => requireProgram('dockerd', { table })).toThrow(/dockerd is not installed/);
    chmodSync(path.join(bin, 'docker'), 0o777);
    expect(() => trustedProgram('docker', { table })).toThrow(/writable by group or others/);
  });

  it('writes units that systemd and launchd read as meant, refusing control characters', () => {
    const plan = defaultInstallPlan(OWNER, {
      installDir: '/opt/100%h/$HOME/a"b&<c>',
      unitFile: '/etc/systemd/system/dusty-helper.service',
      nodePath: '/usr/bin/node',
      electronBundle: undefined,
    });
    const unit = systemdUnit(plan);
    expect(unit).toContain('ExecStart="/opt/100%%h/$$HOME/a\\"b&<c>/node"');
    expect(unit).not.toMatch(/[^%]%h/);
    const plist = launchdPlist({ ...plan, platform: 'darwin' });
    expect(plist).toContain('<string>/opt/100%h/$HOME/a&quot;b&amp;&lt;c&gt;/node</string>');
    const newline = { ...plan, installDir: '/opt/dusty\nExecStartPre=/bin/sh -c id' };
    expect(() => systemdUnit(newline)).toThrow(/contains a control character/);
    expect(() => launchdPlist(newline)).toThrow(/contains a control character/);
  });
});
