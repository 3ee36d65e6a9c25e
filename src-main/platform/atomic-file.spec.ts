import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inPlaceImage, recoverInterruptedWrite, rewriteFile } from './atomic-file.js';
import { applyHostsSection, readSection } from './hosts-file.js';
import { exportsLine, exportsLines } from './exports-file.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dusty-atomic-'));
  file = path.join(dir, 'hosts');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('rewriteFile', () => {
  it('keeps bytes that are not UTF-8 exactly', async () => {
    const original = Buffer.from([0x61, 0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a]);
    writeFileSync(file, original);
    await applyHostsSection(file, [{ ip: '10.2.3.4', hostname: 'a.local' }]);
    const after = readFileSync(file);
    expect(after.subarray(0, original.length).equals(original)).toBe(true);
    await applyHostsSection(file, []);
    expect(readFileSync(file).equals(original)).toBe(true);
  });

  it('keeps the previous version as a backup and the mode as it was', async () => {
    writeFileSync(file, 'one\n', { mode: 0o640 });
    await rewriteFile(file, () => 'two\n');
    expect(readFileSync(file, 'utf8')).toBe('two\n');
    expect(readFileSync(`${file}.dusty-backup`, 'utf8')).toBe('one\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['hosts', 'hosts.dusty-backup']);
  });

  it('writes nothing when the text is unchanged', async () => {
    writeFileSync(file, 'same\n');
    const before = statSync(file);
    expect((await rewriteFile(file, (t) => t)).changed).toBe(false);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });

  it('leaves the file alone when the transform refuses', async () => {
    writeFileSync(file, 'x\n# BEGIN section for Dusty\n');
    await expect(applyHostsSection(file, [{ ip: '10.1.1.1', hostname: 'a' }])).rejects.toThrow(
      /without/,
    );
    expect(readFileSync(file, 'utf8')).toBe('x\n# BEGIN section for Dusty\n');
  });

  it('runs concurrent rewrites of one file one after another', async () => {
    writeFileSync(file, '');
    await Promise.all(Array.from({ length: 30 }, () => rewriteFile(file, (t) => `${t}x`)));
    expect(readFileSync(file, 'utf8')).toBe('x'.repeat(30));
  });

  it('finishes a journalled in-place write and sweeps temporary files', async () => {
    writeFileSync(file, 'half-writ');
    writeFileSync(`${file}.dusty-pending`, 'whole new text\n');
    writeFileSync(path.join(dir, '.hosts.dusty-tmp-1-abc'), 'junk');
    expect(await recoverInterruptedWrite(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('whole new text\n');
    expect(readdirSync(dir)).toEqual(['hosts']);
    expect(await recoverInterruptedWrite(file)).toBe(false);
  });

  it('refuses bad entries before touching the file', async () => {
    writeFileSync(file, 'keep\n');
    await expect(applyHostsSection(file, [{ ip: '10.2.3.4', hostname: 'a\nb' }])).rejects.toThrow(
      /hostname/,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep\n');
    expect(readSection(readFileSync(file, 'utf8'))).toEqual([]);
  });
});

describe('exports lines', () => {
  it('uses the owner for all access, in each platform syntax', () => {
    const entry = { path: '/Users/me/app', client: '192.168.99.0/24' };
    expect(exportsLine(entry, { uid: 501, gid: 20, platform: 'linux' })).toBe(
      '/Users/me/app 192.168.99.0/24(rw,async,all_squash,anonuid=501,anongid=20,no_subtree_check,insecure)',
    );
    expect(exportsLine(entry, { uid: 501, gid: 20, platform: 'darwin' })).toBe(
      '/Users/me/app -alldirs -mapall=501:20 -network 192.168.99.0 -mask 255.255.255.0',
    );
  });

  it('refuses paths that are missing or not directories', async () => {
    writeFileSync(file, '');
    const who = { uid: process.getuid?.() ?? 0, gid: 0, platform: 'linux' as const };
    await expect(exportsLines([{ path: dir, client: '10.0.0.1' }], who)).resolves.toHaveLength(1);
    await expect(exportsLines([{ path: file, client: '10.0.0.1' }], who)).rejects.toThrow(
      /not a directory/,
    );
    await expect(exportsLines([{ path: `${dir}/none`, client: '10.0.0.1' }], who)).rejects.toThrow(
      /does not exist or you cannot see it/,
    );
  });

  it('exports only the owner’s own folders, resolved, and never a system folder (issue 11)', async () => {
    const me = process.getuid?.() ?? 0;
    const who = { uid: me, gid: 0, platform: 'linux' as const };
    const link = path.join(dir, 'to-etc');
    symlinkSync('/etc', link);
    await expect(exportsLines([{ path: '/etc', client: '10.0.0.1' }], who)).rejects.toThrow(
      /\/etc is a system folder; Dusty never exports one, whoever owns it/,
    );
    await expect(exportsLines([{ path: link, client: '10.0.0.1' }], who)).rejects.toThrow(
      /to-etc is \/etc, a system folder/,
    );
    const someoneElses = { uid: me + 4242, gid: 0, platform: 'linux' as const };
    const look = async (paths: readonly string[]) =>
      paths.map((p) => ({ real: p, uid: me, isDirectory: true }));
    await expect(
      exportsLines([{ path: dir, client: '10.0.0.1' }], someoneElses, look),
    ).rejects.toThrow(new RegExp(`${dir} is not yours \\(it belongs to uid ${me}\\)`));
    const inner = path.join(dir, 'real');
    mkdirSync(inner);
    symlinkSync(inner, path.join(dir, 'alias'));
    expect(
      await exportsLines([{ path: path.join(dir, 'alias'), client: '10.0.0.1' }], who),
    ).toEqual([expect.stringMatching(new RegExp(`^${inner} 10\\.0\\.0\\.1\\(`))]);
  });
});

describe('what the helper may write (issue 11)', () => {
  it('refuses localhost and any name the file defines outside Dusty’s section, saying which rule', async () => {
    writeFileSync(file, '127.0.0.1 localhost\n10.0.0.5 nas.home NAS # the NAS\n');
    await expect(
      applyHostsSection(file, [{ ip: '10.0.0.1', hostname: 'LocalHost.' }]),
    ).rejects.toThrow(/localhost is this machine's own name/);
    await expect(applyHostsSection(file, [{ ip: '10.0.0.1', hostname: 'nas' }])).rejects.toThrow(
      new RegExp(`nas is defined in ${file} outside Dusty's section \\(line 2\\)`),
    );
    expect(readFileSync(file, 'utf8')).toBe(
      '127.0.0.1 localhost\n10.0.0.5 nas.home NAS # the NAS\n',
    );
    // Names inside Dusty's own section are Dusty's: re-applying them is fine.
    await applyHostsSection(file, [{ ip: '10.0.0.1', hostname: 'web.local' }]);
    await applyHostsSection(file, [{ ip: '10.0.0.2', hostname: 'web.local' }]);
    expect(readSection(readFileSync(file, 'latin1'))).toEqual(['10.0.0.2 web.local']);
  });

  it('with noFollow, refuses a symbolic link placed at the path instead of writing through it', async () => {
    const elsewhere = path.join(dir, 'shadow');
    writeFileSync(elsewhere, 'root:x:0:0::/root:/bin/bash\n');
    symlinkSync(elsewhere, file);
    await expect(
      applyHostsSection(file, [{ ip: '10.0.0.1', hostname: 'a.local' }], { noFollow: true }),
    ).rejects.toThrow(/symbolic link/);
    expect(readFileSync(elsewhere, 'utf8')).toBe('root:x:0:0::/root:/bin/bash\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });

  it('never shows a reader the old file’s tail during an in-place rewrite', () => {
    const old = Buffer.from(
      '127.0.0.1 localhost\n# BEGIN section for Dusty\n10.0.0.1 a-long-name.local\n# END section for Dusty\n',
    );
    const next = Buffer.from('127.0.0.1 localhost\n');
    const image = inPlaceImage(next, old.length);
    // What a reader may see between the write and the truncate: the new text, then blanks.
    expect(image.length).toBe(old.length);
    expect(image.subarray(0, next.length).equals(next)).toBe(true);
    expect(image.subarray(next.length).toString()).toMatch(/^ +$/);
    expect(inPlaceImage(old, next.length).equals(old)).toBe(true);
  });
});
