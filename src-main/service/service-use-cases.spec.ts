/**
 * The application layer without Docker: use cases over a real state store in
 * a temporary folder, the demo specs, and fakes for the engine, the helper
 * and the provider (which cannot run in a unit test).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpLock } from '../engine/ops-lock/index.js';
import { DustyError } from '../engine/errors.js';
import { StateStore } from '../engine/state/store.js';
import type { ProviderPort, ServicePorts } from './context.js';
import type { Notice } from '../../src-shared/api/contract.js';
import { ApiService } from './api-service.js';
import { createDusty, type Dusty } from './index.js';
import { up } from '../engine/runtime/up.js';
import { upDeps } from './stack.js';

const SPECS = join(import.meta.dirname, '../engine/specs/fixtures/dusty-example-specs');

let dir: string;
let dusty: Dusty;
let calls: string[];
let provider: ProviderPort;

function fakePorts(store: StateStore): ServicePorts {
  provider = {
    facts: async () => ({
      engineAddress: '127.0.0.1',
      publishAddress: '127.0.0.1',
      dustyDir: store.home,
      persistDir: store.persistDir,
      repoMount: { type: 'bind' },
    }),
    ensureEngine: async () => void calls.push('provider.ensureEngine'),
    unsharedMessage: () => undefined,
    exportRepos: async (repos) => {
      calls.push(`provider.exportRepos ${repos.map((r) => r.name).join(',')}`);
      return undefined;
    },
  };
  return {
    store,
    // The engine is not reached by these use cases; a call would fail the test.
    docker: {} as Docker,
    helper: {
      available: async () => false,
      call: async () => {
        throw new Error('the helper is not reached by these use cases');
      },
    },
    provider: async () => provider,
    applyHosts: async () => ({ how: 'unchanged' }),
    hostsFile: { path: join(dir, 'hosts'), custom: true },
    auditLog: join(dir, 'audit.log'),
    version: '0.0.0-test',
    door: { name: 'terminal' },
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-service-'));
  calls = [];
  const store = new StateStore(join(dir, 'home'));
  dusty = createDusty(fakePorts(store));
  await dusty.config.set('specs_repo', SPECS);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e instanceof DustyError ? e.code : `not a DustyError: ${String(e)}`;
  }
  return 'no error';
};

describe('bundles', () => {
  it('lists the members a bundle names and, separately, everything it brings', async () => {
    const list = await dusty.bundles.list();
    const hello = list.find((b) => b.name === 'hello-world')!;
    expect(hello.members).toEqual({ apps: ['flaskone', 'flasktwo'], services: [] });
    expect(hello.closure.apps).toEqual(expect.arrayContaining(['flaskone', 'flasktwo']));
    expect(hello.active).toBe(false);
  });

  it('activates once, deactivates, and refuses an unknown name changing nothing', async () => {
    await dusty.bundles.set(['hello-world', 'hello-world'], true);
    expect(await dusty.ctx.store.activeBundles()).toEqual(['hello-world']);
    expect(await codeOf(dusty.bundles.set(['hello-world', 'nope'], false))).toBe('unknown-bundle');
    expect(await dusty.ctx.store.activeBundles()).toEqual(['hello-world']);
    await dusty.bundles.set(['hello-world'], false);
    expect(await dusty.ctx.store.activeBundles()).toEqual([]);
  });
});

describe('config', () => {
  it('stores a relative specs_repo folder as an absolute path, and a git URL as it is', async () => {
    expect(await dusty.config.set('specs_repo', './some/folder')).toBe(
      join(process.cwd(), 'some/folder'),
    );
    expect(await dusty.config.set('specs_repo', 'github.com/org/specs')).toBe(
      'github.com/org/specs',
    );
  });

  it('refuses an unknown key and a value that does not fit, with typed codes', async () => {
    expect(await codeOf(dusty.config.set('nope', 'x'))).toBe('unknown-config-key');
    expect(await codeOf(dusty.config.set('pull_repos', 'maybe'))).toBe('invalid-config-value');
    expect(await codeOf(dusty.config.get('nope'))).toBe('unknown-config-key');
  });
});

describe('env, repos and scripts', () => {
  it('refuses an override for an app the specs do not know, and a bad variable name', async () => {
    expect(await codeOf(dusty.env.set('ghost', { A: '1' }))).toBe('unknown-app-or-service');
    expect(await codeOf(dusty.env.set('flaskone', { '1A': '1' }))).toBe('invalid-variable');
    await dusty.env.set('flaskone', { A: '$1' });
    expect(await dusty.env.list('flaskone')).toEqual({ flaskone: { A: '$1' } });
  });

  it('overrides a known repo with a folder, and names what went wrong otherwise', async () => {
    const [repo] = await dusty.repos.list();
    expect(repo).toBeDefined();
    expect(await codeOf(dusty.repos.override('no/such/repo', dir))).toBe('unknown-repo');
    expect(await codeOf(dusty.repos.override(repo!.name, join(dir, 'missing')))).toBe(
      'not-a-folder',
    );
    expect(await dusty.repos.override(repo!.name, dir)).toEqual({ repo: repo!.name, path: dir });
    expect((await dusty.repos.list()).find((r) => r.name === repo!.name)?.mode).toBe('overridden');
  });

  it('finds a script to run in a terminal, and says which exist when it does not', async () => {
    expect(await codeOf(dusty.containers.scriptCommand('ghost', 'x', []))).toBe('unknown-app');
    expect(await codeOf(dusty.containers.scriptCommand('flaskone', 'nope', []))).toBe(
      'unknown-script',
    );
  });
});

describe('up', () => {
  it('starts the engine through the configured provider and exports repos through it', async () => {
    const deps = upDeps(dusty.ctx);
    await deps.ensureEngine();
    expect(await deps.exportRepos?.(await dusty.repos.list())).toBeUndefined();
    expect(calls[0]).toBe('provider.ensureEngine');
    expect(calls[1]).toMatch(/^provider\.exportRepos \S+/);
  });

  /** A VM provider: its address is known only once it runs. */
  const stoppedVm = () => {
    let running = false;
    const facts = provider.facts.bind(provider);
    provider.facts = async () => {
      if (!running) throw new Error('the VM is not running');
      calls.push('provider.facts');
      return facts();
    };
    provider.ensureEngine = async () => {
      running = true;
      calls.push('provider.ensureEngine');
    };
  };

  it('starts a stopped VM before compiling, since compiling needs its address', async () => {
    stoppedVm();
    await dusty.bundles.set(['hello-world'], true);
    // Past the compile, the fake engine cannot answer; what matters is the order up got there in.
    await up(upDeps(dusty.ctx), {}, () => undefined).catch((e: Error) => e);
    expect(calls.slice(0, 2)).toEqual(['provider.ensureEngine', 'provider.facts']);
  });

  it('refuses bad specs before it starts the VM', async () => {
    stoppedVm();
    const specs = join(dir, 'specs');
    cpSync(SPECS, specs, { recursive: true });
    writeFileSync(join(specs, 'apps', 'flaskone.yml'), 'image: 42\nrepo: [\n');
    await dusty.config.set('specs_repo', specs);
    await dusty.bundles.set(['hello-world'], true);
    expect(await codeOf(up(upDeps(dusty.ctx), {}, () => undefined))).toBe('invalid-specs');
    expect(calls).toEqual([]);
  });
});

describe('the operation lock, taken by the use cases for every front door', () => {
  /** The lock held as another front door would hold it. */
  const holdLock = () =>
    new OpLock(dusty.ctx.store.home).acquire({ op: 'up', door: 'dashboard', wait: false });

  it('refuses a change with --no-wait while another operation runs, changing nothing', async () => {
    const other = await holdLock();
    dusty.ctx.door.wait = false;
    try {
      expect(await codeOf(dusty.bundles.set(['hello-world'], true))).toBe('busy');
      expect(await codeOf(dusty.env.set('flaskone', { A: '1' }))).toBe('busy');
      expect(await dusty.ctx.store.activeBundles()).toEqual([]);
      expect(await dusty.ctx.store.envOverrides()).toEqual({});
    } finally {
      await other.release({ status: 'succeeded' });
    }
    await dusty.bundles.set(['hello-world'], true);
    expect(await dusty.ctx.store.activeBundles()).toEqual(['hello-world']);
  });

  it('waits for the holder, says whom it waits for, then runs; the lock is free after', async () => {
    const other = await holdLock();
    const waits: string[] = [];
    dusty.ctx.door.onWait = (m) => waits.push(m);
    const change = dusty.config.set('nginx_image', 'my-nginx:1');
    await new Promise((r) => setTimeout(r, 400));
    expect(waits.join('\n')).toMatch(/waiting for .*`up`.*dashboard/);
    expect((await dusty.config.list()).nginx_image).not.toBe('my-nginx:1');
    await other.release({ status: 'succeeded' });
    expect(await change).toBe('my-nginx:1');
    expect((await dusty.config.list()).nginx_image).toBe('my-nginx:1');
    expect(await dusty.ctx.lock.holder()).toBeUndefined();
  });

  it('an interrupt while waiting leaves with code "cancelled" and nothing changed', async () => {
    const other = await holdLock();
    const ac = new AbortController();
    dusty.ctx.door.signal = ac.signal;
    const change = codeOf(dusty.assets.set('secret', Buffer.from('x')));
    await new Promise((r) => setTimeout(r, 300));
    ac.abort(new Error('interrupted (SIGINT)'));
    try {
      expect(await change).toBe('cancelled');
      expect((await dusty.ctx.store.setAssets()).has('secret')).toBe(false);
    } finally {
      await other.release({ status: 'succeeded' });
    }
  });

  it('publishes the operation as run from this door, for the other front doors to show', async () => {
    await dusty.repos.manage();
    const p = await dusty.ctx.lock.progress();
    expect(p).toMatchObject({ op: 'repos', door: 'terminal', status: 'succeeded' });
  });
});

describe('a front door opening on a slow engine', () => {
  it('stops waiting for the engine after a while, and says so when it then fails', async () => {
    const service = new ApiService({ dusty, shell: 'web' });
    let fail!: (e: Error) => void;
    service.start = () => new Promise((_resolve, reject) => (fail = reject));
    const notices: Notice[] = [];
    service.onDidNotice((n) => notices.push(n));
    const t0 = Date.now();
    await service.startWithin(100);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(notices).toEqual([]);
    fail(new Error('ssh: connect to host 10.0.0.9 port 22: Connection timed out'));
    await new Promise((r) => setTimeout(r, 20));
    expect(notices).toEqual([
      expect.objectContaining({
        level: 'error',
        body: expect.stringContaining('Connection timed out') as string,
      }),
    ]);
  });

  it('fails as before when the engine fails within the wait', async () => {
    const service = new ApiService({ dusty, shell: 'web' });
    service.start = () => Promise.reject(new Error('the engine refused'));
    await expect(service.startWithin(5000)).rejects.toThrow('the engine refused');
  });
});
