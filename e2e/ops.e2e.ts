/**
 * Living with a running demo environment on the real Docker engine: logs,
 * cp in every direction, repos (overridden, managed from a local git
 * server), assets, and the refusals of `up` (a missing asset, invalid
 * specs, an image that cannot be pulled) that must leave everything as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DustyCli, ok, run, type ContainerInfo } from './support/dusty.js';
import { expectHostsKept } from './support/expect-hosts.js';

const PORTS = { web: 28281, api: 28282, echo: 28277 };
const cli = new DustyCli('e2eops', PORTS);
const HOST_NAMES = ['api.demo.test', 'echo.demo.test', 'web.demo.test'];
const token = (what: string) => `${what}-${randomBytes(5).toString('hex')}`;

/** Everything `up` could change: the hosts file and each container's identity and state. */
async function snapshot(): Promise<{ hosts: Buffer; containers: ContainerInfo[] }> {
  return {
    hosts: readFileSync(cli.hostsFile),
    containers: [...(await cli.containers()).values()].sort((a, b) =>
      a.service.localeCompare(b.service),
    ),
  };
}

async function readIn(service: string, path: string): Promise<string> {
  return ok(await cli.exec(service, 'cat', path), `cat ${path} in ${service}`).stdout;
}

async function apiPage(want: string): Promise<string> {
  return (await cli.httpUntil('api.demo.test', PORTS.api, '/', (b) => b.includes(want))).body;
}

interface RepoRow {
  name: string;
  mode: string;
  path: string;
  usedBy: string[];
}
async function repoRow(name: string): Promise<RepoRow | undefined> {
  const rows = JSON.parse((await cli.must('repos', 'list', '--json')).stdout) as RepoRow[];
  return rows.find((r) => r.name === name);
}

beforeAll(async () => {
  cli.editSpec('services/cache.yml', (t) =>
    t.replace('mkdir -p /data', 'echo cache says one; echo cache says two; mkdir -p /data'),
  );
  await cli.configure();
  await cli.must('up');
});

afterAll(async () => {
  await cli.destroy();
});

describe('logs', () => {
  it('prints what the cache printed', async () => {
    const r = await cli.must('logs', 'cache');
    expect(r.stdout).toContain('cache says one\ncache says two\n');
  });

  it('prints only the last line with --tail 1', async () => {
    const r = await cli.must('logs', 'cache', '--tail', '1');
    expect(r.stdout).toBe('cache says two\n');
  });

  it('puts a timestamp before each line with -t', async () => {
    const r = await cli.must('logs', '-t', 'cache');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z cache says (one|two)$/);
    const started = Date.parse(lines[0]!.split(' ')[0]!);
    expect(Math.abs(Date.now() - started)).toBeLessThan(60 * 60_000);
  });
});

describe('cp', () => {
  const content = token('file');

  it('copies a host file into a container under a new name', async () => {
    const src = join(cli.dir, 'note.txt');
    writeFileSync(src, content);
    await cli.must('cp', src, 'web:/tmp/x');
    expect(await readIn('web', '/tmp/x')).toBe(content);
  });

  it('copies a host file into an existing container folder under its own name', async () => {
    await cli.must('cp', join(cli.dir, 'note.txt'), 'web:/tmp');
    expect(await readIn('web', '/tmp/note.txt')).toBe(content);
  });

  it('copies a container file to the host, renamed or into a folder', async () => {
    const back = join(cli.dir, 'back.txt');
    await cli.must('cp', 'web:/tmp/x', back);
    expect(readFileSync(back, 'utf8')).toBe(content);
    const folder = join(cli.dir, 'into');
    mkdirSync(folder);
    await cli.must('cp', 'web:/tmp/x', folder);
    expect(readFileSync(join(folder, 'x'), 'utf8')).toBe(content);
  });

  it('copies a file from one container to another', async () => {
    await cli.must('cp', 'web:/tmp/x', 'api:/tmp/y');
    expect(await readIn('api', '/tmp/y')).toBe(content);
  });

  it('copies folders host to container, container to container, and back', async () => {
    const tree = join(cli.dir, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), `${content}-a`);
    writeFileSync(join(tree, 'sub', 'b.txt'), `${content}-b`);
    await cli.must('cp', tree, 'web:/tmp/copied');
    expect(await readIn('web', '/tmp/copied/a.txt')).toBe(`${content}-a`);
    expect(await readIn('web', '/tmp/copied/sub/b.txt')).toBe(`${content}-b`);
    await cli.must('cp', 'web:/tmp/copied', 'api:/tmp');
    expect(await readIn('api', '/tmp/copied/sub/b.txt')).toBe(`${content}-b`);
    const back = join(cli.dir, 'tree-back');
    await cli.must('cp', 'api:/tmp/copied', back);
    expect(readFileSync(join(back, 'a.txt'), 'utf8')).toBe(`${content}-a`);
    expect(readFileSync(join(back, 'sub', 'b.txt'), 'utf8')).toBe(`${content}-b`);
  });

  it('says so when the source does not exist', async () => {
    const r = await cli.dusty('cp', 'web:/tmp/nothing-here', join(cli.dir, 'n'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('web:/tmp/nothing-here does not exist');
  });
});

describe('repos', () => {
  const API = 'github.com/dusty-demo/api';

  it('serves a change made in the overridden checkout', async () => {
    const t = token('edited');
    writeFileSync(join(cli.repos, 'api/www/index.html'), `<p>${t}</p>\n`);
    expect(await apiPage(t)).toContain(t);
  });

  it('uses another checkout after `repos override` and up', async () => {
    const other = join(cli.dir, 'other-api');
    const t = token('other');
    mkdirSync(join(other, 'www'), { recursive: true });
    writeFileSync(join(other, 'www/index.html'), `<p>${t}</p>\n`);
    await cli.must('repos', 'override', API, other);
    expect(await repoRow(API)).toMatchObject({
      mode: 'overridden',
      path: other,
      usedBy: ['app api'],
    });
    await cli.must('up');
    expect(await apiPage(t)).toContain(t);
  });

  it('lists a repo as managed by Dusty after `repos manage`', async () => {
    await cli.must('repos', 'manage', API);
    const row = await repoRow(API);
    expect(row?.mode).toBe('managed');
    expect(row?.path.startsWith(join(cli.home, 'repos'))).toBe(true);
    await cli.must('repos', 'override', API, join(cli.repos, 'api'));
    expect((await repoRow(API))?.mode).toBe('overridden');
  });

  describe('a managed repo from a git server', () => {
    const bare = join(cli.dir, 'git', 'api.git');
    const work = join(cli.dir, 'git', 'work');
    const url = `file://${bare}`;
    const git = async (...args: string[]) =>
      ok(
        await run('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
          cwd: work,
        }),
        `git ${args.join(' ')}`,
      );
    const publish = async (t: string) => {
      writeFileSync(join(work, 'www/index.html'), `<p>${t}</p>\n`);
      await git('commit', '-qam', t);
      await git('push', '-q', 'origin', 'HEAD:main');
    };
    let specBefore = '';

    beforeAll(async () => {
      mkdirSync(work, { recursive: true });
      ok(await run('git', ['init', '-q', '--bare', '-b', 'main', bare]), 'git init --bare');
      ok(await run('cp', ['-r', join(cli.repos, 'api/www'), work]), 'cp www');
      await git('init', '-q', '-b', 'main');
      await git('remote', 'add', 'origin', url);
      await git('add', '.');
      await git('commit', '-qm', 'first');
      await publish(token('v1'));
      specBefore = cli.readSpec('apps/api.yml');
      cli.editSpec('apps/api.yml', (t) => t.replace(`repo: ${API}`, `repo: ${url}`));
    });

    afterAll(() => {
      writeFileSync(cli.specPath('apps/api.yml'), specBefore);
    });

    it('is cloned into DUSTY_HOME/repos by up and served', async () => {
      const t = token('cloned');
      await publish(t);
      await cli.must('up');
      const row = await repoRow(url);
      expect(row?.mode).toBe('managed');
      expect(row!.path.startsWith(join(cli.home, 'repos'))).toBe(true);
      expect(existsSync(join(row!.path, '.git'))).toBe(true);
      expect(readFileSync(join(row!.path, 'www/index.html'), 'utf8')).toContain(t);
      expect(await apiPage(t)).toContain(t);
    });

    it('gets a new commit with `repos update`', async () => {
      const t = token('updated');
      await publish(t);
      await cli.must('repos', 'update');
      expect(await apiPage(t)).toContain(t);
    });

    it('gets a new commit and restarts api with `restart --repos`', async () => {
      const t = token('restarted');
      await publish(t);
      const before = (await cli.containers()).get('api')!;
      const r = await cli.must('restart', '--repos', url);
      expect(r.stdout).toContain('api');
      const after = (await cli.containers()).get('api')!;
      expect(after.startedAt).not.toBe(before.startedAt);
      expect(await apiPage(t)).toContain(t);
    });
  });
});

describe('assets', () => {
  let specBefore = '';
  const secret = token('secret');

  beforeAll(async () => {
    await cli.must('up'); // back to the demo's own api repo
    specBefore = cli.readSpec('apps/web.yml');
    cli.editSpec(
      'apps/web.yml',
      (t) => `${t}\nassets:\n  - name: api_key\n    path: /run/secrets/key\n`,
    );
  });

  afterAll(() => {
    writeFileSync(cli.specPath('apps/web.yml'), specBefore);
  });

  it('refuses to start while a required asset is unset, naming it and touching nothing', async () => {
    const before = await snapshot();
    const r = await cli.dusty('up');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('api_key');
    expect(r.stderr).toContain('dusty assets set api_key FILE');
    expect(await snapshot()).toEqual(before);
  });

  it('places the asset at its path in the container once set', async () => {
    const file = join(cli.dir, 'key');
    writeFileSync(file, secret);
    await cli.must('assets', 'set', 'api_key', file);
    await cli.must('up');
    expect(await readIn('web', '/run/secrets/key')).toBe(secret);
    expectHostsKept(cli, HOST_NAMES);
  });

  it('places the new value after the asset is set again and up runs', async () => {
    const file = join(cli.dir, 'key2');
    const next = token('rotated');
    writeFileSync(file, next);
    await cli.must('assets', 'set', 'api_key', file);
    await cli.must('up');
    expect(await readIn('web', '/run/secrets/key')).toBe(next);
  });
});

describe('up refuses', () => {
  it('invalid specs, naming the problem and touching nothing', async () => {
    await cli.must('up');
    const before = await snapshot();
    const broken = [
      'image: dusty-busybox:local',
      'host_forwarding:',
      '  - host_name: broken.demo.test',
      `    host_port: ${PORTS.web}`,
      '    container_port: 8000',
      'depends:',
      '  apps: [nosuch]',
      '',
    ].join('\n');
    const bundle = cli.readSpec('bundles/echo.yml').replace('  - echo', '  - echo\n  - broken');
    const r = await cli.withSpec('apps/broken.yml', broken, () =>
      cli.withSpec('bundles/echo.yml', bundle, () => cli.dusty('up')),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nosuch');
    expect(r.stderr).toContain('nothing was changed');
    expect(await snapshot()).toEqual(before);
    expect(cli.hosts()).not.toContain('broken.demo.test');
  });

  it('an image that cannot be pulled, naming it and what to do', async () => {
    const before = await snapshot();
    const image = 'nosuch-registry.invalid/x:1';
    const bundle = cli.readSpec('bundles/echo.yml').replace('  - echo', '  - echo\n  - pullfail');
    const r = await cli.withSpec('apps/pullfail.yml', `image: ${image}\n`, () =>
      cli.withSpec('bundles/echo.yml', bundle, () => cli.dusty('up')),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(image);
    expect(r.stderr).toContain('pullfail');
    expect(r.stderr).toMatch(/docker login|docker build|docker load/);
    const after = await snapshot();
    expect(after.containers).toEqual(before.containers);
    expectHostsKept(cli, HOST_NAMES);
  });
});
