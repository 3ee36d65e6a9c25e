/** The engine Dusty talks to, in the header: its kind and version, and a Start button when it is stopped. */
import { useEffect, useState } from 'react';
import type { EngineInfo } from '../../src-shared/api/contract.js';
import { call, CallError } from '../api.js';
import { useStore } from '../store.js';

export function EngineBadge() {
  const connection = useStore((s) => s.connection);
  const [engine, setEngine] = useState<EngineInfo | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (connection !== 'open') return;
    let live = true;
    call('engine:get', {}).then(
      (e) => live && setEngine(e),
      (e: unknown) => live && setError(e instanceof CallError ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [connection]);

  if (!engine) return error ? <span className="engine muted">{error.split('\n')[0]}</span> : null;
  const start = () => {
    setStarting(true);
    setError(null);
    call('engine:start', {})
      .then(setEngine, (e: unknown) => setError(e instanceof CallError ? e.message : String(e)))
      .finally(() => setStarting(false));
  };
  const what = `${engine.label}${engine.version ? ` ${engine.version}` : ''}`;
  return (
    <div className="engine" role="group" aria-label="Docker engine" title={engine.description}>
      <span className={`dot ${engine.running ? 'green' : 'red'}`} aria-hidden="true" />
      <span>{engine.running ? what : `${engine.label} is stopped`}</span>
      {!engine.running && engine.canStart && (
        <button disabled={starting} onClick={start}>
          {starting ? 'Starting…' : `Start ${engine.label}`}
        </button>
      )}
      {error && (
        <span className="muted" role="alert">
          {error.split('\n')[0]}
        </span>
      )}
    </div>
  );
}
