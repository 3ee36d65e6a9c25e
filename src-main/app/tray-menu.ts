/**
 * The menubar's menu and icon as a pure function of the state the engine
 * events keep current. No electron import here: the shell turns these plain
 * descriptions into a Menu, and tests check them in Node.
 */
import type {
  BundleInfo,
  ContainerRow,
  EngineInfo,
  HealthState,
  OperationState,
  UrlCheck,
} from '../../src-shared/api/contract.js';
import {
  containerPhase,
  describePhase,
  phaseExists,
  phaseRuns,
} from '../../src-shared/container-phase.js';
import { classifyHealth, type HealthLevel } from '../../src-shared/health.js';

export interface TrayState {
  bundles: BundleInfo[] | null;
  /** Why the bundles could not be read (no specs repo, invalid specs). */
  bundlesError?: string | undefined;
  containers: ContainerRow[];
  operation: OperationState | null;
  /** What each URL answers and the overall state, from the service (absent before the first probe). */
  health?: HealthState | null | undefined;
  /** The engine Dusty talks to (absent until it is known). */
  engine?: EngineInfo | null | undefined;
  /** False when the privileged helper is not installed (the menu offers it). */
  helperInstalled: boolean;
  /** macOS shows a sublabel under a menu item; elsewhere the description joins the label. */
  platform: string;
}

export type TrayAction =
  | { type: 'toggle-bundle'; name: string; active: boolean }
  | { type: 'up' }
  | { type: 'stop' }
  | { type: 'open-url'; url: string }
  | { type: 'open-dashboard' }
  | { type: 'install-helper' }
  | { type: 'start-engine' }
  | { type: 'quit' };

/** A menu item as data: what Electron's MenuItemConstructorOptions needs, with an action instead of a click handler. */
export interface TrayItem {
  type?: 'normal' | 'separator' | 'checkbox' | 'submenu';
  label?: string;
  sublabel?: string;
  toolTip?: string;
  checked?: boolean;
  enabled?: boolean;
  action?: TrayAction;
  submenu?: TrayItem[];
}

export type TrayIcon = 'stopped' | 'starting' | 'running' | 'failed';

const separator: TrayItem = { type: 'separator' };

/** Its process runs (the same phases the dashboard's Shell and Stop buttons accept). */
const isUp = (c: ContainerRow) => phaseRuns(containerPhase(c));

const ICONS: Record<HealthLevel, TrayIcon> = {
  green: 'running',
  amber: 'starting',
  red: 'failed',
  grey: 'stopped',
};

/** What the icon says: the overall state (the same classifier as the dashboard's header and `status`). */
export function trayIcon(s: Pick<TrayState, 'containers' | 'operation' | 'health'>): {
  icon: TrayIcon;
  tooltip: string;
} {
  const op = s.operation;
  if (op?.status === 'running')
    return { icon: 'starting', tooltip: `Dusty: ${op.kind} in progress (${op.step})` };
  const managed = s.containers.filter((c) => c.kind !== 'router');
  if (op?.status === 'failed' && managed.filter(isUp).length < managed.length)
    return {
      icon: 'failed',
      tooltip: `Dusty: ${op.kind} failed: ${op.error?.message.split('\n')[0] ?? ''}`,
    };
  // Before the service has classified anything, a stack with nothing running counts as stopped.
  const overall =
    s.health?.overall ??
    classifyHealth({
      containers: s.containers,
      urls: [],
      stoppedOnPurpose: managed.some(isUp) ? undefined : new Set(s.containers.map((c) => c.name)),
    });
  return { icon: ICONS[overall.level], tooltip: `Dusty: ${overall.summary}` };
}

/** ` (200)`, ` (no answer)` or nothing when the URL has not been probed. */
const answer = (c: UrlCheck | undefined) =>
  !c ? '' : c.ok ? ` (${c.status ?? 'open'})` : ` (${c.status ?? 'no answer'})`;

/** The engine's kind and version, and one click to start it when it is stopped. */
function engineItems(engine: EngineInfo | null | undefined, busy: boolean): TrayItem[] {
  if (!engine) return [];
  if (engine.running)
    return [
      {
        label: `Engine: ${engine.label}${engine.version ? ` ${engine.version}` : ''}`,
        toolTip: engine.description,
        enabled: false,
      },
      separator,
    ];
  const items: TrayItem[] = [{ label: `Engine: ${engine.label} is stopped`, enabled: false }];
  if (engine.canStart)
    items.push({
      label: `Start ${engine.label}`,
      enabled: !busy,
      action: { type: 'start-engine' },
    });
  return [...items, separator];
}

/** The whole tray menu for a state. */
export function buildTrayMenu(s: TrayState): TrayItem[] {
  const busy = s.operation?.status === 'running';
  const mac = s.platform === 'darwin';
  const items: TrayItem[] = [
    { label: trayIcon(s).tooltip.replace(/^Dusty: /, 'Dusty — '), enabled: false },
    separator,
  ];

  items.push(...engineItems(s.engine, busy));
  items.push({ label: 'Bundles', enabled: false });
  if (s.bundlesError) items.push({ label: s.bundlesError.split('\n')[0]!, enabled: false });
  else if (!s.bundles?.length)
    items.push({ label: 'No bundles in the specs repo', enabled: false });
  for (const b of s.bundles ?? []) {
    const description = b.description.trim();
    items.push({
      type: 'checkbox',
      label: mac || !description ? b.name : `${b.name} — ${description}`,
      ...(mac && description ? { sublabel: description } : {}),
      ...(description ? { toolTip: description } : {}),
      checked: b.active,
      enabled: !busy,
      action: { type: 'toggle-bundle', name: b.name, active: !b.active },
    });
  }
  items.push(separator);
  items.push({
    label: busy && s.operation?.kind === 'up' ? 'Up (starting…)' : 'Up',
    enabled: !busy,
    action: { type: 'up' },
  });
  items.push({
    label: 'Stop',
    enabled: !busy && s.containers.some(isUp),
    action: { type: 'stop' },
  });

  const apps = s.containers.filter((c) => c.kind === 'app' && phaseExists(containerPhase(c)));
  const check = (url: string) => s.health?.urls.find((u) => u.url === url);
  if (apps.length) {
    items.push(separator, { label: 'Apps', enabled: false });
    for (const a of apps) {
      const state = describePhase(a);
      const urls = a.urls.filter((u) => /^https?:\/\//.test(u));
      const base = `${a.name}: ${state}`;
      if (urls.length > 1)
        items.push({
          type: 'submenu',
          label: base,
          submenu: urls.map((url) => ({
            label: `${url}${answer(check(url))}`,
            enabled: isUp(a),
            action: { type: 'open-url', url },
          })),
        });
      else if (urls.length === 1)
        items.push({
          label: `${base} — ${urls[0]!}${answer(check(urls[0]!))}`,
          enabled: isUp(a),
          action: { type: 'open-url', url: urls[0]! },
        });
      else items.push({ label: base, enabled: false });
    }
  }

  items.push(separator);
  if (!s.helperInstalled)
    items.push({ label: 'Install the privileged helper…', action: { type: 'install-helper' } });
  items.push({ label: 'Open Dashboard', action: { type: 'open-dashboard' } });
  items.push({ label: 'Quit Dusty', action: { type: 'quit' } });
  return items;
}
