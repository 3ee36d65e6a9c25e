/**
 * The remote provider for real: DOCKER_HOST=ssh://USER@10.203.14.2:2222, a
 * second engine and an sshd in a network namespace (scripts/remote-engine.sh),
 * reached through the system ssh. The remote user's home is not this
 * sandbox, so a container sees a file only if sync carried it there. Torn
 * down by the script: dockerd and sshd by their pid files, then the namespace.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ok, run, sleep } from './support/dusty.js';
import {
  alive,
  getSite,
  pidsWith,
  remoteLink,
  REMOTE_IP,
  REMOTE_STATE,
  RemoteSandbox,
  useRemoteStack,
  remoteEngine,
  siteUntil,
  until,
} from './support/remote.js';

const box = new RemoteSandbox('e2eremote');

/** 2 MiB each. */
const BULK_FILES = 32;

/** Files of random bytes (rsync's compression gains nothing): a copy that takes a moment. */
function fillBulk(dir: string, files: number, tag: string): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++)
    writeFileSync(join(dir, `blob-${String(i).padStart(2, '0')}.bin`), randomBytes(2 << 20));
  writeFileSync(join(dir, 'tag.txt'), `${tag}\n`);
}

/** Remote containers of the project, by name. */
async function containers(): Promise<string[]> {
  const r = ok(
    await box.docker(
      'ps',
      '-a',
      '--filter',
      `label=com.docker.compose.project=${box.project}`,
      '--format',
      '{{.Names}}',
    ),
    'docker ps on the remote engine',
  );
  return r.stdout.split('\n').filter(Boolean).sort();
}

useRemoteStack(box);

describe('a remote engine over ssh', () => {
  it('mounts only the copies on the remote host, and points host names at it', () => {
    const doc = load(box.composeFile()) as { services: Record<string, { volumes?: string[] }> };
    const sources = Object.values(doc.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((src) => src.startsWith('/'));
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const src of sources) expect(src.startsWith(`${box.remoteRoot}/`)).toBe(true);
    expect(box.composeFile()).not.toContain(box.dir);
    expect(sources).toContain(`${box.remoteRoot}/repos/github.com/e2e-remote/site`);
    expect(sources).toContain(`${box.remoteRoot}/repos/github.com/e2e-remote/tools`);
    expect(readFileSync(box.env.DUSTY_HOSTS_FILE!, 'utf8')).toContain(
      `${REMOTE_IP} site.remote.test`,
    );
  });

  it('serves the synced code, not .git nor what the repo ignores', async () => {
    expect((await getSite('/index.html')).body).toBe('first version\n');
    const lib = ok(
      await box.docker('exec', `${box.project}_site_1`, 'cat', '/opt/tools/tool.sh'),
      'docker exec over ssh',
    );
    expect(lib.stdout).toBe('echo tool v1\n');
    await writeFile(join(box.site, 'secret.env'), 'TOKEN=do-not-ship\n');
    await writeFile(join(box.site, 'visible.txt'), 'shipped\n');
    expect((await siteUntil('/visible.txt', (r) => r.status === 200)).body).toBe('shipped\n');
    expect((await getSite('/secret.env')).status).toBe(404);
    const copy = `${box.remoteRoot}/repos/github.com/e2e-remote/site`;
    const listing = ok(await box.ssh(`ls -A ${copy}`), 'ls on the remote host').stdout;
    expect(listing.split('\n')).not.toContain('.git');
    expect(listing.split('\n')).not.toContain('secret.env');
  });

  it('carries each edit, new file, deletion and rename into the running container', async () => {
    await writeFile(join(box.site, 'index.html'), 'second version\n');
    const edited = await siteUntil('/index.html', (r) => r.body === 'second version\n');
    expect(edited.body).toBe('second version\n');

    await writeFile(join(box.site, 'added.txt'), 'a new file\n');
    expect((await siteUntil('/added.txt', (r) => r.status === 200)).body).toBe('a new file\n');

    await rm(join(box.site, 'gone.txt'));
    expect((await siteUntil('/gone.txt', (r) => r.status === 404)).status).toBe(404);

    await rename(join(box.site, 'old-name.txt'), join(box.site, 'new-name.txt'));
    expect((await siteUntil('/new-name.txt', (r) => r.status === 200)).body).toBe(
      'renamed content\n',
    );
    expect((await siteUntil('/old-name.txt', (r) => r.status === 404)).status).toBe(404);

    // The lib's repo is watched too.
    await writeFile(join(box.tools, 'tool.sh'), 'echo tool v2\n');
    const deadline = Date.now() + 15_000;
    let seen = '';
    while (Date.now() < deadline && seen !== 'echo tool v2\n') {
      seen = (await box.docker('exec', `${box.project}_site_1`, 'cat', '/opt/tools/tool.sh'))
        .stdout;
      if (seen !== 'echo tool v2\n') await sleep(200);
    }
    expect(seen).toBe('echo tool v2\n');
  });

  it('carries every save of a file, even of the same size within one second', async () => {
    // rsync's own check (same size, same whole second) skipped all but the first of these.
    for (let i = 1; i <= 5; i++) {
      const text = `save number ${i}\n`;
      await writeFile(join(box.site, 'index.html'), text);
      expect((await siteUntil('/index.html', (r) => r.body === text, 5000)).body).toBe(text);
    }
  });

  it('never copies a file made on the remote side back here', async () => {
    ok(
      await box.docker('exec', `${box.project}_site_1`, 'sh', '-c', 'echo gen > /srv/site/gen.out'),
      'a file made in the container',
    );
    await writeFile(join(box.site, 'after-gen.txt'), 'x\n');
    await siteUntil('/after-gen.txt', (r) => r.status === 200);
    await sleep(500);
    expect(() => readFileSync(join(box.site, 'gen.out'))).toThrow(/ENOENT/);
  });

  it('status shows each repo in sync', async () => {
    const out = (await box.must('status')).stdout;
    expect(out).toMatch(/github\.com\/e2e-remote\/site\s+in sync/);
    expect(out).toMatch(/github\.com\/e2e-remote\/tools\s+in sync/);
  });

  it('stop ends the watcher; a lost connection stops up naming the host; up again resumes', async () => {
    const pid = box.syncPid();
    expect(alive(pid)).toBe(true);
    await box.must('stop');
    expect(alive(pid)).toBe(false);
    expect(box.syncPid()).toBeUndefined();
    await writeFile(join(box.site, 'while-stopped.txt'), 'written while stopped\n');
    await sleep(1500);
    const copy = `${box.remoteRoot}/repos/github.com/e2e-remote/site/while-stopped.txt`;
    expect((await box.ssh(`test -e ${copy}`)).code).toBe(1);

    // The connection goes: the shared ssh connection closes and sshd stops listening.
    await run('ssh', ['-O', 'exit', REMOTE_IP], { env: box.env });
    process.kill(Number(readFileSync(`${REMOTE_STATE}/sshd.pid`, 'utf8')), 'SIGTERM');
    await sleep(300);
    const failed = await box.dusty('up');
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(REMOTE_IP);
    expect(failed.stderr).toMatch(/`[^`]+` failed/);

    ok(await remoteEngine('up'), 'sshd back');
    ok(await box.dusty('up', '--timeout', '240'), 'dusty up again');
    expect((await siteUntil('/while-stopped.txt', (r) => r.status === 200)).body).toBe(
      'written while stopped\n',
    );
    expect(alive(box.syncPid())).toBe(true);
  });

  it('a connection lost mid-copy stops up before any container, naming the host; up again resumes', async () => {
    const before = await containers();
    expect(before).toContain(`${box.project}_site_1`);
    const composeBefore = box.composeFile();
    const hostsBefore = readFileSync(box.env.DUSTY_HOSTS_FILE!, 'utf8');
    fillBulk(box.bulk, BULK_FILES, 'first');
    await box.must('repos', 'override', 'github.com/e2e-remote/bulk', box.bulk);
    await box.must('bundles', 'activate', 'bulk');

    const copy = `${box.remoteRoot}/repos/github.com/e2e-remote/bulk`;
    const u = box.start('up', '--timeout', '240');
    try {
      // The link drops once the copy has begun: files are arriving there.
      await until('the bulk copy to begin', () => existsSync(copy) && readdirSync(copy).length > 0);
      await remoteLink('down');
      const failed = await u.done;
      expect(failed.code, failed.stderr).not.toBe(0);
      expect(failed.stderr).toContain(`dusty-remote-e2e@${REMOTE_IP}:2222`);
      // Whichever copy the lost link broke first (the repos go three at a time).
      expect(failed.stderr).toMatch(/`rsync [^`]+ to [^`]+` failed \(exit \d+\)/);
    } finally {
      await remoteLink('up');
    }
    // Nothing half-started: no new container, and the compose file and host names as they were.
    expect(await containers()).toEqual(before);
    expect(box.composeFile()).toBe(composeBefore);
    expect(readFileSync(box.env.DUSTY_HOSTS_FILE!, 'utf8')).toBe(hostsBefore);
    await until('its ssh and rsync to end', () => box.sshPids().length === 0, 5000);

    ok(await box.dusty('up', '--timeout', '240'), 'up after the link came back');
    expect(await containers()).toContain(`${box.project}_bulk_1`);
    const tag = ok(
      await box.docker(
        'exec',
        `${box.project}_bulk_1`,
        'sh',
        '-c',
        'ls /srv/bulk | wc -l; cat /srv/bulk/tag.txt',
      ),
      'the bulk copy in its container',
    );
    expect(tag.stdout).toBe(`${BULK_FILES + 1}\nfirst\n`);
    expect((await getSite('/index.html')).status).toBe(200);
  }, 300_000);

  it('Ctrl-C during up leaves no ssh connection nor sync process of its own; stop ends the watcher and its connection', async () => {
    const watcher = box.syncPid();
    expect(alive(watcher)).toBe(true);
    // New content to copy, so that up is still copying when Ctrl-C comes.
    fillBulk(box.bulk, BULK_FILES, 'second');
    const u = box.start('up', '--timeout', '240');
    // The old watcher goes first (it would race the copy), then up opens its own connection.
    await until('up to stop the old watcher', () => !alive(watcher));
    await until('up to connect', () => box.sshPids().length > 0);
    const during = box.sshPids();
    process.kill(-u.child.pid!, 'SIGINT');
    const r = await u.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/`up` interrupted \(SIGINT\)/);
    await until('its ssh and rsync to end', () => box.sshPids().length === 0, 5000);
    for (const pid of during) expect(alive(pid), `ssh/rsync ${pid} after Ctrl-C`).toBe(false);
    expect(box.syncPid()).toBeUndefined();
    expect(pidsWith(`sync-main.js ${box.home}`)).toEqual([]);

    // A SIGINT to the process alone (not its group), twice: it leaves at once, its children with it.
    const again = box.start('up', '--timeout', '240');
    await until('up to connect', () => box.sshPids().length > 0);
    const open = box.sshPids();
    process.kill(again.child.pid!, 'SIGINT');
    await sleep(100);
    process.kill(again.child.pid!, 'SIGINT');
    expect((await again.done).code).toBe(130);
    await until('its ssh connection to end', () => open.every((pid) => !alive(pid)), 5000);

    ok(await box.dusty('up', '--timeout', '240'), 'up after Ctrl-C');
    const synced = box.syncPid();
    expect(alive(synced)).toBe(true);
    await until('the watcher to connect', () => box.sshPids().length > 0);
    const watching = box.sshPids();
    await box.must('stop');
    expect(alive(synced)).toBe(false);
    for (const pid of watching) expect(alive(pid), `ssh ${pid} after stop`).toBe(false);
    expect(box.sshPids()).toEqual([]);
  }, 300_000);

  it('test runs a suite on the copies on the remote host, copied first', async () => {
    // The watcher is stopped (the test before ended with `stop`): only `test` can carry this.
    expect(box.syncPid()).toBeUndefined();
    await writeFile(join(box.site, 'index.html'), 'for the suite\n');
    const r = await box.must('test', 'site', 'files');
    expect(r.stdout).toContain('for the suite\necho tool v2\n');
    // Mounted from the copies (a mount's source is the 4th field), never from this sandbox.
    const mounts = r.stdout.split('\n').filter((l) => / \/(srv\/site|opt\/tools) /.test(l));
    expect(mounts).toHaveLength(2);
    for (const m of mounts) {
      expect(m.split(' ')[3]).toContain(`/.dusty-remote/${box.project}/repos/`);
      expect(m).not.toContain(box.dir);
    }
    const copy = `${box.remoteRoot}/repos/github.com/e2e-remote/site/index.html`;
    expect(readFileSync(copy, 'utf8')).toBe('for the suite\n');
  }, 180_000);
});
