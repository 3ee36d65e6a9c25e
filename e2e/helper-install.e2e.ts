/**
 * Installing the helper for real, into a temporary prefix: the root-owned
 * copy, the unit file, the installed copy serving requests, and uninstall
 * removing it all. Plus the CLI commands' wiring.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildInstallCommand, serveArgv, defaultInstallPlan } from '../src-main/helper/install.js';
import { shellQuote } from '../src-shared/shell-quote.js';
import { readSection } from '../src-main/platform/section-text.js';
import {
  OWNER,
  ROOT,
  makePaths,
  removePaths,
  request,
  requireBuild,
  sleep,
  installEnv,
} from './fixtures/helper/harness.js';
import type { Paths } from './fixtures/helper/harness.js';

const INSTALL_MAIN = path.join(ROOT, 'dist/src-main/helper/install-main.js');
let paths: Paths | undefined;

beforeAll(() => requireBuild());
afterEach(() => {
  if (paths) removePaths(paths);
  paths = undefined;
});

/** Runs the privileged step (as root, like sudo would) for OWNER, with Node or a stand-in for the app's Electron. */
function installMain(
  env: NodeJS.ProcessEnv,
  args: string[],
  via = process.execPath,
): SpawnSyncReturns<string> {
  return spawnSync(via, [INSTALL_MAIN, ...args, '--owner', String(OWNER)], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? [full, ...walk(full)] : [full];
  });
}

describe('helper installation', () => {
  it('builds a quoted privileged command line for sudo-prompt', () => {
    const line = buildInstallCommand({
      ownerUid: 501,
      nodePath: '/Applications/Dusty.app/Contents/node',
      sourceRoot: "/Users/o'neil/Dusty app",
    });
    expect(line).toBe(
      "'/Applications/Dusty.app/Contents/node' '/Users/o'\\''neil/Dusty app/dist/src-main/helper/install-main.js' 'install' '--owner' '501' '--source' '/Users/o'\\''neil/Dusty app'",
    );
    const parsed = spawnSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' });
    expect(parsed.stdout.trim().split('\n')).toEqual([
      '/Applications/Dusty.app/Contents/node',
      "/Users/o'neil/Dusty app/dist/src-main/helper/install-main.js",
      'install',
      '--owner',
      '501',
      '--source',
      "/Users/o'neil/Dusty app",
    ]);
    expect(() => buildInstallCommand({ ownerUid: -1 })).toThrow(/not a uid/);
  });

  it('installs a root-owned copy that serves requests, and uninstall removes everything', async () => {
    const p = makePaths('127.0.0.1 localhost\n');
    paths = p;
    const env = installEnv(p, { DUSTY_HELPER_NO_START: '1' });
    const install = installMain(env, ['install', '--source', ROOT]);
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const installDir = env.DUSTY_HELPER_INSTALL_DIR ?? '';
    const unitFile = env.DUSTY_HELPER_UNIT_FILE ?? '';
    for (const file of walk(installDir)) {
      const st = statSync(file);
      expect([file, st.uid, st.mode & 0o022]).toEqual([file, 0, 0]);
    }
    expect(existsSync(path.join(installDir, 'node_modules/zod/package.json'))).toBe(true);
    expect(existsSync(path.join(installDir, 'node_modules/commander'))).toBe(false);
    const unit = readFileSync(unitFile, 'utf8');
    expect(unit).toContain(
      `ExecStart=${installDir}/node ${installDir}/dist/src-main/helper/serve-main.js --owner ${OWNER}`,
    );
    expect(unit).toContain(`Environment=DUSTY_HOSTS_FILE=${p.hosts}`);

    // Start the installed copy exactly as the unit would.
    const plan = defaultInstallPlan(OWNER, { installDir });
    const [node, ...args] = serveArgv(plan);
    const served = spawn(node ?? '', args, { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => served.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 100 && !existsSync(p.socket); i += 1) await sleep(50);
      // The installed copy knows the version it was installed from.
      const { version } = JSON.parse(
        readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
      ) as { version: string };
      expect(await request(p.socket, 'version')).toMatchObject({
        ok: true,
        result: { ownerUid: OWNER, version },
      });
      const applied = await request(p.socket, 'hosts.apply', {
        entries: [{ ip: '127.0.0.1', hostname: 'x.local' }],
      });
      expect(applied).toMatchObject({ ok: true });
      expect(readSection(readFileSync(p.hosts, 'utf8'))).toEqual(['127.0.0.1 x.local']);

      const uninstall = installMain(env, ['uninstall']);
      expect(uninstall.status).toBe(0);
      expect(uninstall.stdout).toContain(`Removed ${unitFile}.`);
      expect(await exited).toBe(0);
    } finally {
      served.kill('SIGKILL');
    }
    expect(readFileSync(p.hosts, 'utf8')).toBe('127.0.0.1 localhost\n');
    for (const gone of [installDir, unitFile, p.socket]) expect(existsSync(gone)).toBe(false);
  });

  it('installs from the packaged app: Electron’s whole folder, run as Node (stand-in: Node in a folder of its own, since Electron cannot be downloaded here)', async () => {
    const p = makePaths('127.0.0.1 localhost\n');
    paths = p;
    // The app's layout: its binary, the resources it needs beside it, and a relative symlink (as in macOS frameworks).
    const bundle = path.join(p.dir, 'Dusty');
    mkdirSync(path.join(bundle, 'resources'), { recursive: true });
    copyFileSync(process.execPath, path.join(bundle, 'dusty'));
    writeFileSync(path.join(bundle, 'resources', 'app.pak'), 'resources Electron needs\n');
    symlinkSync('resources', path.join(bundle, 'Resources'));
    const env = installEnv(p, { DUSTY_HELPER_NO_START: '1' });
    const install = installMain(
      env,
      ['install', '--source', ROOT, '--electron-bundle', bundle],
      path.join(bundle, 'dusty'),
    );
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const installDir = env.DUSTY_HELPER_INSTALL_DIR ?? '';
    const copied = path.join(installDir, 'runtime', 'Dusty');
    expect(readFileSync(path.join(copied, 'resources', 'app.pak'), 'utf8')).toBe(
      'resources Electron needs\n',
    );
    expect(readlinkSync(path.join(copied, 'Resources'))).toBe('resources');
    expect(existsSync(path.join(installDir, 'node'))).toBe(false);
    for (const file of walk(installDir)) {
      const st = lstatSync(file);
      if (!st.isSymbolicLink()) expect([file, st.uid, st.mode & 0o022]).toEqual([file, 0, 0]);
    }
    const unit = readFileSync(env.DUSTY_HELPER_UNIT_FILE ?? '', 'utf8');
    expect(unit).toContain(
      `ExecStart=${copied}/dusty ${installDir}/dist/src-main/helper/serve-main.js`,
    );
    expect(unit).toContain('Environment=ELECTRON_RUN_AS_NODE=1');

    // The unit's command line, run: the copy serves.
    const plan = defaultInstallPlan(OWNER, {
      installDir,
      nodePath: path.join(bundle, 'dusty'),
      electronBundle: bundle,
    });
    const [runtime, ...args] = serveArgv(plan);
    expect(runtime).toBe(path.join(copied, 'dusty'));
    const served = spawn(runtime ?? '', args, { env, stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(p.socket); i += 1) await sleep(50);
      expect(await request(p.socket, 'version')).toMatchObject({
        ok: true,
        result: { ownerUid: OWNER },
      });
    } finally {
      served.kill('SIGKILL');
    }
    const uninstall = installMain(env, ['uninstall']);
    expect(uninstall.status).toBe(0);
    expect(existsSync(installDir)).toBe(false);
  });

  it.skipIf(existsSync('/run/systemd/system'))(
    'says systemd is not running and how to start the helper by hand (skipped where systemd runs)',
    () => {
      const p = makePaths('127.0.0.1 localhost\n');
      paths = p;
      const install = installMain(installEnv(p), ['install', '--source', ROOT]);
      expect(install.status).toBe(0);
      expect(install.stdout).toMatch(/systemd is not running/);
      // The fallback is root's installed copy, never the owner's checkout run as root.
      expect(install.stdout).toContain(
        `Start the installed copy yourself, as root: ${shellQuote(path.join(p.dir, 'lib', 'dusty-helper', 'node'))} `,
      );
      expect(install.stdout).not.toMatch(/dusty helper serve/);
      expect(existsSync(installEnv(p).DUSTY_HELPER_UNIT_FILE ?? '')).toBe(true);
    },
  );

  it('refuses the privileged step when not run as root', () => {
    const p = makePaths();
    paths = p;
    mkdirSync(path.join(p.dir, 'lib'), { recursive: true });
    writeFileSync(path.join(p.dir, 'marker'), '');
    const run = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        INSTALL_MAIN,
        'install',
        '--owner',
        '65534',
      ],
      { env: installEnv(p), encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/must run as root/);
    expect(existsSync(path.join(p.dir, 'lib', 'dusty-helper'))).toBe(false);
  });
});

describe('helper CLI commands', () => {
  /** Runs the real `dusty` with stdin not a terminal; stdout and stderr together. */
  function runCli(args: string[]): { code: number | null; out: string } {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/dusty.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status, out: r.stdout + r.stderr };
  }

  it('shutdown on a native engine says there is nothing to stop', () => {
    expect(runCli(['shutdown', '--provider', 'native']).out).toMatch(/no VM to stop/);
  });

  it('setup shows what it will install and, off a terminal without --yes, changes nothing', () => {
    const r = runCli(['setup']);
    expect(r.out).toContain('/usr/local/lib/dusty-helper');
    expect(r.out).toMatch(/edits only Dusty's section of \/etc\/hosts and \/etc\/exports/);
    expect(r.out).toMatch(/Nothing was changed \(not a terminal: pass --yes to go ahead\)/);
    expect(r.code).toBe(1);
  });
});
