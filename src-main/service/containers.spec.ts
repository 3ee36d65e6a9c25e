/**
 * Finding an app's script by name (`dusty scripts APP NAME`, the dashboard's
 * script terminal): which script, in which folder, with which arguments, and
 * what the person is told when the app or script does not exist. Runs over a
 * real state store and specs folder; the engine is not reached.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DustyError } from '../engine/errors.js';
import { Project } from '../engine/project.js';
import { StateStore } from '../engine/state/store.js';
import { containers } from './containers.js';
import type { ServiceContext } from './context.js';

const SPECS = {
  'bundles/b.yml': 'apps: [web, tool, bare]\n',
  // Mounted code: its scripts run in the mount, as its start script does.
  'apps/web.yml': `repo: /src/web
mount: /web
image: x
scripts:
  - name: lint
    description: lints
    command: [flake8 .]
  - name: migrate
    description: runs the migrations
    command:
      - echo migrating
      - ./manage.py migrate
`,
  // No mount: the image's own working directory.
  'apps/tool.yml': `image: x
scripts:
  - name: report
    command: [print-report]
`,
  'apps/bare.yml': 'image: x\n',
};

let dir: string;
let ctx: ServiceContext;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-scripts-'));
  const specs = join(dir, 'specs');
  for (const [file, text] of Object.entries(SPECS)) {
    mkdirSync(dirname(join(specs, file)), { recursive: true });
    writeFileSync(join(specs, file), text);
  }
  const store = new StateStore(join(dir, 'home'));
  await store.setConfig('specs_repo', specs);
  // Only the project is reached by script lookups; the other ports would fail the test if used.
  ctx = { store, project: new Project(store) } as unknown as ServiceContext;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const thrown = async (p: Promise<unknown>): Promise<DustyError> => {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DustyError);
  return e as DustyError;
};

describe('an app script by name', () => {
  it('finds the named script among several and runs it in the app mount, with arguments on its last line', async () => {
    expect(await containers.scriptCommand(ctx, 'web', 'migrate', ['--fake', 'two words'])).toEqual([
      '/bin/sh',
      '-c',
      "cd '/web' || exit 1\nset -e\necho migrating\n./manage.py migrate '--fake' 'two words'",
    ]);
  });

  it('runs the script of an app without a mount in the image working directory (no cd)', async () => {
    expect(await containers.scriptCommand(ctx, 'tool', 'report', [])).toEqual([
      '/bin/sh',
      '-c',
      'set -e\nprint-report',
    ]);
  });

  it('lists an app scripts with their descriptions', async () => {
    expect(await containers.scripts(ctx, 'web')).toEqual([
      { name: 'lint', description: 'lints' },
      { name: 'migrate', description: 'runs the migrations' },
    ]);
  });

  it('names the apps for an unknown app and the scripts for an unknown script', async () => {
    const app = await thrown(containers.scriptCommand(ctx, 'ghost', 'lint', []));
    expect(app.code).toBe('unknown-app');
    expect(app.detail.known).toEqual(['bare', 'tool', 'web']);
    const script = await thrown(containers.scriptCommand(ctx, 'web', 'deploy', []));
    expect(script).toMatchObject({
      code: 'unknown-script',
      message: 'web has no script "deploy"; its scripts: lint, migrate',
      detail: { known: ['lint', 'migrate'] },
    });
    expect((await thrown(containers.scriptCommand(ctx, 'bare', 'x', []))).message).toBe(
      'bare has no script "x"; its scripts: none',
    );
  });
});
