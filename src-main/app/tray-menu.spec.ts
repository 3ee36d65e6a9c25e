import { describe, expect, it } from 'vitest';
import type {
  BundleInfo,
  ContainerRow,
  EngineInfo,
  OperationState,
} from '../../src-shared/api/contract.js';
import { buildTrayMenu, trayIcon, type TrayItem, type TrayState } from './tray-menu.js';

const bundle = (name: string, active: boolean, description = `the ${name} bundle`): BundleInfo => ({
  name,
  description,
  active,
  apps: [name],
  services: [],
  libs: [],
  file: `bundles/${name}.yml`,
});

const row = (name: string, state: string, extra: Partial<ContainerRow> = {}): ContainerRow => ({
  name,
  kind: 'app',
  state,
  health: null,
  containerName: `dusty_${name}_1`,
  id: name,
  image: 'img',
  ports: [],
  urls: [],
  scripts: [],
  ...extra,
});

const op = (
  status: OperationState['status'],
  extra: Partial<OperationState> = {},
): OperationState => ({
  id: 1,
  kind: 'up',
  status,
  startedAt: 0,
  step: 'starting containers',
  lines: [],
  warnings: [],
  containers: [],
  urls: [],
  ...extra,
});

const base: TrayState = {
  bundles: [bundle('web', true), bundle('echo', false)],
  containers: [],
  operation: null,
  helperInstalled: true,
  platform: 'linux',
};

const labels = (items: TrayItem[]) =>
  items.filter((i) => i.type !== 'separator').map((i) => i.label);
const find = (items: TrayItem[], label: string | RegExp) =>
  items.find((i) => (typeof label === 'string' ? i.label === label : label.test(i.label ?? '')));

describe('tray menu', () => {
  it('lists every bundle as a checkbox with its description, checked when active', () => {
    const items = buildTrayMenu(base);
    const web = find(items, /^web/)!;
    const echo = find(items, /^echo/)!;
    expect(web).toMatchObject({ type: 'checkbox', checked: true, label: 'web — the web bundle' });
    expect(echo).toMatchObject({
      type: 'checkbox',
      checked: false,
      action: { type: 'toggle-bundle', name: 'echo', active: true },
    });
    expect(web.action).toEqual({ type: 'toggle-bundle', name: 'web', active: false });
  });

  it('puts the description in a sublabel on macOS', () => {
    const web = find(buildTrayMenu({ ...base, platform: 'darwin' }), 'web')!;
    expect(web.sublabel).toBe('the web bundle');
  });

  it('offers Up, Stop, Open Dashboard and Quit, with Stop disabled when nothing runs', () => {
    const items = buildTrayMenu(base);
    expect(labels(items)).toEqual(
      expect.arrayContaining(['Up', 'Stop', 'Open Dashboard', 'Quit Dusty']),
    );
    expect(find(items, 'Stop')!.enabled).toBe(false);
    expect(find(items, 'Up')!.enabled).toBe(true);
    const running = buildTrayMenu({ ...base, containers: [row('web', 'running')] });
    expect(find(running, 'Stop')!.enabled).toBe(true);
  });

  it('disables Up, Stop and bundle switches while an operation runs', () => {
    const items = buildTrayMenu({ ...base, operation: op('running') });
    expect(find(items, /^Up/)!.enabled).toBe(false);
    expect(find(items, /^web/)!.enabled).toBe(false);
  });

  it('shows each app with its state, and clicking a running one opens its URL', () => {
    const items = buildTrayMenu({
      ...base,
      containers: [
        row('web', 'running', { urls: ['http://web.demo.test'] }),
        row('api', 'exited', { urls: ['http://api.demo.test'] }),
        row('cache', 'running', { kind: 'service' }),
        row('dusty-router', 'running', { kind: 'router' }),
      ],
    });
    const web = find(items, /^web: running/)!;
    expect(web.label).toBe('web: running — http://web.demo.test');
    expect(web.action).toEqual({ type: 'open-url', url: 'http://web.demo.test' });
    expect(web.enabled).toBe(true);
    expect(find(items, /^api: exited/)!.enabled).toBe(false);
    expect(find(items, /^cache/)).toBeUndefined();
    expect(find(items, /^dusty-router/)).toBeUndefined();
  });

  it('names each app by the phase the dashboard shows, and hides apps with no container', () => {
    const items = buildTrayMenu({
      ...base,
      containers: [
        row('web', 'running', { health: 'starting' }),
        row('api', 'running', { health: 'healthy' }),
        row('docs', 'not created', { id: null, containerName: null }),
        row('admin', 'paused'),
      ],
    });
    expect(find(items, /^web:/)!.label).toBe('web: starting');
    expect(find(items, /^api:/)!.label).toBe('api: running (healthy)');
    expect(find(items, /^admin:/)!.label).toBe('admin: paused');
    expect(find(items, /^docs/)).toBeUndefined();
    // A starting app's process runs, so Stop is offered.
    expect(find(items, 'Stop')!.enabled).toBe(true);
  });

  it('shows what each app’s URL answered', () => {
    const check = (url: string, ok: boolean, status: number | null) => ({
      url,
      app: 'web',
      ok,
      status,
      ms: 4,
      at: 0,
    });
    const items = buildTrayMenu({
      ...base,
      containers: [
        row('web', 'running', { urls: ['http://web.demo.test'] }),
        row('api', 'running', { urls: ['http://api.demo.test'] }),
        row('echo', 'running', { urls: ['tcp://echo.demo.test:7777'] }),
      ],
      health: {
        overall: { level: 'red', word: 'broken', summary: 'x', broken: [] },
        urls: [check('http://web.demo.test', true, 200), check('http://api.demo.test', false, 502)],
      },
    });
    expect(find(items, /^web:/)!.label).toBe('web: running — http://web.demo.test (200)');
    expect(find(items, /^api:/)!.label).toBe('api: running — http://api.demo.test (502)');
  });

  it('gives an app with several URLs a submenu of them', () => {
    const items = buildTrayMenu({
      ...base,
      containers: [
        row('web', 'running', { urls: ['http://a.test', 'http://b.test', 'tcp://c.test:7'] }),
      ],
    });
    const web = find(items, 'web: running')!;
    expect(web.submenu?.map((i) => i.action)).toEqual([
      { type: 'open-url', url: 'http://a.test' },
      { type: 'open-url', url: 'http://b.test' },
    ]);
  });

  it('says why there are no bundles when the specs cannot be read', () => {
    const items = buildTrayMenu({
      ...base,
      bundles: null,
      bundlesError: 'no specs repo is configured\nmore',
    });
    expect(labels(items)).toContain('no specs repo is configured');
  });

  it('offers the helper only when it is not installed', () => {
    expect(labels(buildTrayMenu(base))).not.toContain('Install the privileged helper…');
    expect(labels(buildTrayMenu({ ...base, helperInstalled: false }))).toContain(
      'Install the privileged helper…',
    );
  });

  const engine = (running: boolean, canStart = true): EngineInfo => ({
    context: 'orbstack',
    source: 'config.json',
    endpoint: 'unix:///Users/me/.orbstack/run/docker.sock',
    description: 'context "orbstack": unix:///Users/me/.orbstack/run/docker.sock',
    kind: 'orbstack',
    label: 'OrbStack',
    detectedKind: 'orbstack',
    detectedLabel: 'OrbStack',
    running,
    version: running ? '28.3.3' : null,
    os: running ? 'OrbStack' : null,
    configured: 'auto',
    mismatch: null,
    mounts: 'bind',
    mountsWhy: 'OrbStack shares your folders with its engine',
    canStart,
    startHow: canStart ? 'orb start' : null,
    error: null,
  });

  it('names the engine and its version when it answers, with nothing to start', () => {
    const items = buildTrayMenu({ ...base, engine: engine(true) });
    expect(labels(items)).toContain('Engine: OrbStack 28.3.3');
    expect(items.some((i) => i.action?.type === 'start-engine')).toBe(false);
  });

  it('offers one click to start a stopped engine, disabled while an operation runs', () => {
    const items = buildTrayMenu({ ...base, engine: engine(false) });
    expect(labels(items)).toContain('Engine: OrbStack is stopped');
    expect(find(items, 'Start OrbStack')).toMatchObject({
      enabled: true,
      action: { type: 'start-engine' },
    });
    const busy = buildTrayMenu({ ...base, engine: engine(false), operation: op('running') });
    expect(find(busy, 'Start OrbStack')?.enabled).toBe(false);
    const cannot = buildTrayMenu({ ...base, engine: engine(false, false) });
    expect(find(cannot, 'Start OrbStack')).toBeUndefined();
  });
});

describe('tray icon', () => {
  it('is stopped when nothing runs', () => {
    expect(trayIcon({ containers: [row('web', 'exited')], operation: null }).icon).toBe('stopped');
    expect(trayIcon({ containers: [], operation: null }).icon).toBe('stopped');
  });
  it('is starting while an operation runs', () => {
    expect(trayIcon({ containers: [row('web', 'running')], operation: op('running') }).icon).toBe(
      'starting',
    );
  });
  it('is running when every app runs', () => {
    expect(
      trayIcon({
        containers: [row('web', 'running'), row('api', 'running')],
        operation: op('succeeded'),
      }).icon,
    ).toBe('running');
  });
  it('is failed when one container died while others run', () => {
    const r = trayIcon({
      containers: [row('web', 'running'), row('api', 'exited')],
      operation: op('succeeded'),
    });
    expect(r).toEqual({ icon: 'failed', tooltip: 'Dusty: api stopped unexpectedly' });
  });
  it('follows the service’s overall state: red naming a URL that stopped answering', () => {
    const r = trayIcon({
      containers: [row('web', 'running', { urls: ['http://web.test'] })],
      operation: null,
      health: {
        overall: {
          level: 'red',
          word: 'broken',
          summary: 'http://web.test does not answer',
          broken: ['http://web.test'],
        },
        urls: [],
      },
    });
    expect(r).toEqual({ icon: 'failed', tooltip: 'Dusty: http://web.test does not answer' });
  });
  it('is failed when the container is unhealthy', () => {
    expect(
      trayIcon({ containers: [row('web', 'running', { health: 'unhealthy' })], operation: null })
        .icon,
    ).toBe('failed');
  });
  it('is failed after up failed', () => {
    const r = trayIcon({
      containers: [row('web', 'exited')],
      operation: op('failed', {
        error: { code: 'container-failed', message: 'web did not start\nmore' },
      }),
    });
    expect(r).toEqual({ icon: 'failed', tooltip: 'Dusty: up failed: web did not start' });
  });
});
