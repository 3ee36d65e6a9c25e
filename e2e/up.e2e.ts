/**
 * `dusty up` and the life of the demo environment (examples/) on the real
 * Docker engine: pages at their host names, app to app, stream forwarding,
 * libs and scripts, `once`, env overrides, recovering from a killed or
 * removed container or network, no-op and forced recreation, and stop.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DustyCli, ok } from './support/dusty.js';
import { expectHostsKept } from './support/expect-hosts.js';

const PORTS = { web: 28181, api: 28182, echo: 28177 };
const cli = new DustyCli('e2eup', PORTS);
const SERVICES = ['api', 'cache', 'dusty-router', 'echo', 'web'];
const HOST_NAMES = ['api.demo.test', 'echo.demo.test', 'web.demo.test'];
/** What web's /cgi-bin/hello prints: its lib's greeting, then api's answer, which includes the cache's. */
const chain = (apiName: string) => `web: Hello, web!\napi: ${apiName} sees cache: cached`;

async function states(): Promise<Record<string, string>> {
  const cs = await cli.containers();
  return Object.fromEntries([...cs.values()].map((c) => [c.service, c.state]));
}

const allRunning = () => Object.fromEntries(SERVICES.map((s) => [s, 'running']));

async function expectEverythingAnswering(apiName = 'demo-api'): Promise<void> {
  expect(await states()).toEqual(allRunning());
  const hello = await cli.httpUntil('web.demo.test', PORTS.web, '/cgi-bin/hello', (b) =>
    b.includes('sees cache: cached'),
  );
  expect(hello.body.trim()).toBe(chain(apiName));
  const token = `line-${randomBytes(4).toString('hex')}`;
  expect(await cli.streamEcho('echo.demo.test', PORTS.echo, token)).toBe(`${token}\n`);
  expectHostsKept(cli, HOST_NAMES);
}

async function onceCount(): Promise<string> {
  return ok(await cli.dusty('scripts', 'web', 'once-count'), 'once-count').stdout.trim();
}

beforeAll(async () => {
  cli.editSpec('apps/web.yml', (t) =>
    t.replace(
      '\ntest:',
      [
        '  - name: fail',
        '    description: Prints a line and exits with code 3',
        '    command:',
        '      - echo about to fail',
        '      - exit 3',
        '  - name: args',
        '    description: Shows where arguments go',
        '    command:',
        '      - echo first',
        "      - printf '[%s]\\n'",
        '',
        'test:',
      ].join('\n'),
    ),
  );
  await cli.configure();
});

afterAll(async () => {
  await cli.destroy();
});

describe('dusty up from nothing', () => {
  it('starts every container of the active bundles and keeps the personal hosts lines', async () => {
    expect((await cli.containers()).size).toBe(0);
    const r = await cli.must('up');
    expect(r.stdout).toContain(`http://web.demo.test:${PORTS.web}`);
    expect(r.stdout).toContain(`http://api.demo.test:${PORTS.api}`);
    expect(r.stdout).toContain(`tcp://echo.demo.test:${PORTS.echo}`);
    expect(await states()).toEqual(allRunning());
    expectHostsKept(cli, HOST_NAMES);
  });

  it('serves web.demo.test and api.demo.test through the router', async () => {
    const web = await cli.httpUntil('web.demo.test', PORTS.web, '/', (_b, s) => s === 200);
    expect(web.status).toBe(200);
    expect(web.body).toContain('<h1>Dusty demo: web</h1>');
    const api = await cli.httpUntil('api.demo.test', PORTS.api, '/', (_b, s) => s === 200);
    expect(api.status).toBe(200);
    expect(api.body).toContain('<p>api</p>');
    expect(api.body).not.toContain('Dusty demo: web');
  });

  it('lets web reach api by its host name and api reach the cache by its name', async () => {
    const r = await cli.httpUntil('web.demo.test', PORTS.web, '/cgi-bin/hello', (b) =>
      b.includes('sees cache'),
    );
    expect(r.status).toBe(200);
    expect(r.body.trim()).toBe(chain('demo-api'));
  });

  it('echoes a line sent to the stream port of echo.demo.test', async () => {
    const token = `ping-${randomBytes(4).toString('hex')}`;
    expect(await cli.streamEcho('echo.demo.test', PORTS.echo, token)).toBe(`${token}\n`);
  });
});

describe('scripts', () => {
  it('runs the greet script of the installed greeting lib with the names given', async () => {
    const r = await cli.must('scripts', 'web', 'greet', 'Ann', 'Bob');
    expect(r.stdout).toBe('Hello, Ann!\nHello, Bob!\n');
  });

  it('appends arguments to the last line only, each one quoted', async () => {
    const r = await cli.must('scripts', 'web', 'args', 'a', 'b c', '$HOME');
    expect(r.stdout).toBe('first\n[a]\n[b c]\n[$HOME]\n');
  });

  it("exits with the script's exit code", async () => {
    const r = await cli.dusty('scripts', 'web', 'fail');
    expect(r.stdout).toContain('about to fail');
    expect(r.code).toBe(3);
  });

  it('lists the scripts of an app when no script is named', async () => {
    const r = await cli.must('scripts', 'web');
    for (const [name, description] of [
      ['greet', 'Greet each name given as an argument'],
      ['once-count', 'How many times the once commands have run in this container'],
      ['fail', 'Prints a line and exits with code 3'],
      ['args', 'Shows where arguments go'],
    ])
      expect(r.stdout).toMatch(new RegExp(`^${name}\\s+${description}$`, 'm'));
  });
});

describe('status', () => {
  it('reports every container and the lib as JSON', async () => {
    const rows = JSON.parse((await cli.must('status', '--json')).stdout) as Record<
      string,
      unknown
    >[];
    // A lib has no container, so no phase; every other row names its phase.
    for (const row of rows)
      expect(Object.keys(row).sort()).toEqual(
        [
          'container',
          'health',
          'kind',
          'name',
          ...(row.kind === 'lib' ? [] : ['phase']),
          'state',
          'urls',
        ].sort(),
      );
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect([...byName.keys()].sort()).toEqual([...SERVICES, 'greeting'].sort());
    expect(byName.get('web')).toMatchObject({
      kind: 'app',
      state: 'running',
      phase: 'running',
      health: null,
      urls: [
        {
          url: `http://web.demo.test:${PORTS.web}`,
          ok: true,
          status: 200,
          ms: expect.any(Number) as number,
        },
      ],
    });
    expect(String(byName.get('web')!.container)).toMatch(/^e2eup[_-]web[_-]1$/);
    expect(byName.get('echo')).toMatchObject({
      urls: [{ url: `tcp://echo.demo.test:${PORTS.echo}`, ok: true, status: null }],
    });
    expect(byName.get('cache')).toMatchObject({ kind: 'service', state: 'running', urls: [] });
    expect(byName.get('dusty-router')).toMatchObject({ kind: 'router', state: 'running' });
    expect(byName.get('greeting')).toMatchObject({ kind: 'lib', container: null, urls: [] });
    expect(String(byName.get('greeting')!.state)).toContain('web');
  });
});

describe('up again', () => {
  it('recreates nothing when nothing changed, and once does not run again', async () => {
    expect(await onceCount()).toBe('1');
    const before = await cli.containers();
    await cli.must('up');
    const after = await cli.containers();
    expect([...after.values()].map((c) => [c.service, c.id, c.startedAt])).toEqual(
      [...before.values()].map((c) => [c.service, c.id, c.startedAt]),
    );
    expect(await onceCount()).toBe('1');
  });

  it('does not run once again when web is restarted', async () => {
    const before = (await cli.containers()).get('web')!;
    await cli.must('restart', 'web');
    const after = (await cli.containers()).get('web')!;
    expect(after.id).toBe(before.id);
    expect(after.startedAt).not.toBe(before.startedAt);
    expect(await onceCount()).toBe('1');
    await expectEverythingAnswering();
  });

  it('brings back a killed container', async () => {
    ok(await cli.docker('kill', await cli.idOf('web')), 'docker kill');
    expect((await states()).web).toBe('exited');
    await cli.must('up');
    await expectEverythingAnswering();
  });

  it('brings back a removed container', async () => {
    ok(await cli.docker('rm', '-f', await cli.idOf('api')), 'docker rm');
    expect((await cli.containers()).has('api')).toBe(false);
    await cli.must('up');
    await expectEverythingAnswering();
  });

  it('brings back a removed network', async () => {
    const ids = [...(await cli.containers()).values()].map((c) => c.id);
    ok(await cli.docker('stop', '-t', '1', ...ids), 'docker stop');
    ok(await cli.docker('network', 'rm', `${cli.project}_dusty`), 'docker network rm');
    await cli.must('up');
    await expectEverythingAnswering();
  });

  it('recreates every container with --recreate, running once in each new web', async () => {
    const before = await cli.containers();
    await cli.must('up', '--recreate');
    const after = await cli.containers();
    expect([...after.keys()].sort()).toEqual(SERVICES);
    for (const s of SERVICES) expect(after.get(s)!.id, s).not.toBe(before.get(s)!.id);
    expect(await onceCount()).toBe('1');
    await expectEverythingAnswering();
  });
});

describe('environment overrides', () => {
  it("win over the spec's compose.environment and keep $ literal", async () => {
    await cli.must('env', 'set', 'api', 'API_NAME', 'changed');
    await cli.must('env', 'set', 'api', 'LITERAL', '$HOME/x ${USER}');
    const webBefore = await cli.idOf('web');
    await cli.must('up');
    await expectEverythingAnswering('changed');
    const r = ok(await cli.exec('api', 'sh', '-c', 'printf "%s\\n" "$LITERAL"'), 'LITERAL');
    expect(r.stdout).toBe('$HOME/x ${USER}\n');
    expect(await cli.idOf('web')).toBe(webBefore);
  });
});

describe('stop', () => {
  it('shows the not-answering page within seconds of an app stopping, while the router still has its address', async () => {
    // A request just before the stop leaves web's address in the router's resolver cache (2 s).
    expect((await cli.http('web.demo.test', PORTS.web, '/')).status).toBe(200);
    ok(await cli.docker('stop', '-t', '1', await cli.idOf('web')), 'docker stop');
    const t0 = Date.now();
    const page = await cli.http('web.demo.test', PORTS.web, '/');
    expect(page.status, page.body).toBe(502);
    expect(page.body).toContain('web is not answering');
    expect(Date.now() - t0).toBeLessThan(5_000);
    ok(await cli.docker('start', await cli.idOf('web')), 'docker start');
    expect(
      (await cli.httpUntil('web.demo.test', PORTS.web, '/', (_b, status) => status === 200)).status,
    ).toBe(200);
  });

  it('stops only web with `stop web`, and commands on web say how to start it', async () => {
    await cli.must('stop', 'web');
    expect(await states()).toEqual({ ...allRunning(), web: 'exited' });
    const r = await cli.dusty('scripts', 'web', 'greet', 'Ann');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('web is not running');
    expect(r.stderr).toContain('dusty up');
    const page = await cli.http('web.demo.test', PORTS.web, '/');
    expect(page.status, page.body).toBe(502);
    expect(page.body).toContain('web is not answering');
    expect(page.body).toContain('dusty logs web');
  });

  it('stops every container', async () => {
    await cli.must('stop');
    expect(await states()).toEqual(Object.fromEntries(SERVICES.map((s) => [s, 'exited'])));
    expectHostsKept(cli, HOST_NAMES);
  });

  it('removes every container with --rm, after which commands say to run up', async () => {
    await cli.must('stop', '--rm');
    expect((await cli.containers()).size).toBe(0);
    const r = await cli.dusty('cp', cli.hostsFile, 'web:/tmp/x');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('web has no container');
    expect(r.stderr).toContain('dusty up');
    expectHostsKept(cli, HOST_NAMES);
  });
});
