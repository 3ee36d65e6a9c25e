/**
 * Living with an environment on a remote engine, for real: `logs`, `shell`,
 * `cp` and `scripts` through bin/dusty.js reach the containers on the engine
 * in the network namespace (scripts/remote-engine.sh) over ssh; `doctor`
 * checks that host and says what to fix when it is broken; a repo whose sync
 * fails says so, with the reason, in `status` and in the dashboard's API.
 */
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RepoRow } from '../src-shared/api/contract.js';
import { DashboardClient } from './support/dashboard-client.js';
import { ok } from './support/dusty.js';
import {
  hideOnRemote,
  REMOTE_IP,
  RemoteSandbox,
  useRemoteStack,
  siteUntil,
  until,
} from './support/remote.js';

const box = new RemoteSandbox('e2eremoteops');
const HOST = `dusty-remote-e2e@${REMOTE_IP}:2222`;
const SITE = 'github.com/e2e-remote/site';
const TOOLS = 'github.com/e2e-remote/tools';

useRemoteStack(box);

const inSite = (...cmd: string[]) => box.docker('exec', `${box.project}_site_1`, ...cmd);

describe('logs, shell, cp and scripts on a remote engine', () => {
  it('logs prints the container output, and -f follows what it writes next', async () => {
    const r = await box.must('logs', 'site');
    expect(r.stdout).toContain('site serves /srv/site\n');

    const f = box.start('logs', '-f', 'site');
    let seen = '';
    f.child.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    try {
      await until('the logs so far', () => seen.includes('site serves /srv/site'), 30_000);
      // PID 1's stdout is the container's log.
      ok(await inSite('sh', '-c', 'echo written-later > /proc/1/fd/1'), 'a line in the log');
      await until('the new line to be followed', () => seen.includes('written-later'), 30_000);
    } finally {
      process.kill(f.child.pid!, 'SIGINT');
    }
    expect((await f.done).code).toBe(0);
  });

  it('shell runs piped input in the container, on the synced code, and exits with its code', async () => {
    const r = await box.dustyWith(
      { input: 'cat /srv/site/index.html /opt/tools/tool.sh\necho "in $(pwd)"\n' },
      'shell',
      'site',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/first version\r?\necho tool v1\r?\n/);
    expect(r.stdout).toContain('in /srv/site');
    const failed = await box.dustyWith({ input: 'exit 3\n' }, 'shell', 'site');
    expect(failed.code).toBe(3);
  });

  it('cp copies a file in, readable in the container, and files and folders out with their content', async () => {
    const local = join(box.dir, 'cp');
    mkdirSync(local);
    writeFileSync(join(local, 'note.txt'), 'copied in\n');
    await box.must('cp', join(local, 'note.txt'), 'site:/tmp/in/note.txt');
    expect(ok(await inSite('cat', '/tmp/in/note.txt'), 'cat').stdout).toBe('copied in\n');

    // Made on the remote side only: nothing here to read it from but the container.
    ok(await inSite('sh', '-c', 'echo made in the container > /tmp/in/made.txt'), 'a file');
    await box.must('cp', 'site:/tmp/in/made.txt', join(local, 'made.txt'));
    expect(readFileSync(join(local, 'made.txt'), 'utf8')).toBe('made in the container\n');

    await box.must('cp', 'site:/tmp/in', join(local, 'folder'));
    expect(readFileSync(join(local, 'folder', 'note.txt'), 'utf8')).toBe('copied in\n');
    expect(readFileSync(join(local, 'folder', 'made.txt'), 'utf8')).toBe('made in the container\n');
  });

  it('scripts lists the app scripts and runs one in its container on the synced code, with arguments', async () => {
    const list = await box.must('scripts', 'site');
    expect(list.stdout).toMatch(/show\s+prints a file of the synced code, then its arguments/);
    writeFileSync(join(box.site, 'index.html'), 'for the script\n');
    await siteUntil('/index.html', (r) => r.body === 'for the script\n');
    const r = await box.must('scripts', 'site', 'show', 'one', 'two');
    expect(r.stdout).toBe('for the script\nargs one two\n');
    expect(r.stderr).toContain('running show in site');
  });
});

describe('doctor on a remote engine', () => {
  it('passes the ssh, rsync, engine version, free disk and clock checks on a healthy host', async () => {
    const r = await box.must('doctor');
    for (const title of [
      `ssh connects to ${HOST}: connected without a prompt`,
      'rsync is installed here: rsync',
      `rsync is installed on ${REMOTE_IP}: rsync`,
      `the engine on ${HOST} is Docker 18.09 or later`,
      `free disk on ${REMOTE_IP} where code is copied (${box.remoteRoot}): `,
      `the clocks here and on ${REMOTE_IP} agree`,
    ])
      expect(r.stdout).toContain(`✔ ${title}`);
    expect(r.stdout).toContain('every check passed');
  });

  it('names the host and the fix when rsync is missing there; up stops naming the failed copy', async () => {
    const restore = hideOnRemote('rsync');
    try {
      const r = await box.dusty('doctor');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `^✘ rsync is installed on ${REMOTE_IP}: .*rsync: not found\\n +fix: install rsync on ${REMOTE_IP}`,
          'm',
        ),
      );
      expect(r.stdout).toContain(`✔ ssh connects to ${HOST}`);

      const up = await box.dusty('up');
      expect(up.code).not.toBe(0);
      expect(up.stderr).toMatch(new RegExp(`on ${HOST}, \`rsync [^\`]+\` failed \\(exit \\d+\\)`));
      expect(up.stderr).toContain('(install rsync on the remote host)');
    } finally {
      restore();
    }
    ok(await box.dusty('up', '--timeout', '240'), 'up once rsync is back');
  });

  it('with ssh to a wrong port, says ssh cannot connect to that host and how to fix it', async () => {
    const wrong = `dusty-remote-e2e@${REMOTE_IP}:2299`;
    const r = await box.dustyWith({ env: { DOCKER_HOST: `ssh://${wrong}` } }, 'doctor');
    expect(r.code).toBe(1);
    const fix = `fix: make \`ssh -p 2299 dusty-remote-e2e@${REMOTE_IP} true\` work without a prompt`;
    // The engine check carries ssh's own reason, not a bare "socket hang up".
    expect(r.stdout).toMatch(
      new RegExp(
        `^✘ the Docker engine answers: on ${wrong}, \`docker system dial-stdio\` failed \\(exit 255\\): .*Connection refused`,
        'm',
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`^✘ ssh connects to ${wrong}: .*Connection refused`, 'm'));
    expect(r.stdout.split(fix).length - 1).toBe(2);
    // Compiling asks that host where the copies go: its failure is not a specs problem.
    expect(r.stdout).toContain('✔ the specs validate');
    expect(r.stdout).toContain(`fix: reach ${wrong} over ssh first`);
    expect(r.stdout).not.toContain('socket hang up');
    expect(r.stdout).not.toContain('dusty config set specs_repo');
  });
});

describe('sync state per repo', () => {
  it('status and the dashboard say a repo failed to sync, with the reason, then in sync once it can', async () => {
    const copy = `${box.remoteRoot}/repos/${SITE}`;
    const owner = statSync(copy);
    const dash = await DashboardClient.start(box.env);
    const row = async (name: string) =>
      (await dash.call<RepoRow[]>('repos:list')).find((r) => r.name === name);
    const statusRow = async (name: string) =>
      (await box.must('status')).stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    try {
      // The remote user cannot write in its copy any more, nor take it back (a chmod would:
      // rsync sets a folder's mode as it is here): the next save fails to arrive.
      chownSync(copy, 0, 0);
      writeFileSync(join(box.site, 'blocked.txt'), 'waited for its folder\n');
      await until('status to say failed', async () =>
        /^\S+\s+failed\s/.test(await statusRow(SITE)),
      );
      const line = await statusRow(SITE);
      expect(line).toContain(copy);
      expect(line).toContain(`on ${HOST}, \`rsync ${box.site}/ to ${HOST}:${copy}/\` failed`);
      expect(line).toContain('Permission denied');
      expect(await statusRow(TOOLS)).toMatch(/^\S+\s+in sync\s/);

      await until(
        'the dashboard to say failed',
        async () => (await row(SITE))?.sync?.state === 'failed',
      );
      const failed = (await row(SITE))!.sync!;
      expect(failed.remote).toBe(copy);
      expect(failed.reason).toContain(`on ${HOST}`);
      expect(failed.reason).toContain('Permission denied');
      const tools = (await row(TOOLS))?.sync;
      expect(tools?.state).toBe('in-sync');
      expect(tools).not.toHaveProperty('reason');

      // The folder writable again: the retry carries the save, and both say so.
      chownSync(copy, owner.uid, owner.gid);
      const arrived = await siteUntil('/blocked.txt', (r) => r.status === 200, 30_000);
      expect(arrived.body).toBe('waited for its folder\n');
      await until(
        'the dashboard to say in sync',
        async () => (await row(SITE))?.sync?.state === 'in-sync',
      );
      expect((await row(SITE))?.sync).not.toHaveProperty('reason');
      expect(await statusRow(SITE)).toMatch(/^\S+\s+in sync\s/);
    } finally {
      chownSync(copy, owner.uid, owner.gid);
      dash.close();
    }
  }, 180_000);
});
