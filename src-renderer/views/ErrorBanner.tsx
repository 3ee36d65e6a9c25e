/**
 * The one way a view shows an error from the main side: the typed error's
 * message, its code, and its structured detail (spec problems with file and
 * key; a container that did not start, with the reason and its last log
 * lines). Every view uses it, so an error reads the same wherever it appears.
 */
import { useCallback, useState } from 'react';
import type { ApiError } from '../../src-shared/api/contract.js';
import { ProblemList } from './Problems.js';

/** Any thrown value as the typed error the banner shows (a failed call's error keeps its code and detail). */
export function shownError(e: unknown): ApiError {
  // A CallError carries the main side's typed error; read it by shape so this file stays importable without a page.
  const typed = (e as { error?: Partial<ApiError> } | null)?.error;
  if (typed && typeof typed.code === 'string' && typeof typed.message === 'string')
    return typed as ApiError;
  return { code: 'error', message: e instanceof Error ? e.message : String(e) };
}

/** A view's error state, and a runner that clears it and records what a call throws. */
export function useErrorBanner(): {
  error: ApiError | null;
  setError: (e: unknown) => void;
  run: (fn: () => Promise<unknown>) => void;
} {
  const [error, set] = useState<ApiError | null>(null);
  const setError = useCallback((e: unknown) => set(e == null ? null : shownError(e)), []);
  const run = useCallback(
    (fn: () => Promise<unknown>) => {
      set(null);
      fn().catch(setError);
    },
    [setError],
  );
  return { error, setError, run };
}

/** A failed container: who, why, and what it printed last. */
function ContainerFailure({
  error,
  onOpenLogs,
}: {
  error: ApiError;
  onOpenLogs?: ((name: string) => void) | undefined;
}) {
  const d = error.detail!;
  const name = d.container!;
  return (
    <>
      <p>
        <strong>{name}</strong> did not start: {d.reason}.
      </p>
      <p className="muted">Its last log lines:</p>
      <pre className="tail" aria-label={`Last log lines of ${name}`}>
        {d.logs?.length ? d.logs.join('\n') : '(no output)'}
      </pre>
      {onOpenLogs && <button onClick={() => onOpenLogs(name)}>{`Open logs of ${name}`}</button>}
    </>
  );
}

/** The banner; renders nothing without an error. `onOpenLogs` adds a button to a failed container's logs. */
export function ErrorBanner({
  error,
  onOpenLogs,
}: {
  error: ApiError | string | null | undefined;
  onOpenLogs?: ((name: string) => void) | undefined;
}) {
  if (!error) return null;
  const e: ApiError = typeof error === 'string' ? { code: 'error', message: error } : error;
  return (
    <div className="banner error" role="alert" data-code={e.code}>
      {e.detail?.container ? (
        <ContainerFailure error={e} onOpenLogs={onOpenLogs} />
      ) : (
        <p className="pre">{e.message}</p>
      )}
      {e.detail?.problems && <ProblemList problems={e.detail.problems} />}
      {e.code !== 'error' && <span className="error-code">{e.code}</span>}
    </div>
  );
}
