/**
 * The project over a real state store: a repo override wins over the
 * managed clone, both where the compiled project mounts an app's code and
 * where the specs repo itself is read from. No engine and no git are reached.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PlatformFacts } from './compiler/index.js';
import { Project } from './project.js';
import { managedFolder } from './repos/repos.js';
import { StateStore } from './state/store.js';

const SPECS = join(import.meta.dirname, 'specs/fixtures/dusty-example-specs');
const FLASK_REPO = 'https://github.com/gamechanger/dusty-flask-example.git';

let dir: string;
let store: StateStore;
let project: Project;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-project-'));
  store = new StateStore(join(dir, 'home'));
  const facts: PlatformFacts = {
    engineAddress: '127.0.0.1',
    publishAddress: '127.0.0.1',
    dustyDir: store.home,
    persistDir: store.persistDir,
    repoMount: { type: 'bind' },
  };
  project = new Project(store, async () => facts);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The host side of each bind mount of a compiled service. */
const mountsOf = (compose: string, service: string): string[] =>
  (parse(compose) as { services: Record<string, { volumes?: string[] }> }).services[
    service
  ]!.volumes!.map((v) => v.split(':')[0]!);

describe('a repo override', () => {
  beforeEach(async () => {
    await store.setConfig('specs_repo', SPECS);
    await store.setActiveBundles(['hello-world']);
  });

  it('is mounted instead of the managed clone', async () => {
    const managed = join(store.reposDir, managedFolder(FLASK_REPO));
    const before = await project.compile();
    expect(before.repos.find((r) => r.name === FLASK_REPO)).toMatchObject({
      mode: 'managed',
      path: managed,
    });
    expect(mountsOf(before.output.compose, 'flaskone')).toContain(managed);

    const checkout = join(dir, 'my-flask');
    await store.setRepoOverride(FLASK_REPO, checkout);
    const after = await project.compile();
    expect(after.repos.find((r) => r.name === FLASK_REPO)).toMatchObject({
      mode: 'overridden',
      path: checkout,
    });
    expect(mountsOf(after.output.compose, 'flaskone')).toContain(checkout);
    expect(mountsOf(after.output.compose, 'flaskone')).not.toContain(managed);
  });
});

describe('the specs repo', () => {
  it('is read from its override when it is a git URL, without cloning it', async () => {
    const url = 'github.com/team/dusty-example-specs';
    await store.setConfig('specs_repo', url);
    const checkout = join(dir, 'specs-checkout');
    mkdirSync(checkout);
    await store.setRepoOverride(url, checkout);
    expect(await project.specsPath()).toBe(checkout);
  });

  it('is a configured folder as it is', async () => {
    await store.setConfig('specs_repo', SPECS);
    expect(await project.specsPath()).toBe(SPECS);
  });
});
