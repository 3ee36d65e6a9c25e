/**
 * Every compose file the compiler writes must be accepted by the Docker
 * Compose installed on the machine (`docker compose` v2, or Debian's
 * docker-compose 1.29): `COMPOSE -p dusty -f FILE config -q` exits 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpecKind, Specs } from '../src-shared/specs/schema.js';
import {
  compile,
  type CompileInput,
  type PlatformFacts,
} from '../src-main/engine/compiler/index.js';
import { loadSpecs, parseSpecText } from '../src-main/engine/specs/load.js';
import { validateSpecs } from '../src-main/engine/specs/validate.js';

const EXAMPLE_SPECS = fileURLToPath(
  new URL('../src-main/engine/specs/fixtures/dusty-example-specs', import.meta.url),
);
const ALL_BUNDLES = ['fileserver', 'hello-world', 'ipython-notebook', 'mongo-cluster', 'watchdog'];

/** The Compose command line on this machine, e.g. `['docker', 'compose']`. */
function findCompose(): string[] {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  throw new Error('neither `docker compose` nor `docker-compose` works on this machine');
}

let compose: string[];
let dir: string;
let platform: PlatformFacts;
let repoPaths: Record<string, string>;
let example: Specs;

beforeAll(async () => {
  compose = findCompose();
  dir = mkdtempSync(join(tmpdir(), 'dusty-compose-config-'));
  platform = {
    engineAddress: '127.0.0.1',
    publishAddress: '127.0.0.1',
    dustyDir: join(dir, 'home'),
    persistDir: join(dir, 'home', 'persist'),
    repoMount: { type: 'bind' },
  };
  // Compose 1.29 checks that a build context exists, so the repos are real folders.
  repoPaths = {};
  for (const repo of ['flask', 'watchdog', 'web', 'api', 'util']) {
    const path = join(dir, 'repos', repo);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'Dockerfile'), 'FROM busybox\n');
    repoPaths[repo] = path;
  }
  repoPaths['https://github.com/gamechanger/dusty-flask-example.git'] = repoPaths.flask!;
  repoPaths['https://github.com/gamechanger/watchdog.git'] = repoPaths.watchdog!;
  const r = await loadSpecs(EXAMPLE_SPECS);
  expect(r.ok).toBe(true);
  example = r.specs;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function specsFrom(files: Record<string, string>): Specs {
  const docs = Object.entries(files).map(([file, text]) =>
    parseSpecText(file.slice(0, file.indexOf('/')) as SpecKind, file, text),
  );
  const r = validateSpecs(docs);
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return r.specs;
}

/** Compiles, writes the file, and runs `config -q` on it; returns the compose text. */
function expectComposeAccepts(
  name: string,
  over: Partial<CompileInput> & { specs: Specs },
): string {
  const out = compile({
    activeBundles: Object.keys(over.specs.bundles),
    envOverrides: {},
    repoPaths,
    setAssets: new Set(),
    nginxImage: 'nginx:stable',
    platform,
    ...over,
  });
  const file = join(dir, `${name}.yml`);
  writeFileSync(file, out.compose);
  const r = spawnSync(
    compose[0]!,
    [...compose.slice(1), '-p', 'dusty', '-f', file, 'config', '-q'],
    {
      encoding: 'utf8',
      cwd: dir,
    },
  );
  expect(
    { status: r.status, stderr: r.stderr },
    `${compose.join(' ')} config refused ${file}`,
  ).toEqual({ status: 0, stderr: expect.any(String) as string });
  // Compose warns (and substitutes a blank) when a `$` reached it unescaped.
  expect(r.stderr).not.toMatch(/variable is not set/i);
  return out.compose;
}

describe('the example specs repo', () => {
  it.each(ALL_BUNDLES)('compose accepts the file for bundle %s alone', (bundle) => {
    const text = expectComposeAccepts(`example-${bundle}`, {
      specs: example,
      activeBundles: [bundle],
    });
    expect(text).toContain('dusty-router:');
  });

  it('compose accepts the file for every bundle together', () => {
    const text = expectComposeAccepts('example-all', {
      specs: example,
      activeBundles: ALL_BUNDLES,
    });
    expect(text).toContain('network_mode: service:mongo_cluster1');
  });

  it('compose accepts the file with no bundle active (the router alone)', () => {
    expectComposeAccepts('example-none', { specs: example, activeBundles: [] });
  });
});

describe('synthetic specs', () => {
  it('compose accepts apps built from a Dockerfile, relative and absolute', () => {
    const specs = specsFrom({
      'bundles/b.yml': 'apps: [web, api]\n',
      'apps/web.yml': 'repo: web\nmount: /web\nbuild: .\ncommands: {always: [run]}\n',
      'apps/api.yml': `repo: api\nmount: /api\nbuild: ${repoPaths.api!}\n`,
    });
    const text = expectComposeAccepts('build', { specs });
    expect(text).toContain(`build: ${repoPaths.web!}\n`);
  });

  it('compose accepts stream and http forwarding, .localhost names and several ports', () => {
    const specs = specsFrom({
      'bundles/b.yml': 'apps: [web, db]\n',
      'apps/web.yml': [
        'image: busybox',
        'host_forwarding:',
        '  - {host_name: local.web.com, host_port: 80, container_port: 8000}',
        '  - {host_name: web.localhost, host_port: 8080, container_port: 8000}',
      ].join('\n'),
      'apps/db.yml': [
        'image: postgres',
        'host_forwarding:',
        '  - {host_name: db.localhost, host_port: 5432, container_port: 5432, type: stream}',
        '  - {host_name: db.localhost, host_port: 6379, container_port: 6379, type: stream}',
      ].join('\n'),
    });
    const text = expectComposeAccepts('stream', { specs, https: true });
    expect(text).toContain('127.0.0.1:5432:5432');
    expect(text).toContain('127.0.0.1:443:443');
  });

  it('compose accepts services written with Compose file format 1 keys', () => {
    const specs = specsFrom({
      'bundles/b.yml': 'apps: [web]\nservices: [db, side, logger]\n',
      'apps/web.yml': [
        'image: busybox',
        'depends: {services: [db]}',
        'compose:',
        '  environment: [A=1, B]',
        '  volumes: [/persist/web:/data]',
        '  log_driver: syslog',
      ].join('\n'),
      'services/db.yml': [
        'build: ' + repoPaths.util!,
        'dockerfile: Dockerfile',
        // A service is plain Compose: `$$` is how its author writes a literal `$`.
        'environment: {PASSWORD: "x$$y"}',
        'volumes: [/persist/db:/var/lib/db]',
        'log_driver: json-file',
        'log_opt: {max-size: 10m}',
      ].join('\n'),
      'services/side.yml': 'image: busybox\nnet: container:db\n',
      'services/logger.yml': 'image: busybox\nlinks: [db]\nnet: bridge\n',
    });
    const text = expectComposeAccepts('legacy', {
      specs,
      envOverrides: { web: { TOKEN: 'a$b${HOME}' }, db: { EXTRA: '$1' } },
    });
    expect(text).toContain('network_mode: service:db');
  });

  it('compose accepts libs, assets and NFS-mounted repos', () => {
    const specs = specsFrom({
      'bundles/b.yml': 'apps: [web]\n',
      'apps/web.yml': [
        'repo: web',
        'mount: /web',
        'image: busybox',
        'depends: {libs: [util]}',
        'assets: [{name: key, path: /etc/key}]',
        'commands: {once: [echo "$HOME"], always: [sleep 1]}',
      ].join('\n'),
      'libs/util.yml':
        'repo: util\nmount: /util\ninstall: [make]\nassets: [{name: libkey, path: /k}]\n',
    });
    const text = expectComposeAccepts('nfs', {
      specs,
      setAssets: new Set(['key', 'libkey']),
      platform: { ...platform, repoMount: { type: 'nfs', server: '192.168.99.1' } },
    });
    expect(text).toContain('dusty_nfs_000');
  });
});
