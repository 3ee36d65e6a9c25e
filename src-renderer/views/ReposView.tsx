/** Repos: managed by Dusty or overridden with a local folder. */
import { useEffect, useState } from 'react';
import type { RepoRow } from '../../src-shared/api/contract.js';
import { call } from '../api.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';

export function ReposView() {
  const [repos, setRepos] = useState<RepoRow[] | null>(null);
  const { error, setError } = useErrorBanner();

  const run = (fn: () => Promise<RepoRow[]>) => {
    setError(null);
    fn().then(setRepos, setError);
  };
  useEffect(() => run(() => call('repos:list', {})), []);
  // With a remote engine the sync state changes on its own: follow it while the view is open.
  const synced = repos?.some((r) => r.sync) ?? false;
  useEffect(() => {
    if (!synced) return;
    const timer = setInterval(() => {
      call('repos:list', {}).then(setRepos, () => undefined);
    }, 1000);
    return () => clearInterval(timer);
  }, [synced]);

  return (
    <div>
      <div className="view-head">
        <h2>Repos</h2>
        <p className="muted">
          Dusty clones and pulls managed repos; an override uses your own checkout. Up applies
          changes.
        </p>
      </div>
      <ErrorBanner error={error} />
      {repos && repos.length === 0 && <p className="empty">No spec uses a repo.</p>}
      {repos && repos.length > 0 && (
        <table className="repos" aria-label="Repos">
          <thead>
            <tr>
              <th scope="col">Repo</th>
              <th scope="col">Mode</th>
              <th scope="col">Local folder</th>
              <th scope="col">Used by</th>
              {synced && <th scope="col">Remote copy</th>}
              <th scope="col">Override with a local folder</th>
            </tr>
          </thead>
          <tbody>
            {repos.map((r) => (
              <RepoLine key={r.name} r={r} synced={synced} run={run} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** A repo's copy on a remote engine's host: in sync, syncing, or failed with the reason. */
function SyncCell({ r }: { r: RepoRow }) {
  return (
    <td aria-label={`Sync of ${r.name}`}>
      {r.sync ? (
        <>
          <span className={`badge sync-${r.sync.state}`}>
            {r.sync.state === 'in-sync' ? 'in sync' : r.sync.state}
          </span>{' '}
          <code className="path">{r.sync.remote}</code>
          {r.sync.reason && <div className="error-text">{r.sync.reason}</div>}
        </>
      ) : (
        '-'
      )}
    </td>
  );
}

/** One repo: where its code comes from, who uses it, and the form to override it. */
function RepoLine({
  r,
  synced,
  run,
}: {
  r: RepoRow;
  synced: boolean;
  run: (fn: () => Promise<RepoRow[]>) => void;
}) {
  const [path, setPath] = useState('');
  return (
    <tr aria-label={r.name}>
      <th scope="row">
        <code>{r.name}</code>
      </th>
      <td>
        <span className={`badge ${r.mode}`}>{r.mode}</span>
      </td>
      <td>
        <code className="path">{r.path}</code>
      </td>
      <td>{r.usedBy.join(', ')}</td>
      {synced && <SyncCell r={r} />}
      <td>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const folder = path.trim();
            if (folder) run(() => call('repos:override', { repo: r.name, path: folder }));
          }}
        >
          <input
            aria-label={`Local folder for ${r.name}`}
            placeholder="/path/to/checkout"
            value={path}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" aria-label={`Override ${r.name}`}>
            Override
          </button>
          {r.mode === 'overridden' && (
            <button
              type="button"
              aria-label={`Manage ${r.name}`}
              onClick={() => run(() => call('repos:manage', { repo: r.name }))}
            >
              Let Dusty manage
            </button>
          )}
        </form>
      </td>
    </tr>
  );
}
