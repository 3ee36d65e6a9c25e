/** Containers: every app and service of the active bundles with state, health, ports and links. */
import { useState } from 'react';
import type { ContainerRow, UrlCheck } from '../../src-shared/api/contract.js';
import {
  containerPhase,
  describePhase,
  phaseExists,
  phaseRuns,
  phaseTone,
} from '../../src-shared/container-phase.js';
import { call } from '../api.js';
import { setState, useStore } from '../store.js';
import { openTerminal } from '../terminals.js';
import { splitArgs } from '../args.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';
import { HttpsStatus } from './HttpsStatus.js';

/** The row's phase, from the one classifier the tray and `dusty status` share. */
const phaseOf = (c: ContainerRow) => containerPhase({ state: c.state, health: c.health });

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
  const { error, run } = useErrorBanner();
  const [scriptFor, setScriptFor] = useState<ContainerRow | null>(null);

  return (
    <div>
      <div className="view-head">
        <h2>Containers</h2>
        <p className="muted">Updated from Docker engine events.</p>
      </div>
      <HttpsStatus />
      <ErrorBanner error={error} />
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
            {rows.map((c) => (
              <ContainerLine
                key={c.name}
                c={c}
                checks={checks}
                run={run}
                onScripts={() => setScriptFor(c)}
              />
            ))}
          </tbody>
        </table>
      )}
      {scriptFor && (
        <ScriptDialog
          row={scriptFor}
          onClose={() => setScriptFor(null)}
          onRun={(name, args) => {
            setScriptFor(null);
            run(() => openTerminal(scriptFor.name, { name, args }));
          }}
        />
      )}
    </div>
  );
}

/** A URL as a link (or `code` for a TCP one) with what it answered. */
function Links({ c, checks }: { c: ContainerRow; checks: UrlCheck[] | undefined }) {
  if (!c.urls.length) return <>—</>;
  return (
    <>
      {c.urls.map((u) => (
        <span key={u} className="url">
          {u.startsWith('http') ? (
            <a href={u} target="_blank" rel="noreferrer">
              {u.replace(/^https?:\/\//, '')}
            </a>
          ) : (
            <code>{u}</code>
          )}
          <UrlAnswer check={checks?.find((x) => x.url === u)} />
        </span>
      ))}
    </>
  );
}

/** One container: its phase, ports, links and what can be done with it. */
function ContainerLine({
  c,
  checks,
  run,
  onScripts,
}: {
  c: ContainerRow;
  checks: UrlCheck[] | undefined;
  run: (fn: () => Promise<unknown>) => void;
  onScripts: () => void;
}) {
  const phase = phaseOf(c);
  const tone = phaseTone(phase);
  const runs = phaseRuns(phase);
  const exists = phaseExists(phase) && !!c.id;
  return (
    <tr aria-label={c.name} data-state={c.state} data-phase={phase}>
      <th scope="row">
        <span className="name">{c.name}</span>
        <span className="kind">{c.kind}</span>
      </th>
      <td>
        <span className={`state ${tone}`} aria-label={`state of ${c.name}`}>
          <span className={`dot ${tone}`} aria-hidden="true" />
          {describePhase({ state: c.state, health: c.health })}
        </span>
      </td>
      <td className="ports">
        {c.ports
          .filter((p) => p.public)
          .map((p) => `${p.ip ?? ''}${p.ip ? ':' : ''}${p.public}→${p.private}`)
          .join(', ') || '—'}
      </td>
      <td className="links">
        <Links c={c} checks={checks} />
      </td>
      <td className="row-actions">
        <button
          aria-label={`Logs of ${c.name}`}
          disabled={!exists}
          onClick={() => setState({ logNames: [c.name], view: 'logs' })}
        >
          Logs
        </button>
        <button
          aria-label={`Shell in ${c.name}`}
          disabled={!runs}
          onClick={() => run(() => openTerminal(c.name))}
        >
          Shell
        </button>
        {c.scripts.length > 0 && (
          <button aria-label={`Scripts of ${c.name}`} disabled={!runs} onClick={onScripts}>
            Scripts
          </button>
        )}
        <button
          aria-label={`Restart ${c.name}`}
          disabled={!exists}
          onClick={() => run(() => call('containers:restart', { name: c.name }))}
        >
          Restart
        </button>
        <button
          aria-label={`Stop ${c.name}`}
          disabled={!runs}
          onClick={() => run(() => call('containers:stop', { name: c.name }))}
        >
          Stop
        </button>
      </td>
    </tr>
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
