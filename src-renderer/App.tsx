/** The dashboard: a header with Up and Stop, the operation's progress, the views, and notices. */
import { call } from './api.js';
import { setState, useStore, type View } from './store.js';
import { OperationPanel } from './views/OperationPanel.js';
import { BundlesView } from './views/BundlesView.js';
import { ContainersView } from './views/ContainersView.js';
import { LogsView } from './views/LogsView.js';
import { TerminalView } from './views/TerminalView.js';
import { ReposView } from './views/ReposView.js';
import { SettingsView } from './views/SettingsView.js';
import { Notices } from './views/Notices.js';
import { EngineBadge } from './views/EngineBadge.js';
import { ErrorBanner, useErrorBanner } from './views/ErrorBanner.js';

const VIEWS: { id: View; label: string }[] = [
  { id: 'bundles', label: 'Bundles' },
  { id: 'containers', label: 'Containers' },
  { id: 'logs', label: 'Logs' },
  { id: 'terminal', label: 'Terminal' },
  { id: 'repos', label: 'Repos' },
  { id: 'settings', label: 'Settings' },
];

/** The overall state (the same classifier as the tray and `dusty status`), or the operation in progress. */
function OverallState() {
  const operation = useStore((s) => s.operation);
  const overall = useStore((s) => s.health?.overall);
  const busy = operation?.status === 'running';
  const level = busy ? 'amber' : (overall?.level ?? 'grey');
  return (
    <div
      className={`summary ${level}`}
      role="status"
      aria-label="Overall state"
      aria-live="polite"
      data-level={level}
    >
      <span className={`dot ${level}`} aria-hidden="true" />
      {busy
        ? `${operation.kind} in progress${operation.door === 'terminal' ? ` (started in a terminal, pid ${operation.pid ?? '?'})` : ''}`
        : (overall?.summary ?? 'checking…')}
    </div>
  );
}

export function App() {
  const view = useStore((s) => s.view);
  const connection = useStore((s) => s.connection);
  const info = useStore((s) => s.info);
  const operation = useStore((s) => s.operation);
  const { error, setError, run } = useErrorBanner();
  const busy = operation?.status === 'running';

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>
          <h1>Dusty</h1>
          {info && <span className="muted project">project {info.project}</span>}
        </div>
        <OverallState />
        {/* The engine's failures show in the page's banner, like every other error. */}
        <EngineBadge onError={setError} />
        <div className="actions">
          <button
            className="primary"
            disabled={busy}
            onClick={() => run(() => call('stack:up', {}))}
          >
            Up
          </button>
          {/* Stop during an `up` cancels it at its next step, then stops. */}
          <button
            disabled={busy && operation.kind !== 'up'}
            onClick={() => run(() => call('stack:stop', {}))}
          >
            Stop
          </button>
        </div>
      </header>
      {connection !== 'open' && (
        <div className="banner warning" role="alert">
          {connection === 'unauthorized'
            ? 'Cannot reach Dusty: open the dashboard with the URL `dusty ui` printed (it carries this run’s token).'
            : connection === 'connecting'
              ? 'Connecting to Dusty…'
              : 'The connection to Dusty was lost; reconnecting…'}
        </div>
      )}
      <ErrorBanner error={error} />
      <OperationPanel />
      <nav className="tabs" role="tablist" aria-label="Views">
        {VIEWS.map((v) => (
          <button
            key={v.id}
            role="tab"
            id={`tab-${v.id}`}
            aria-selected={view === v.id}
            aria-controls={`view-${v.id}`}
            className={view === v.id ? 'tab active' : 'tab'}
            onClick={() => setState({ view: v.id })}
          >
            {v.label}
          </button>
        ))}
      </nav>
      <main className="content">
        {VIEWS.map((v) => (
          <section
            key={v.id}
            id={`view-${v.id}`}
            role="tabpanel"
            aria-labelledby={`tab-${v.id}`}
            hidden={view !== v.id}
            className="view"
          >
            {v.id === 'bundles' && <BundlesView />}
            {v.id === 'containers' && <ContainersView />}
            {v.id === 'logs' && <LogsView visible={view === 'logs'} />}
            {v.id === 'terminal' && <TerminalView visible={view === 'terminal'} />}
            {v.id === 'repos' && view === 'repos' && <ReposView />}
            {v.id === 'settings' && view === 'settings' && <SettingsView />}
          </section>
        ))}
      </main>
      <Notices />
    </div>
  );
}
