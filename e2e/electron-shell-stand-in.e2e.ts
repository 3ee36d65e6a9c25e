/**
 * The Electron shell's own wiring (tray, menus, IPC handlers for every
 * contract channel, the helper offer, the dashboard window's lock-down)
 * against a stand-in for the `electron` module, since Electron's binary
 * cannot be downloaded here; e2e/electron.e2e.ts runs the real binary where
 * it exists. The built main.js runs in plain Node with the stand-in resolved
 * as `electron` (e2e/support/electron-stand-in/), over the real Docker engine.
 * The configured engine is Colima, itself a stand-in script (no VM can run
 * here) whose `start` makes its socket lead to the real engine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_NAMES, IPC_CALL, IPC_EVENT } from '../src-shared/api/contract.js';
import {
  containerId,
  docker,
  makeEnv,
  ROOT,
  teardownEnv,
  type TestEnv,
} from './pages/environment.js';

const PROJECT = 'e2eshell';
const STAND_IN = join(ROOT, 'e2e/support/electron-stand-in/register.mjs');
const MAIN = join(ROOT, 'dist/src-main/app/main.js');
const PAGE = 'file:///dusty/dist-renderer/index.html';

interface MenuItem {
  type: string;
  label?: string;
  checked?: boolean;
  enabled: boolean;
  clickable: boolean;
  submenu?: MenuItem[];
}
interface Snapshot {
  tray: { image: string | null; tooltip: string; menu: MenuItem[] } | null;
  windows: {
    visible: boolean;
    destroyed: boolean;
    file: string | null;
    webPreferences: Record<string, unknown>;
  }[];
  dialogs: { title: string; detail?: string; buttons: string[]; response: number }[];
  notifications: { title: string; body: string }[];
  opened: string[];
  sudo: { command: string; name: string; env: Record<string, string> }[];
  handlers: string[];
  appEvents: string[];
  sent: Record<string, { channel: string; message: { channel: string; payload: unknown } }[]>;
}
interface CallResult {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

/** The shell as a child process, driven through the stand-in's control channel. */
class ShellUnderTest {
  private next = 1;
  private readonly waiting = new Map<
    number,
    (m: { ok: boolean; value?: unknown; error?: string }) => void
  >();
  readonly exited: Promise<number | null>;
  output = '';

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  async ask<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    const answer = new Promise<{ ok: boolean; value?: unknown; error?: string }>((resolve) =>
      this.waiting.set(id, resolve),
    );
    this.child.send({ id, op, ...args });
    const m = await answer;
    if (!m.ok) throw new Error(`${op}: ${m.error}\n--- shell output ---\n${this.output}`);
    return m.value as T;
  }

  snapshot = () => this.ask<Snapshot>('snapshot');
  click = (label: string) => this.ask<boolean>('click', { label });
  call = (channel: unknown, input: unknown, senderUrl = PAGE, senderId = 1) =>
    this.ask<CallResult>('invoke', {
      channel: IPC_CALL,
      args: [channel, input],
      senderUrl,
      senderId,
    });

  /** Polls the snapshot until `test` holds, failing with the last snapshot. */
  async until(test: (s: Snapshot) => boolean, what: string, ms = 60_000): Promise<Snapshot> {
    const end = Date.now() + ms;
    let s = await this.snapshot();
    while (!test(s)) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; tray: ${JSON.stringify(s.tray)}; notifications: ${JSON.stringify(s.notifications)}; last events: ${JSON.stringify(Object.values(s.sent).flat().slice(-3))}\n${this.output}`,
        );
      await new Promise((r) => setTimeout(r, 200));
      s = await this.snapshot();
    }
    return s;
  }
}

const labels = (items: MenuItem[] | undefined): string[] =>
  (items ?? []).flatMap((i) => [i.label ?? '', ...labels(i.submenu)]).filter(Boolean);
const item = (s: Snapshot, label: string | RegExp) =>
  s.tray?.menu.find((i) =>
    typeof label === 'string' ? i.label === label : label.test(i.label ?? ''),
  );

let env: TestEnv | undefined;
let shell: ShellUnderTest;
let colimaCalls: string;
let socket: string;

/** A Colima stand-in: `start` links its socket to the real engine, `status` answers while it exists. */
function writeColima(dir: string, colimaHome: string): void {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(colimaHome, 'default'), { recursive: true });
  // Colima shares only the folders listed here with its VM; the test's folder holds the repos.
  writeFileSync(
    join(colimaHome, 'default', 'colima.yaml'),
    `mounts:\n  - location: ${dir}\n    writable: true\n`,
  );
  writeFileSync(
    join(bin, 'colima'),
    [
      '#!/bin/sh',
      `echo "colima $*" >> "${colimaCalls}"`,
      `sock="${socket}"`,
      'case "$1" in',
      '  status) [ -L "$sock" ] || { echo "colima is not running" >&2; exit 1; }',
      `    printf '{"display_name":"colima","runtime":"docker","docker_socket":"unix://%s"}\\n' "$sock" ;;`,
      '  start) ln -sf /var/run/docker.sock "$sock" ;;',
      '  stop) rm -f "$sock" ;;',
      '  *) exit 2 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'colima'), 0o755);
}

beforeAll(async () => {
  env = makeEnv(PROJECT, { web: 19581, api: 19582, echo: 19977 });
  const colimaHome = join(env.dir, '.colima');
  colimaCalls = join(env.dir, 'colima-calls');
  socket = join(colimaHome, 'default', 'docker.sock');
  writeFileSync(colimaCalls, '');
  writeColima(env.dir, colimaHome);
  await env.useCopies();
  await env.store.setConfig('nginx_image', 'dusty-nginx:local');
  await env.store.setConfig('vm_provider', 'colima');

  const child = fork(MAIN, [], {
    execArgv: ['--import', STAND_IN],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...env.env,
      PATH: `${join(env.dir, 'bin')}:${process.env.PATH ?? ''}`,
      COLIMA_HOME: colimaHome,
      // The engine is Colima's until Colima starts: the socket does not exist yet.
      DOCKER_HOST: `unix://${socket}`,
      DOCKER_CONTEXT: '',
      // The sandbox has no helper, so the first start offers it; the person declines.
      DUSTY_STAND_IN_DIALOG_ANSWERS: '[1]',
    },
  });
  shell = new ShellUnderTest(child);
}, 120_000);

afterAll(async () => {
  if (shell && shell.child.exitCode === null) shell.child.kill('SIGKILL');
  teardownEnv(env);
});

describe('the tray', () => {
  it('shows the specs’ bundles, Up, the helper offer and no window: a menubar app', async () => {
    const s = await shell.until((x) => !!item(x, /^echo/) && !!item(x, 'Up'), 'the bundles');
    const bundles = readdirSync(join(env!.specs, 'bundles')).map((f) => f.replace(/\.yml$/, ''));
    for (const b of bundles)
      expect(item(s, new RegExp(`^${b}( — |$)`))).toMatchObject({
        type: 'checkbox',
        checked: false,
        clickable: true,
      });
    expect(labels(s.tray!.menu)).toEqual(
      expect.arrayContaining([
        'Bundles',
        'Up',
        'Stop',
        'Install the privileged helper…',
        'Open Dashboard',
        'Quit Dusty',
      ]),
    );
    // Nothing runs yet, so Stop has nothing to stop.
    expect(item(s, 'Stop')!.enabled).toBe(false);
    expect(s.tray!.tooltip).toMatch(/^Dusty/);
    expect(s.tray!.image).toMatch(/^tray-(stopped|failed)\.png$/);
    expect(s.windows).toEqual([]);
    expect(s.appEvents).toEqual(
      expect.arrayContaining(['second-instance', 'activate', 'before-quit', 'window-all-closed']),
    );
  });

  it('offers the helper at first start; declining says how Dusty works without it and is remembered', async () => {
    const s = await shell.until((x) => x.dialogs.length >= 2, 'the helper offer');
    expect(s.dialogs[0]).toMatchObject({
      title: 'Install Dusty’s helper?',
      buttons: ['Install Helper…', 'Not Now'],
      response: 1,
    });
    expect(s.dialogs[0]!.detail).toContain('/etc/hosts');
    expect(s.dialogs[1]!.title).toBe('Dusty works without the helper');
    expect(s.sudo).toEqual([]);
    expect(JSON.parse(readFileSync(join(env!.home, 'helper-offer.json'), 'utf8'))).toMatchObject({
      decided: 'declined',
    });
  });

  it('installs the helper from the menu through one sudo prompt (a stand-in: no password dialog here) and says when it is refused', async () => {
    await shell.ask('answer', { answers: [0] });
    await shell.click('Install the privileged helper…');
    const s = await shell.until((x) => x.dialogs.length >= 4, 'the install outcome');
    expect(s.dialogs[2]).toMatchObject({ title: 'Install Dusty’s helper?', response: 0 });
    expect(s.sudo).toHaveLength(1);
    expect(s.sudo[0]!.name).toBe('Dusty');
    expect(s.sudo[0]!.command).toMatch(/helper/);
    expect(s.sudo[0]!.command).toContain(String(process.getuid!()));
    expect(s.dialogs[3]).toMatchObject({ title: 'The helper was not installed' });
    expect(s.dialogs[3]!.detail).toContain('User did not grant permission.');
    // Still offered, since it is still not installed.
    expect(item(await shell.snapshot(), 'Install the privileged helper…')).toBeDefined();
  });
});

describe('IPC', () => {
  it('has one handler, which answers every contract channel as data to the dashboard’s own page only', async () => {
    expect((await shell.snapshot()).handlers).toEqual([IPC_CALL]);
    const info = await shell.call('app:info', {});
    expect(info).toMatchObject({ ok: true, value: { shell: 'electron', project: PROJECT } });
    // Every channel reaches the service, which checks its input against the contract's schema.
    for (const channel of CALL_NAMES) {
      const r = await shell.call(channel, { notAField: 1 });
      expect([channel, r.error?.code]).toEqual([channel, 'invalid-input']);
      expect(r.error?.message).toContain(channel);
    }
    expect((await shell.call('nothing:here', {})).error?.code).toBe('unknown-call');
    const foreign = await shell.call('app:info', {}, 'https://example.com/', 2);
    expect(foreign).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'not the dashboard' },
    });
    expect((await shell.snapshot()).sent['2']).toBeUndefined();
  });
});

describe('Up and Stop from the tray', () => {
  it('a bundle’s checkbox switches it on, as the dashboard sees it', async () => {
    await shell.click(
      (await shell.snapshot()).tray!.menu.find((i) => /^echo/.test(i.label ?? ''))!.label!,
    );
    const s = await shell.until((x) => item(x, /^echo/)?.checked === true, 'echo checked');
    expect(item(s, /^web/)?.checked).toBe(false);
    const listed = await shell.call('bundles:list', {});
    expect(listed.value).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'echo', active: true }),
        expect.objectContaining({ name: 'web', active: false }),
      ]),
    );
  });

  it('Up starts the configured engine (Colima) first, then the bundle’s containers; the menu lists the app', async () => {
    expect(existsSync(socket)).toBe(false);
    await shell.click('Up');
    const s = await shell.until(
      (x) => /^echo: running/.test(item(x, /^echo: /)?.label ?? ''),
      'echo running in the menu',
      100_000,
    );
    expect(readFileSync(colimaCalls, 'utf8')).toMatch(/^colima start --profile default/m);
    const id = containerId(PROJECT, 'echo');
    expect(docker('inspect', '-f', '{{.State.Running}}', id).trim()).toBe('true');
    expect(item(s, 'Apps')).toBeDefined();
    // Once up has finished: the icon says running and Stop has something to stop.
    const done = await shell.until(
      (x) => x.tray!.image === 'tray-running.png' && item(x, 'Stop')!.enabled,
      'the running icon',
    );
    expect(done.tray!.tooltip).toMatch(/^Dusty: /);
    // The page that called earlier hears the operation's progress over the event channel.
    const events = (done.sent['1'] ?? []).filter((m) => m.channel === IPC_EVENT);
    expect(events.map((m) => m.message.channel)).toContain('operation:changed');
  }, 180_000);

  it('a container that dies turns the icon red and a notification names it; Up brings it back', async () => {
    const notified = (await shell.snapshot()).notifications.length;
    docker('kill', containerId(PROJECT, 'echo'));
    const s = await shell.until(
      (x) => x.tray!.image === 'tray-failed.png' && x.notifications.length > notified,
      'the failed icon and a notification',
    );
    const news = s.notifications.slice(notified);
    expect(news.map((n) => `${n.title} ${n.body}`).join('\n')).toMatch(/echo/);
    expect(s.tray!.tooltip).toMatch(/echo stopped unexpectedly/);
    await shell.click('Up');
    await shell.until(
      (x) => x.tray!.image === 'tray-running.png' && item(x, 'Stop')!.enabled,
      'running again',
      100_000,
    );
  }, 150_000);

  it('Stop stops the containers and the icon says stopped', async () => {
    await shell.click('Stop');
    await shell.until((x) => x.tray!.image === 'tray-stopped.png', 'the stopped icon', 90_000);
    const id = containerId(PROJECT, 'echo');
    expect(docker('inspect', '-f', '{{.State.Running}}', id).trim()).toBe('false');
  });
});

describe('the dashboard window', () => {
  it('opens once, locked down: sandboxed, isolated, no navigation, no new windows, no permissions, a CSP', async () => {
    await shell.click('Open Dashboard');
    const s = await shell.until((x) => x.windows[0]?.visible === true, 'the window shown');
    expect(s.windows).toHaveLength(1);
    expect(s.windows[0]!.webPreferences).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    });
    expect(String(s.windows[0]!.webPreferences.preload)).toMatch(/preload\.js$/);
    expect(s.windows[0]!.file).toMatch(/index\.html$/);
    const win = (action: string, url?: string) =>
      shell.ask<unknown>('window', { index: 0, action, url });
    expect(await win('open', 'https://example.com/docs')).toEqual({ action: 'deny' });
    expect(await win('open', 'javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(await win('navigate', 'https://example.com/')).toEqual({ prevented: true });
    expect(await win('permission')).toBe(false);
    const headers = (await win('headers', 'file:///x')) as Record<string, string[]>;
    expect(headers['Content-Security-Policy']?.[0]).toContain("default-src 'none'");
    // Only the http(s) link went to the browser.
    expect((await shell.snapshot()).opened).toEqual([
      'https://example.com/docs',
      'https://example.com/',
    ]);
  });

  it('closing hides it (Dusty stays in the menubar); a second launch shows the same window', async () => {
    expect(await shell.ask('window', { index: 0, action: 'close' })).toBe('prevented');
    expect((await shell.snapshot()).windows[0]!.visible).toBe(false);
    await shell.ask('emitApp', { event: 'second-instance' });
    const s = await shell.snapshot();
    expect(s.windows).toHaveLength(1);
    expect(s.windows[0]!.visible).toBe(true);
  });
});

describe('Quit', () => {
  it('ends the process cleanly', async () => {
    await shell.click('Quit Dusty');
    expect(await shell.exited).toBe(0);
  });
});
