/** Containers: every app and service of the active bundles with state, health, ports and links. */
import { useState } from 'react';
import type { ContainerRow, UrlCheck } from '../../src-shared/api/contract.js';
import { call, CallError } from '../api.js';
import { setState, useStore } from '../store.js';
import { openTerminal } from '../terminals.js';
import { splitArgs } from '../args.js';

const stateClass = (c: ContainerRow) =>
  c.state === 'running'
    ? c.health === 'unhealthy'
      ? 'failed'
      : c.health === 'starting'
        ? 'starting'
        : 'running'
    : c.state === 'exited' || c.state === 'dead'
      ? 'failed'
      : c.state === 'restarting' || c.state === 'created'
        ? 'starting'
        : 'stopped';

/** What a URL answered through the router: `200 · 12 ms`, or why not. */
function UrlAnswer({ check }: { check: UrlCheck | undefined }) {
  if (!check) return null;
  const text = check.ok
    ? `${check.status ?? 'open'} · ${check.ms} ms`
    : `${check.status ?? 'no answer'}${check.error ? ` — ${check.error}` : ''}`;
  return (
    <span
      className={`url-answer ${check.ok ? 'ok' : 'bad'}`}
      aria-label={`answer of ${check.url}`}
      data-ok={check.ok}
      title={check.error}
    >
      {text}
    </span>
  );
}

export function ContainersView() {
  const rows = useStore((s) => s.containers);
  const checks = useStore((s) => s.health?.urls);
  const checkOf = (url: string) => checks?.find((c) => c.url === url);
  const [error, setError] = useState<string | null>(null);
  const [scriptFor, setScriptFor] = useState<ContainerRow | null>(null);
  const act = (fn: () => Promise<unknown>) => {
    setError(null);
    fn().catch((e: unknown) => setError(e instanceof CallError ? e.message : String(e)));
  };

  return (
    <div>
      <div className="view-head">
        <h2>Containers</h2>
        <p className="muted">Updated from Docker engine events.</p>
      </div>
      {error && (
        <div className="banner error" role="alert">
          {error}
        </div>
      )}
      {rows.length === 0 ? (
        <p className="empty">Nothing to run: switch a bundle on, then press Up.</p>
      ) : (
        <table className="containers" aria-label="Containers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Ports</th>
              <th scope="col">Links</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const running = c.state === 'running';
              return (
                <tr key={c.name} aria-label={c.name} data-state={c.state}>
                  <th scope="row">
                    <span className="name">{c.name}</span>
                    <span className="kind">{c.kind}</span>
                  </th>
                  <td>
                    <span className={`state ${stateClass(c)}`} aria-label={`state of ${c.name}`}>
                      <span className={`dot ${stateClass(c)}`} aria-hidden="true" />
                      {c.state}
                      {c.health ? ` (${c.health})` : ''}
                    </span>
                  </td>
                  <td className="ports">
                    {c.ports
                      .filter((p) => p.public)
                      .map((p) => `${p.ip ?? ''}${p.ip ? ':' : ''}${p.public}→${p.private}`)
                      .join(', ') || '—'}
                  </td>
                  <td className="links">
                    {c.urls.length
                      ? c.urls.map((u) => (
                          <span key={u} className="url">
                            {u.startsWith('http') ? (
                              <a href={u} target="_blank" rel="noreferrer">
                                {u.replace(/^https?:\/\//, '')}
                              </a>
                            ) : (
                              <code>{u}</code>
                            )}
                            <UrlAnswer check={checkOf(u)} />
                          </span>
                        ))
                      : '—'}
                  </td>
                  <td className="row-actions">
                    <button
                      aria-label={`Logs of ${c.name}`}
                      disabled={!c.id}
                      onClick={() => setState({ logNames: [c.name], view: 'logs' })}
                    >
                      Logs
                    </button>
                    <button
                      aria-label={`Shell in ${c.name}`}
                      disabled={!running}
                      onClick={() => act(() => openTerminal(c.name))}
                    >
                      Shell
                    </button>
                    {c.scripts.length > 0 && (
                      <button
                        aria-label={`Scripts of ${c.name}`}
                        disabled={!running}
                        onClick={() => setScriptFor(c)}
                      >
                        Scripts
                      </button>
                    )}
                    <button
                      aria-label={`Restart ${c.name}`}
                      disabled={!c.id}
                      onClick={() => act(() => call('containers:restart', { name: c.name }))}
                    >
                      Restart
                    </button>
                    <button
                      aria-label={`Stop ${c.name}`}
                      disabled={!running}
                      onClick={() => act(() => call('containers:stop', { name: c.name }))}
                    >
                      Stop
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {scriptFor && (
        <ScriptDialog
          row={scriptFor}
          onClose={() => setScriptFor(null)}
          onRun={(name, args) => {
            setScriptFor(null);
            act(() => openTerminal(scriptFor.name, { name, args }));
          }}
        />
      )}
    </div>
  );
}

function ScriptDialog({
  row,
  onClose,
  onRun,
}: {
  row: ContainerRow;
  onClose: () => void;
  onRun: (name: string, args: string[]) => void;
}) {
  const [script, setScript] = useState(row.scripts[0]?.name ?? '');
  const [args, setArgs] = useState('');
  const desc = row.scripts.find((s) => s.name === script)?.description;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <form
        role="dialog"
        aria-modal="true"
        aria-label={`Run a script in ${row.name}`}
        className="modal"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          onRun(script, splitArgs(args));
        }}
      >
        <h3>Run a script in {row.name}</h3>
        <label>
          Script
          <select value={script} onChange={(e) => setScript(e.target.value)}>
            {row.scripts.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        {desc && <p className="muted">{desc}</p>}
        <label>
          Arguments
          <input
            value={args}
            onChange={(e) => setArgs(e.target.value)}
            placeholder="appended to the script's last line"
            autoFocus
          />
        </label>
        <div className="modal-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Run
          </button>
        </div>
      </form>
    </div>
  );
}
