/** Repos: managed by Dusty or overridden with a local folder. */
import { useEffect, useState } from 'react';
import type { RepoRow } from '../../src-shared/api/contract.js';
import { call } from '../api.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';

export function ReposView() {
  const [repos, setRepos] = useState<RepoRow[] | null>(null);
  const { error, setError } = useErrorBanner();
  const [paths, setPaths] = useState<Record<string, string>>({});

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
              <tr key={r.name} aria-label={r.name}>
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
                {synced && (
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
                )}
                <td>
                  <form
                    className="inline-form"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const path = paths[r.name]?.trim();
                      if (path) run(() => call('repos:override', { repo: r.name, path }));
                    }}
                  >
                    <input
                      aria-label={`Local folder for ${r.name}`}
                      placeholder="/path/to/checkout"
                      value={paths[r.name] ?? ''}
                      onChange={(e) => setPaths({ ...paths, [r.name]: e.target.value })}
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
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
