/**
 * Every `dusty` command line of the original Dusty's docs, run here with the
 * same meaning: the list (e2e/fixtures/original-docs-commands.yml) names the
 * doc each line comes from, and each runs in `sh -c` as a person would type
 * it, in a fresh DUSTY_HOME with the original's example specs, on the real
 * engine through the native provider.
 *
 * What stands in for what cannot exist here: the example specs' images
 * (python:2.7.10, mongo) cannot be pulled without a registry, so a copy of
 * the specs names one local stand-in image, built from busybox, whose
 * `python`, `pip`, `watchmedo` and `mongod` do what the tutorial shows
 * (serve a folder, print the test run); the repos on GitHub are local
 * checkouts of the same names. Host port 80 is moved to a port of this
 * test's own. Lines the list marks `parseOnly` (a daemon, a log follow) are
 * parsed and checked, not run, and say why.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../src-main/engine/state/store.js';
import { ok, ROOT, run } from './support/dusty.js';

const PROJECT = 'e2edocs';
const IMAGE = 'e2edocs-standin:local';
const PORT = 18493;
const ORIGINAL = '/work/shared/reference/original-dusty';
const EXAMPLE_SPECS = '/work/shared/fixtures/dusty-example-specs';

interface Entry {
  doc: string | string[];
  line: string;
  run?: string;
  why?: string;
  expect: string;
  exit?: number;
  input?: string;
  parseOnly?: string;
}
const entries = parse(
  readFileSync(join(ROOT, 'e2e/fixtures/original-docs-commands.yml'), 'utf8'),
) as Entry[];

const dir = mkdtempSync(join(tmpdir(), 'dusty-docs-'));
const home = join(dir, 'home');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: home,
  PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
  DUSTY_HOME: join(dir, 'dusty'),
  DUSTY_PROJECT: PROJECT,
  DUSTY_HOSTS_FILE: join(dir, 'hosts'),
  DUSTY_SOCKET_PATH: join(dir, 'no-helper.sock'),
  DUSTY_HELPER_AUDIT_LOG: join(dir, 'no-audit.log'),
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

function write(path: string, text: string, mode?: number) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  if (mode) chmodSync(path, mode);
}

/** A git checkout in the test's home, standing for the GitHub repo of the same name. */
async function checkout(name: string, files: Record<string, string>) {
  const path = join(home, name);
  for (const [f, text] of Object.entries(files)) write(join(path, f), text);
  const git = (...args: string[]) =>
    run('git', ['-c', 'user.email=t@e2e', '-c', 'user.name=e2e', ...args], { cwd: path });
  ok(await git('init', '-q'), 'git init');
  ok(await git('add', '-A'), 'git add');
  ok(await git('commit', '-qm', 'first'), 'git commit');
}

const STANDIN: Record<string, string> = {
  python: [
    '#!/bin/sh',
    "# Stand-in for the example images' python (no registry here): what the tutorial shows.",
    'case "$1" in',
    '  -m) exec httpd -f -p 80 -h . ;;',
    '  app.py) mkdir -p /tmp/www && echo "<p>Hello world! My name is $APP_NAME!</p>" > /tmp/www/index.html && exec httpd -f -p 5000 -h /tmp/www ;;',
    '  *_test.py) echo "python $*"; echo "Ran 2 tests in 0.001s"; echo; echo OK ;;',
    '  *) echo "python $*" ;;',
    'esac',
  ].join('\n'),
  pip: '#!/bin/sh\necho "pip $*"\n',
  watchmedo: '#!/bin/sh\necho "watching $(pwd)"\nexec tail -f /dev/null\n',
  mongod: '#!/bin/sh\nexec tail -f /dev/null\n',
};

async function buildStandInImage() {
  const ctx = join(dir, 'image');
  for (const [name, text] of Object.entries(STANDIN)) write(join(ctx, name), text, 0o755);
  write(
    join(ctx, 'Dockerfile'),
    `FROM dusty-busybox:local\nCOPY ${Object.keys(STANDIN).join(' ')} /usr/local/bin/\n`,
  );
  ok(await run('docker', ['build', '-q', '-t', IMAGE, ctx]), 'docker build');
}

beforeAll(async () => {
  write(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  write(
    join(dir, 'bin', 'dusty'),
    `#!/bin/sh\nexec node ${join(ROOT, 'bin', 'dusty.js')} "$@"\n`,
    0o755,
  );
  // The example specs as published, but with the stand-in image and a port of our own.
  const specs = join(home, 'dusty-example-specs');
  cpSync(EXAMPLE_SPECS, specs, { recursive: true, filter: (p) => !p.includes('/.git') });
  for (const kind of ['apps', 'services'])
    for (const f of readdirSync(join(specs, kind))) {
      const path = join(specs, kind, f);
      const text = readFileSync(path, 'utf8')
        .replace(/^( *)image: .*$/gm, `$1image: ${IMAGE}`)
        .replace(/host_port: 80$/gm, `host_port: ${PORT}`);
      writeFileSync(path, text);
    }
  await checkout('dusty-example-specs', {});
  await checkout('dusty-flask-example', {
    'app.py': '# the Flask app\n',
    'app_test.py': '# its tests\n',
    'requirements.txt': 'flask\n',
  });
  await checkout('watchdog', { 'setup.py': '# the watchdog lib\n' });
  write(join(home, '.ssh', 'id_rsa'), 'not really a key\n', 0o600);
  await buildStandInImage();
  // Set-up the docs do not show: the router image that exists here, and the lib's repo.
  const store = new StateStore(env.DUSTY_HOME!);
  await store.setConfig('nginx_image', 'dusty-nginx:local');
  await store.setRepoOverride(
    'https://github.com/gamechanger/watchdog.git',
    join(home, 'watchdog'),
  );
}, 180_000);

afterAll(async () => {
  const ids = await run('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
  ]);
  const testIds = await run('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=dev.dusty.project=${PROJECT}`,
  ]);
  const all = `${ids.stdout} ${testIds.stdout}`.split(/\s+/).filter(Boolean);
  if (all.length) await run('docker', ['rm', '-f', '-v', ...all]);
  await run('docker', ['network', 'rm', `${PROJECT}_dusty`]);
  const images = await run('docker', ['images', '-q', `dusty-testing/${PROJECT}.*`]);
  const imageIds = images.stdout.split(/\s+/).filter(Boolean);
  if (imageIds.length) await run('docker', ['rmi', '-f', ...imageIds]);
  await run('docker', ['rmi', '-f', IMAGE]);
  rmSync(dir, { recursive: true, force: true });
}, 180_000);

describe("the original Dusty's documented command lines", () => {
  it('takes every line from a doc that has it', () => {
    for (const e of entries) {
      const docs = Array.isArray(e.doc) ? e.doc : [e.doc];
      for (const doc of docs) {
        const text = readFileSync(join(ORIGINAL, doc), 'utf8');
        // Sudo and the `dusty ` prefix come and go between the docs' blocks and prose.
        const bare = e.line.replace(/^(sudo )?dusty /, '');
        expect(text, `${doc} has "${e.line}"`).toContain(bare);
      }
      const asDocumented = e.run === `dusty ${e.line}`;
      if (e.run && !asDocumented && !e.parseOnly)
        expect(e.why, `why "${e.line}" runs "${e.run}"`).toBeTruthy();
    }
  });

  for (const e of entries) {
    const docs = (Array.isArray(e.doc) ? e.doc : [e.doc]).join(', ');
    const what = e.parseOnly ? `parsed only (${e.parseOnly})` : e.run ? `runs: ${e.run}` : 'runs';
    it(`${docs}: ${e.line} — ${what}`, async () => {
      const line = e.run ?? e.line;
      const r = await run('sh', ['-c', line], {
        env: e.parseOnly ? { ...env, DUSTY_PARSE_ONLY: '1' } : env,
        cwd: home,
        input: e.input ?? '',
        timeoutMs: 280_000,
      });
      const out = `${r.stdout}\n${r.stderr}`;
      const ctx = `${line}\n--- exit ${r.code}\n${out}`;
      expect(r.code, ctx).toBe(e.exit ?? 0);
      expect(out, ctx).toMatch(new RegExp(e.expect, 'm'));
    }, 300_000);
  }
});
