/**
 * The menubar's menu and icon as a pure function of the state the engine
 * events keep current. No electron import here: the shell turns these plain
 * descriptions into a Menu, and tests check them in Node.
 */
import type { BundleInfo, ContainerRow, OperationState } from '../../src-shared/api/contract.js';

export interface TrayState {
  bundles: BundleInfo[] | null;
  /** Why the bundles could not be read (no specs repo, invalid specs). */
  bundlesError?: string | undefined;
  containers: ContainerRow[];
  operation: OperationState | null;
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

const isDown = (c: ContainerRow) => c.state === 'exited' || c.state === 'dead';
const isUp = (c: ContainerRow) => c.state === 'running';

/** What the icon says: something failed beats starting beats running beats stopped. */
export function trayIcon(s: Pick<TrayState, 'containers' | 'operation'>): {
  icon: TrayIcon;
  tooltip: string;
} {
  const op = s.operation;
  if (op?.status === 'running')
    return { icon: 'starting', tooltip: `Dusty: ${op.kind} in progress (${op.step})` };
  const managed = s.containers.filter((c) => c.kind !== 'router');
  const failed = managed.filter((c) => isDown(c) || c.health === 'unhealthy');
  const running = managed.filter(isUp);
  if (op?.status === 'failed' && running.length < managed.length)
    return {
      icon: 'failed',
      tooltip: `Dusty: ${op.kind} failed: ${op.error?.message.split('\n')[0] ?? ''}`,
    };
  if (failed.length && running.length)
    return {
      icon: 'failed',
      tooltip: `Dusty: ${failed.map((c) => c.name).join(', ')} ${failed.length === 1 ? 'is' : 'are'} down`,
    };
  if (running.length) return { icon: 'running', tooltip: `Dusty: ${running.length} running` };
  return { icon: 'stopped', tooltip: 'Dusty: stopped' };
}

/** The whole tray menu for a state. */
export function buildTrayMenu(s: TrayState): TrayItem[] {
  const busy = s.operation?.status === 'running';
  const mac = s.platform === 'darwin';
  const items: TrayItem[] = [
    { label: trayIcon(s).tooltip.replace(/^Dusty: /, 'Dusty — '), enabled: false },
    separator,
  ];

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

  const apps = s.containers.filter((c) => c.kind === 'app' && c.state !== 'not created');
  if (apps.length) {
    items.push(separator, { label: 'Apps', enabled: false });
    for (const a of apps) {
      const state = `${a.state}${a.health ? ` (${a.health})` : ''}`;
      const urls = a.urls.filter((u) => /^https?:\/\//.test(u));
      const base = `${a.name}: ${state}`;
      if (urls.length > 1)
        items.push({
          type: 'submenu',
          label: base,
          submenu: urls.map((url) => ({
            label: url,
            enabled: isUp(a),
            action: { type: 'open-url', url },
          })),
        });
      else if (urls.length === 1)
        items.push({
          label: `${base} — ${urls[0]!}`,
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
