/**
 * The dashboard's state: a cache of the main side, filled once and then kept
 * current by pushed events (no polling).
 */
import { useSyncExternalStore } from 'react';
import type {
  ApiError,
  AppInfo,
  BundleInfo,
  ContainerRow,
  HealthState,
  HttpsInfo,
  Notice,
  OperationState,
} from '../src-shared/api/contract.js';
import { api, type ConnectionState } from './api.js';

export type View = 'bundles' | 'containers' | 'logs' | 'terminal' | 'repos' | 'settings';

export interface TerminalTab {
  id: string;
  title: string;
}

export interface State {
  connection: ConnectionState;
  info: AppInfo | null;
  bundles: BundleInfo[] | null;
  bundlesError: ApiError | null;
  containers: ContainerRow[];
  /** What each URL answers and the overall state (null until main says). */
  health: HealthState | null;
  /** The local CA behind the https URLs (null until main says). */
  https: HttpsInfo | null;
  operation: OperationState | null;
  notices: (Notice & { key: number })[];
  view: View;
  /** Containers the Logs view follows. */
  logNames: string[];
  terminals: TerminalTab[];
  activeTerminal: string | null;
}

let state: State = {
  connection: 'connecting',
  info: null,
  bundles: null,
  bundlesError: null,
  containers: [],
  health: null,
  https: null,
  operation: null,
  notices: [],
  view: (sessionStorage.getItem('dusty.view') as View | null) ?? 'bundles',
  logNames: [],
  terminals: JSON.parse(sessionStorage.getItem('dusty.terminals') ?? '[]') as TerminalTab[],
  activeTerminal: sessionStorage.getItem('dusty.activeTerminal'),
};
const subscribers = new Set<() => void>();

export function getState(): State {
  return state;
}

export function setState(patch: Partial<State> | ((s: State) => Partial<State>)): void {
  state = { ...state, ...(typeof patch === 'function' ? patch(state) : patch) };
  sessionStorage.setItem('dusty.view', state.view);
  sessionStorage.setItem('dusty.terminals', JSON.stringify(state.terminals));
  if (state.activeTerminal) sessionStorage.setItem('dusty.activeTerminal', state.activeTerminal);
  for (const fn of subscribers) fn();
}

export function useStore<T>(select: (s: State) => T): T {
  return useSyncExternalStore(
    (fn) => {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    () => select(state),
  );
}

let noticeKey = 0;
export function pushNotice(n: Notice): void {
  const key = ++noticeKey;
  setState((s) => ({ notices: [...s.notices.slice(-4), { ...n, key }] }));
  setTimeout(
    () => setState((s) => ({ notices: s.notices.filter((x) => x.key !== key) })),
    n.level === 'error' ? 12000 : 6000,
  );
}

export async function loadHttps(): Promise<void> {
  const r = await api.call('https:get', {});
  if (r.ok) setState({ https: r.value });
}

export async function loadBundles(): Promise<void> {
  const r = await api.call('bundles:list', {});
  if (r.ok) setState({ bundles: r.value, bundlesError: null });
  else setState({ bundles: null, bundlesError: r.error });
}

/** Fetches everything once, then follows events. */
export function startStore(): void {
  api.on('containers:changed', (rows) => setState({ containers: rows }));
  api.on('health:changed', (health) => setState({ health }));
  api.on('https:changed', (https) => setState({ https }));
  api.on('bundles:changed', (bundles) => setState({ bundles, bundlesError: null }));
  api.on('operation:changed', (operation) => {
    // `up` makes the CA the first time: what the header says about it may have changed.
    if (operation.status !== 'running' && getState().operation?.status === 'running')
      void loadHttps();
    setState({ operation });
  });
  api.on('notices:new', (n) => pushNotice(n));
  api.onConnection((connection) => {
    setState({ connection });
    if (connection === 'open') void refreshAll();
  });
}

async function refreshAll() {
  const [info, containers, operation, health] = await Promise.all([
    api.call('app:info', {}),
    api.call('containers:list', {}),
    api.call('operation:get', {}),
    api.call('health:get', {}),
  ]);
  setState({
    ...(info.ok ? { info: info.value } : {}),
    ...(containers.ok ? { containers: containers.value } : {}),
    ...(health.ok ? { health: health.value } : {}),
    ...(operation.ok ? { operation: operation.value } : {}),
  });
  await Promise.all([loadBundles(), loadHttps()]);
}
