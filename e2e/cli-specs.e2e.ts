/**
 * The built `dusty` CLI, spawned for real against a temporary DUSTY_HOME:
 * validate, compile, config, bundles, env and assets, their output, exit
 * codes and the files they leave behind.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'dusty.js');
const EXAMPLE_SPECS = join(ROOT, 'src-main/engine/specs/fixtures/dusty-example-specs');

let tmp: string;
let home: string;
const tmps: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `dusty ARGS...` with this test's DUSTY_HOME and no colours. */
function dusty(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, DUSTY_HOME: home, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed, showing its stderr when it does not. */
function ok(...args: string[]): Run {
  const r = dusty(...args);
  expect(r.code, `dusty ${args.join(' ')} failed:\n${r.stderr}`).toBe(0);
  return r;
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** A specs repo: the 2015 example plus an app that declares assets. */
function makeSpecsRepo(): string {
  const repo = join(tmp, 'specs');
  cpSync(EXAMPLE_SPECS, repo, { recursive: true });
  writeFileSync(
    join(repo, 'apps', 'secrets.yml'),
    [
      'image: busybox',
      'assets:',
      '  - {name: api_key, path: /etc/api.key}',
      '  - {name: optional_cert, path: /etc/cert.pem, required: false}',
      'commands: {always: [sleep 1000]}',
    ].join('\n'),
  );
  writeFileSync(join(repo, 'bundles', 'secrets.yml'), 'apps: [secrets]\n');
  return repo;
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src-main/cli/main.js'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.node.json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  }
});

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dusty-cli-'));
  tmps.push(tmp);
  home = join(tmp, 'home');
});

afterAll(() => {
  for (const t of tmps) rmSync(t, { recursive: true, force: true });
});

describe('dusty validate', () => {
  it('prints the version from package.json', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const args of [['--version'], ['-v'], ['version']]) {
      const r = dusty(...args);
      expect([r.code, r.stdout], `dusty ${args.join(' ')}`).toEqual([0, `${version}\n`]);
    }
  });

  it('says the example specs repo is valid and exits 0', () => {
    const r = ok('validate', EXAMPLE_SPECS);
    expect(r.stdout).toBe('valid: 9 apps, 2 services, 1 libs, 5 bundles\n');
    expect(r.stderr).toBe('');
  });

  it('prints each problem as "error: FILE: PATH: message" and exits 1', () => {
    const repo = join(tmp, 'bad');
    mkdirSync(join(repo, 'apps'), { recursive: true });
    mkdirSync(join(repo, 'bundles'), { recursive: true });
    writeFileSync(join(repo, 'apps', 'x.yml'), 'image: x\ndepends: {apps: [ghost]}\nimge: y\n');
    writeFileSync(join(repo, 'bundles', 'b.yml'), 'description: nothing\n');
    const r = dusty('validate', repo);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      'warning: apps/x.yml: imge: unknown key; did you mean "image"?',
      'error: apps/x.yml: depends.apps[0]: app "ghost" does not exist (known: x)',
      'error: bundles/b.yml: a bundle needs at least one entry in apps or services, found neither',
      '2 error(s), 1 warning(s)',
      '',
    ]);
    expect(r.stdout).toBe('');
  });

  it('exits 0 with only warnings, and counts them', () => {
    const repo = join(tmp, 'warn');
    mkdirSync(join(repo, 'apps'), { recursive: true });
    writeFileSync(join(repo, 'apps', 'x.yml'), 'image: x\ncompose: {command: run}\n');
    const r = ok('validate', repo);
    expect(r.stderr).toBe(
      'warning: apps/x.yml: compose.command: Dusty sets command itself (from commands and mount); this value has no effect\n',
    );
    expect(r.stdout).toBe('valid: 1 apps, 0 services, 0 libs, 0 bundles, 1 warning(s)\n');
  });

  it('prints problems as JSON with --json', () => {
    const repo = join(tmp, 'bad');
    mkdirSync(join(repo, 'apps'), { recursive: true });
    writeFileSync(join(repo, 'apps', 'x.yml'), 'depends: {apps: [ghost]}\n');
    const r = dusty('validate', repo, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      problems: [
        {
          severity: 'error',
          file: 'apps/x.yml',
          path: 'image',
          message: 'expected one of image or build, found neither',
        },
        {
          severity: 'error',
          file: 'apps/x.yml',
          path: 'depends.apps[0]',
          message: 'app "ghost" does not exist (known: x)',
        },
      ],
    });
  });

  it('tells how to configure a specs repo when none is set, and exits 1', () => {
    const r = dusty('validate');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no specs repo is configured: run `dusty config set specs_repo');
  });

  it('exits 2 on a command it does not know', () => {
    expect(dusty('valiate').code).toBe(2);
  });
});

describe('dusty config', () => {
  it('sets, gets and lists settings, in a file only this user can read', () => {
    expect(ok('config', 'set', 'specs_repo', EXAMPLE_SPECS).stdout).toBe(
      `specs_repo = ${EXAMPLE_SPECS}\n`,
    );
    expect(ok('config', 'get', 'specs_repo').stdout).toBe(`${EXAMPLE_SPECS}\n`);
    ok('config', 'set', 'pull_repos', 'false');
    expect(ok('config', 'get', 'pull_repos').stdout).toBe('false\n');
    expect(ok('config', 'get', 'nginx_image').stdout).toBe('nginx:stable\n');
    const list = JSON.parse(ok('config', 'list', '--json').stdout) as Record<string, unknown>;
    expect(list).toMatchObject({
      specs_repo: EXAMPLE_SPECS,
      pull_repos: false,
      nginx_image: 'nginx:stable',
    });
    expect(ok('config', 'list').stdout).toMatch(
      /^specs_repo\s+\/.*dusty-example-specs\s+the specs repo/m,
    );
    expect(mode(join(home, 'config.json'))).toBe(0o600);
    expect(mode(home)).toBe(0o700);
  });

  it('resolves a ./relative specs repo path to an absolute one', () => {
    cpSync(EXAMPLE_SPECS, join(tmp, 'rel'), { recursive: true });
    expect(ok('config', 'set', 'specs_repo', './rel').stdout).toBe(
      `specs_repo = ${join(tmp, 'rel')}\n`,
    );
  });

  it('refuses an unknown key and lists the known ones', () => {
    for (const args of [
      ['set', 'specs_rep', 'x'],
      ['get', 'nope'],
    ]) {
      const r = dusty('config', ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `unknown config key "${args[1]}"; known keys: specs_repo, nginx_image, vm_provider, pull_repos, publish_address`,
      );
    }
    expect(existsSync(join(home, 'config.json'))).toBe(false);
  });

  it('refuses a value that does not fit the key', () => {
    const r = dusty('config', 'set', 'vm_provider', 'virtualbox');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('config vm_provider:');
    expect(r.stderr).toContain(
      'where the engine runs: auto, native, docker-desktop, orbstack, rancher-desktop, podman, colima, docker-machine, remote',
    );
  });
});

describe('dusty bundles', () => {
  beforeEach(() => {
    ok('config', 'set', 'specs_repo', EXAMPLE_SPECS);
  });

  it('lists bundles as JSON with name, description, active, apps and services', () => {
    const rows = JSON.parse(ok('bundles', 'list', '--json').stdout) as unknown[];
    expect(rows).toHaveLength(5);
    expect(rows).toContainEqual({
      name: 'hello-world',
      description: 'Hello world! Two running copies of a simple Flask app.',
      active: false,
      apps: ['flaskone', 'flasktwo'],
      services: [],
    });
    for (const row of rows)
      expect(Object.keys(row as object).sort()).toEqual([
        'active',
        'apps',
        'description',
        'name',
        'services',
      ]);
  });

  it('activates and deactivates bundles, and the list shows it', () => {
    expect(ok('bundles', 'activate', 'hello-world', 'watchdog').stdout).toBe(
      'activated hello-world, watchdog; run `dusty up` to apply\n',
    );
    const active = () =>
      (JSON.parse(ok('bundles', 'list', '--json').stdout) as { name: string; active: boolean }[])
        .filter((b) => b.active)
        .map((b) => b.name);
    expect(active()).toEqual(['hello-world', 'watchdog']);
    expect(ok('bundles', 'list').stdout).toMatch(/^●\s+hello-world\s+Hello world!/m);
    expect(ok('bundles', 'list').stdout).toMatch(/^○\s+fileserver\s+/m);
    ok('bundles', 'deactivate', 'watchdog');
    expect(active()).toEqual(['hello-world']);
    expect(mode(join(home, 'state.json'))).toBe(0o600);
  });

  it('refuses an unknown bundle, lists the known ones and changes nothing', () => {
    ok('bundles', 'activate', 'fileserver');
    const r = dusty('bundles', 'activate', 'hello-world', 'hello-wrld');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'unknown bundle(s): hello-wrld; known bundles: fileserver, hello-world, ipython-notebook, mongo-cluster, watchdog',
    );
    const state = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as {
      activeBundles: string[];
    };
    expect(state.activeBundles).toEqual(['fileserver']);
  });
});

describe('dusty compile', () => {
  it('writes docker-compose.yml, nginx.conf and hosts for the active bundles to --out', () => {
    ok('config', 'set', 'specs_repo', EXAMPLE_SPECS);
    ok('bundles', 'activate', 'hello-world');
    const out = join(tmp, 'out');
    const r = ok('compile', '--out', out);
    expect(r.stdout).toContain(`wrote ${out}/docker-compose.yml, nginx.conf, hosts`);
    expect(r.stdout).toMatch(
      /^flaskone\s+app\s+python:2\.7\.10\s+http:\/\/local\.flaskone\.com https:\/\/local\.flaskone\.com\s+persistent_mongo$/m,
    );
    const compose = parse(readFileSync(join(out, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, unknown>;
    };
    expect(Object.keys(compose.services).sort()).toEqual([
      'dusty-router',
      'flaskone',
      'flasktwo',
      'persistent_mongo',
    ]);
    expect(readFileSync(join(out, 'hosts'), 'utf8')).toBe(
      '# BEGIN section for Dusty\n127.0.0.1 local.flaskone.com\n127.0.0.1 local.flasktwo.com\n# END section for Dusty\n',
    );
    expect(readFileSync(join(out, 'nginx.conf'), 'utf8')).toContain(
      'server_name local.flasktwo.com;',
    );
  });

  it('compiles the bundles given with --bundles and the specs given with --specs', () => {
    const out = join(tmp, 'out');
    ok('compile', '--specs', EXAMPLE_SPECS, '--bundles', 'mongo-cluster', '--out', out);
    const text = readFileSync(join(out, 'docker-compose.yml'), 'utf8');
    expect(text).toContain('network_mode: service:mongo_cluster1');
    expect(text).not.toContain('flaskone');
  });

  it('refuses invalid specs, listing the errors and writing nothing', () => {
    const repo = join(tmp, 'bad');
    mkdirSync(join(repo, 'apps'), { recursive: true });
    mkdirSync(join(repo, 'bundles'), { recursive: true });
    writeFileSync(join(repo, 'apps', 'x.yml'), 'image: x\ndepends: {apps: [ghost]}\n');
    // Only what the chosen bundles reach is checked as an error (a stale spec is a warning).
    writeFileSync(join(repo, 'bundles', 'b.yml'), 'apps: [x]\n');
    const out = join(tmp, 'out');
    const r = dusty('compile', '--specs', repo, '--bundles', 'b', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: apps/x.yml: depends.apps[0]: app "ghost" does not exist (known: x)',
    );
    expect(r.stderr).toContain('the specs are invalid; nothing was changed');
    expect(existsSync(out)).toBe(false);
  });

  it('names the required assets that are not set', () => {
    ok('config', 'set', 'specs_repo', makeSpecsRepo());
    ok('bundles', 'activate', 'secrets');
    const r = ok('compile', '--out', join(tmp, 'out'));
    expect(r.stdout).toContain('required assets not set: api_key (app secrets)');
    expect(r.stdout).not.toContain('optional_cert');
  });
});

describe('dusty env', () => {
  beforeEach(() => {
    ok('config', 'set', 'specs_repo', EXAMPLE_SPECS);
  });

  it('sets, lists and unsets one variable, keeping `$` as typed', () => {
    expect(ok('env', 'set', 'flaskone', 'MODE', 'a$b c').stdout).toBe(
      'set MODE for flaskone; run `dusty up` to apply\n',
    );
    expect(JSON.parse(ok('env', 'list', '--json').stdout)).toEqual({ flaskone: { MODE: 'a$b c' } });
    expect(ok('env', 'list').stdout).toMatch(/^flaskone\s+MODE\s+a\$b c$/m);
    expect(mode(join(home, 'state.json'))).toBe(0o600);
    ok('env', 'unset', 'flaskone', 'MODE');
    expect(JSON.parse(ok('env', 'list', '--json').stdout)).toEqual({});
    expect(ok('env', 'list').stdout).toBe('no environment overrides\n');
  });

  it('reads variables from an env file with --file', () => {
    const file = join(tmp, 'vars.env');
    writeFileSync(file, '# comment\nA=1\nexport B="two words"\n\nC=\'x=y\'\n');
    expect(ok('env', 'set', 'persistent_mongo', '--file', file).stdout).toBe(
      'set A, B, C for persistent_mongo; run `dusty up` to apply\n',
    );
    expect(JSON.parse(ok('env', 'list', 'persistent_mongo', '--json').stdout)).toEqual({
      persistent_mongo: { A: '1', B: 'two words', C: 'x=y' },
    });
    ok('env', 'unset', 'persistent_mongo', '--all');
    expect(JSON.parse(ok('env', 'list', '--json').stdout)).toEqual({});
  });

  it('names the line of a broken env file and sets nothing', () => {
    const file = join(tmp, 'bad.env');
    writeFileSync(file, 'A=1\nnot a variable\n');
    const r = dusty('env', 'set', 'flaskone', '--file', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2: expected KEY=VALUE, found "not a variable"`);
    expect(JSON.parse(ok('env', 'list', '--json').stdout)).toEqual({});
  });

  it('refuses an app or service that does not exist, and a bad variable name', () => {
    const r = dusty('env', 'set', 'flaskonee', 'A', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no app or service is named "flaskonee"; known: ');
    const bad = dusty('env', 'set', 'flaskone', '1A', 'x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"1A" is not a valid variable name');
  });

  it('refuses, changing nothing, when it cannot check the name, and says why', () => {
    const missing = join(tmp, 'no-such-specs');
    ok('config', 'set', 'specs_repo', missing);
    const r = dusty('env', 'set', 'flaskone', 'A', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cannot check that "flaskone" is an app or service, so nothing was changed: cannot read the specs repo at ${missing}: ENOENT`,
    );
    expect(JSON.parse(ok('env', 'list', '--json').stdout)).toEqual({});
  });

  it('names the file and problem of an app whose own spec does not load, and sets nothing', () => {
    const repo = join(tmp, 'specs');
    cpSync(EXAMPLE_SPECS, repo, { recursive: true });
    // Mid-edit: the file is there, its YAML is not valid.
    writeFileSync(join(repo, 'apps', 'flaskone.yml'), 'image: x\n  bad: [\n');
    ok('config', 'set', 'specs_repo', repo);
    const r = dusty('env', 'set', 'flaskone', 'A', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: apps\/flaskone\.yml: YAML syntax error at line 2/m);
    expect(r.stderr).toContain(
      'cannot check that "flaskone" is an app or service, so nothing was changed: apps/flaskone.yml does not load; fix it first',
    );
    expect(JSON.parse(ok('env', 'list', '--json').stdout)).toEqual({});
    // A broken spec elsewhere does not stop an override of a sound one.
    expect(ok('env', 'set', 'flasktwo', 'A', '1').stdout).toContain('set A for flasktwo');
  });

  it('puts the override in the compiled compose file, winning over the spec', () => {
    ok('env', 'set', 'flaskone', 'APP_NAME', 'Mine$1');
    const out = join(tmp, 'out');
    ok('compile', '--bundles', 'hello-world', '--out', out);
    const compose = parse(readFileSync(join(out, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { environment: Record<string, string> }>;
    };
    expect(compose.services.flaskone!.environment.APP_NAME).toBe('Mine$$1');
    expect(compose.services.flasktwo!.environment.APP_NAME).toBe('Flask Two');
  });
});

describe('dusty assets', () => {
  beforeEach(() => {
    ok('config', 'set', 'specs_repo', makeSpecsRepo());
  });

  it('stores a value privately, lists it without printing it, reads and unsets it', () => {
    const secret = 'TOP-SECRET-VALUE-4711';
    const file = join(tmp, 'key.txt');
    writeFileSync(file, secret);
    expect(ok('assets', 'set', 'api_key', file).stdout).toBe(
      `asset api_key set (${secret.length} bytes); run \`dusty up\` to apply\n`,
    );
    expect(mode(join(home, 'assets', 'api_key'))).toBe(0o600);
    expect(mode(join(home, 'assets'))).toBe(0o700);

    const list = ok('assets', 'list');
    expect(list.stdout).not.toContain(secret);
    expect(list.stdout).toMatch(/^api_key\s+app secrets\s+\/etc\/api\.key\s+required\s+set$/m);
    expect(list.stdout).toMatch(
      /^optional_cert\s+app secrets\s+\/etc\/cert\.pem\s+optional\s+not set$/m,
    );
    const json = ok('assets', 'list', '--json');
    expect(json.stdout).not.toContain(secret);
    expect(JSON.parse(json.stdout)).toEqual([
      { name: 'api_key', owner: 'app secrets', path: '/etc/api.key', required: true, set: true },
      {
        name: 'optional_cert',
        owner: 'app secrets',
        path: '/etc/cert.pem',
        required: false,
        set: false,
      },
    ]);

    expect(ok('assets', 'read', 'api_key').stdout).toBe(secret);
    ok('assets', 'unset', 'api_key');
    expect(existsSync(join(home, 'assets', 'api_key'))).toBe(false);
    const r = dusty('assets', 'read', 'api_key');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'asset api_key is not set; set it with `dusty assets set api_key FILE`',
    );
  });

  it('refuses an asset name that could escape the assets folder', () => {
    const file = join(tmp, 'key.txt');
    writeFileSync(file, 'x');
    const r = dusty('assets', 'set', '../config.json', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"../config.json" is not a valid asset name');
    expect(existsSync(join(home, 'config.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8'))).toHaveProperty(
      'specs_repo',
    );
  });

  it('refuses a file it cannot read', () => {
    const r = dusty('assets', 'set', 'api_key', join(tmp, 'missing.txt'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read ${join(tmp, 'missing.txt')}`);
  });
});
