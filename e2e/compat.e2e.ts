/**
 * The original Dusty's integration scenarios, ported: a specs repo written
 * the way the original's docs and fixtures write them (busybox apps, a
 * stale bundle nobody uses), brought over with `dusty config import`, runs
 * with `dusty up` and `dusty test` unchanged, on the real engine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, ROOT, run, sleep, type RunResult } from './support/dusty.js';

const PROJECT = 'e2ecompat';
const dir = mkdtempSync(join(tmpdir(), 'dusty-compat-'));
const specs = join(dir, 'specs');
const repo = join(dir, 'src', 'web-repo');
const env = {
  ...process.env,
  DUSTY_HOME: join(dir, 'home'),
  DUSTY_PROJECT: PROJECT,
  DUSTY_HOSTS_FILE: join(dir, 'hosts'),
  DUSTY_ORIGINAL_CONFIG: join(dir, 'etc', 'config.yml'),
  NO_COLOR: '1',
};
const TOOL_IMAGE = 'e2ecompat-tool:local';
const dusty = (...args: string[]): Promise<RunResult> =>
  run('node', [join(ROOT, 'bin', 'dusty.js'), ...args], { env, timeoutMs: 280_000 });
const must = async (...args: string[]) => ok(await dusty(...args), `dusty ${args.join(' ')}`);
const docker = async (...args: string[]) => ok(await run('docker', args), `docker ${args[0]}`);

function write(path: string, text: string) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

beforeAll(async () => {
  write(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  // run.sh at the repo's root, found through PATH as the original's docs use it.
  write(
    join(repo, 'run.sh'),
    '#!/bin/sh\necho "$GREETING $(pwd) $(id -u)" > /tmp/out\necho "always ran"\nexec tail -f /dev/null\n',
  );
  chmodSync(join(repo, 'run.sh'), 0o755);
  write(join(specs, 'bundles', 'main.yml'), 'description: the live one\napps: [web, tool]\n');
  // An app without a mount, on an image whose working directory is not /.
  write(join(dir, 'tool', 'Dockerfile'), 'FROM dusty-busybox:local\nWORKDIR /srv/tool\n');
  ok(await run('docker', ['build', '-q', '-t', TOOL_IMAGE, join(dir, 'tool')]), 'docker build');
  write(
    join(specs, 'apps', 'tool.yml'),
    [
      `image: ${TOOL_IMAGE}`,
      'commands:',
      '  always: [pwd > /tmp/started-in, exec tail -f /dev/null]',
      'scripts:',
      '  - {name: where, description: prints where it runs, command: [pwd]}',
    ].join('\n'),
  );
  write(join(specs, 'bundles', 'stale.yml'), 'description: nobody uses it\napps: [gone]\n');
  write(join(specs, 'apps', 'broken.yml'), 'imagee: typo\ncommands: {always: [x]}\n');
  write(
    join(specs, 'apps', 'web.yml'),
    [
      `repo: ${repo}`,
      'mount: /web',
      'image: dusty-busybox:local',
      'depends: {services: [db]}',
      'commands:',
      '  once:',
      '    - echo "once ran"',
      '    - export GREETING=hello',
      '    - cd /tmp',
      '  always: run.sh',
      'assets:',
      '  - {name: web_key, path: conf/key.txt}',
      'compose:',
      '  volumes: ["webdata:/data"]',
      'test:',
      '  image: dusty-busybox:local',
      '  suites:',
      '    - name: svc',
      '      services: [db]',
      '      compose: {environment: {WHO: suite}, shm_size: 8m}',
      '      command:',
      '        - wget -q -O - http://localhost:6379/ && wget -q -O - http://db:6379/ && echo "who=$WHO"',
    ].join('\n'),
  );
  write(
    join(specs, 'services', 'db.yml'),
    [
      'image: dusty-busybox:local',
      'init: true',
      "command: ['sh', '-c', 'mkdir -p /d && echo served > /d/index.html && exec httpd -f -p 6379 -h /d']",
    ].join('\n'),
  );
  // The original install's config, as its yaml.dump wrote it.
  write(
    join(dir, 'etc', 'config.yml'),
    [
      'bundles:',
      '- main',
      'mac_username: alice',
      'repo_overrides: {}',
      `specs_repo: ${specs}`,
      'dusty_env_overrides:',
      '  db:',
      '    FROM_ORIGINAL: yes-it-is',
      "vm_memory_size: '2048'",
      '',
    ].join('\n'),
  );
  write(join(dir, 'key.txt'), 'secret-key\n');
});

afterAll(async () => {
  await run('docker', [
    'rm',
    '-f',
    `${PROJECT}_web_1`,
    `${PROJECT}_db_1`,
    `${PROJECT}_tool_1`,
    `${PROJECT}_dusty-router_1`,
  ]);
  await run('docker', ['rmi', '-f', TOOL_IMAGE]);
  await run('docker', ['network', 'rm', `${PROJECT}_dusty`]);
  await run('docker', ['volume', 'rm', `${PROJECT}_webdata`]);
  rmSync(dir, { recursive: true, force: true });
});

describe('a team coming from the original Dusty', () => {
  it('is offered the import by the first run and by doctor, whose --fix imports', async () => {
    const original = join(dir, 'etc', 'config.yml');
    const first = await dusty('bundles', 'list');
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain(`\`dusty config import ${original}\``);
    const doctor = await dusty('doctor');
    expect(doctor.stdout).toMatch(/original Dusty.*not yet/);
    expect(doctor.stdout).toContain(`dusty config import ${original}`);
    const fixed = await dusty('doctor', '--fix', '--yes');
    expect(fixed.stdout).toContain(`imported ${original}: specs_repo: ${specs}`);
    expect((await must('config', 'listvalues')).stdout).toContain(`specs_repo: ${specs}`);
    // Once imported, nobody is offered it again.
    expect((await dusty('doctor')).stdout).not.toContain('dusty config import');
  });

  it('imports the original install and shows what it imported', async () => {
    const r = await must('config', 'import', join(dir, 'etc', 'config.yml'));
    expect(r.stdout).toContain(`specs_repo: ${specs}`);
    expect(r.stdout).toContain('bundles: main');
    expect(r.stdout).toContain('env db: FROM_ORIGINAL');
    expect(r.stdout).toContain('mac_username: not used by this Dusty, not imported');
    expect((await must('bundles', 'list', '--json')).stdout).toContain('"active": true');
    await must('config', 'set', 'nginx_image', 'dusty-nginx:local');
    await must('assets', 'set', 'web_key', join(dir, 'key.txt'));
  });

  it('runs `dusty up` with a stale bundle and a broken unused spec, warning about them', async () => {
    const r = await must('up');
    expect(r.stdout + r.stderr).toMatch(
      /bundles\/stale\.yml.*does not exist.*not used by what runs now/,
    );
    expect(r.stdout + r.stderr).toMatch(/apps\/broken\.yml/);
    // `dusty validate` still reports both as errors.
    const v = await dusty('validate');
    expect(v.code).toBe(1);
  });

  it('names containers <project>_<name>_1 and runs the app as root in the original order', async () => {
    const out = await docker('exec', `${PROJECT}_web_1`, 'cat', '/tmp/out');
    // once's export and cd still hold in always; run.sh was found through PATH.
    expect(out.stdout.trim()).toBe('hello /tmp 0');
    await docker('exec', `${PROJECT}_db_1`, 'true');
    const env = await docker('exec', `${PROJECT}_db_1`, 'sh', '-c', 'echo $FROM_ORIGINAL');
    expect(env.stdout.trim()).toBe('yes-it-is');
  });

  it('shows `once` output in `dusty logs`, and runs `once` on the first start only', async () => {
    const times = (text: string, line: string) => text.split('\n').filter((l) => l === line).length;
    const logs = async () => {
      const r = await must('logs', 'web');
      return r.stdout + r.stderr;
    };
    const first = await logs();
    expect(times(first, 'once ran')).toBe(1);
    expect(times(first, 'always ran')).toBe(1);
    await must('restart', 'web');
    let after = await logs();
    for (let i = 0; i < 50 && times(after, 'always ran') < 2; i++) {
      await sleep(200);
      after = await logs();
    }
    expect(times(after, 'always ran')).toBe(2);
    expect(times(after, 'once ran')).toBe(1);
  });

  it('refuses a name no spec has in stop, restart, logs, scripts and shell, listing the known ones', async () => {
    for (const cmd of ['stop', 'restart', 'logs', 'scripts', 'shell']) {
      const r = await dusty(cmd, 'nope');
      expect(r.code, `dusty ${cmd} nope`).not.toBe(0);
      expect(r.stderr, `dusty ${cmd} nope`).toMatch(/named "nope"; (known|apps): /);
      // scripts runs in apps only; the others name services too.
      for (const name of cmd === 'scripts' ? ['web', 'tool'] : ['web', 'tool', 'db'])
        expect(r.stderr, `dusty ${cmd} nope`).toMatch(new RegExp(`(: |, )${name}(,|$)`, 'm'));
    }
  });

  it("starts an app without a mount, and runs its scripts, in its image's working directory", async () => {
    const started = await docker('exec', `${PROJECT}_tool_1`, 'cat', '/tmp/started-in');
    expect(started.stdout.trim()).toBe('/srv/tool');
    const r = await must('scripts', 'tool', 'where');
    expect(r.stdout.trim()).toBe('/srv/tool');
  });

  it('places a relative asset under the mount and keeps a named volume after stop --rm', async () => {
    const key = await docker('exec', `${PROJECT}_web_1`, 'cat', '/web/conf/key.txt');
    expect(key.stdout).toBe('secret-key\n');
    await docker('exec', `${PROJECT}_web_1`, 'sh', '-c', 'echo kept > /data/f');
    await must('stop', '--rm');
    await docker('volume', 'inspect', `${PROJECT}_webdata`);
  });

  it('runs a suite whose service answers on localhost and by name, with the suite compose applied', async () => {
    const r = await must('test', 'web', 'svc');
    expect(r.stdout).toContain('served\nserved\nwho=suite');
  });

  it('takes a repo by its short name and refuses env unset without a variable', async () => {
    await must('repos', 'override', 'web-repo', repo);
    expect((await must('repos', 'list', '--json')).stdout).toContain('"overridden"');
    await must('repos', 'manage', '--all');
    const bad = await dusty('env', 'unset', 'db');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('dusty env unset APP --all');
    await must('env', 'unset', 'db', '--all');
    expect((await dusty('env', 'list', 'nope')).code).not.toBe(0);
  });
});

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('image_requires_login, against a local registry that wants a password', () => {
  const base = join(dir, 'registry');
  const home = join(base, 'home');
  const loggedIn = join(base, 'docker-logged-in');
  const anonymous = join(base, 'docker-anonymous');
  const regProject = 'e2ecompatreg';
  let registry: ChildProcess | undefined;
  let host = '';
  let image = '';
  const as = (dockerConfig: string, ...args: string[]) =>
    run('node', [join(ROOT, 'bin', 'dusty.js'), ...args], {
      env: {
        ...env,
        DUSTY_HOME: home,
        DUSTY_PROJECT: regProject,
        DUSTY_HOSTS_FILE: join(base, 'hosts'),
        DOCKER_CONFIG: dockerConfig,
      },
      timeoutMs: 280_000,
    });

  beforeAll(async () => {
    host = `127.0.0.1:${await freePort()}`;
    image = `${host}/team/private:1`;
    write(join(base, 'hosts'), '127.0.0.1 localhost\n');
    mkdirSync(anonymous, { recursive: true });
    // The Debian package's registry (scripts/setup.sh installs it), with htpasswd (bcrypt) users.
    const users = ok(await run('htpasswd', ['-Bbn', 'alice', 's3cret']), 'htpasswd');
    write(join(base, 'htpasswd'), users.stdout);
    write(
      join(base, 'config.yml'),
      [
        'version: 0.1',
        `storage: {filesystem: {rootdirectory: ${join(base, 'data')}}}`,
        `http: {addr: "${host}"}`,
        `auth: {htpasswd: {realm: dusty-e2e, path: ${join(base, 'htpasswd')}}}`,
      ].join('\n'),
    );
    registry = spawn('docker-registry', ['serve', join(base, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const r = await run('curl', [
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        `http://${host}/v2/`,
      ]);
      if (r.stdout === '401') break;
      await sleep(100);
    }
    const docker = (...args: string[]) =>
      run('docker', args, { env: { ...process.env, DOCKER_CONFIG: loggedIn }, input: 's3cret' });
    ok(await docker('login', host, '-u', 'alice', '--password-stdin'), 'docker login');
    ok(await docker('tag', 'dusty-busybox:local', image), 'docker tag');
    ok(await docker('push', image), 'docker push');
    // Only the registry has it now, so `up` must pull.
    ok(await docker('rmi', image), 'docker rmi');
    const regSpecs = join(base, 'specs');
    write(join(regSpecs, 'bundles', 'private.yml'), 'apps: [private]\n');
    write(
      join(regSpecs, 'apps', 'private.yml'),
      [
        `image: ${image}`,
        'image_requires_login: true',
        'commands: {always: exec tail -f /dev/null}',
      ].join('\n'),
    );
    for (const args of [
      ['config', 'set', 'specs_repo', regSpecs],
      ['config', 'set', 'nginx_image', 'dusty-nginx:local'],
      ['bundles', 'activate', 'private'],
    ])
      ok(await as(anonymous, ...args), `dusty ${args.join(' ')}`);
  });

  afterAll(async () => {
    registry?.kill();
    await run('docker', ['rm', '-f', `${regProject}_private_1`, `${regProject}_dusty-router_1`]);
    await run('docker', ['network', 'rm', `${regProject}_dusty`]);
    await run('docker', ['rmi', '-f', image]);
  });

  it('says `docker login REGISTRY` is needed when the pull is refused', async () => {
    const r = await as(anonymous, 'up');
    expect(r.code).not.toBe(0);
    // The registry's refusal, not some other failure, and what to run about it.
    expect(r.stderr).toContain(': no basic auth credentials (the registry needs your credentials');
    expect(r.stderr).toContain(`run \`docker login ${host}\`, then try again`);
  });

  it("pulls with the credentials `docker login` left in Docker's config", async () => {
    ok(await as(loggedIn, 'up'), 'dusty up');
    const state = await run('docker', [
      'inspect',
      '-f',
      '{{.State.Running}} {{.Config.Image}}',
      `${regProject}_private_1`,
    ]);
    expect(state.stdout.trim()).toBe(`true ${image}`);
  });
});
