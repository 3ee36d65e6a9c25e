/**
 * The engine Dusty talks to, in the header: its kind and version, and a Start
 * button when it is stopped. A failure to read or start it goes to the page's
 * shared error banner (`onError`), so it reads as every other error does: the
 * whole message, its code and its detail.
 */
import { useEffect, useState } from 'react';
import type { EngineInfo } from '../../src-shared/api/contract.js';
import { call } from '../api.js';
import { useStore } from '../store.js';

/** Where the badge's calls report: the engine's state, or what failed (null clears an earlier failure). */
export interface EngineSink {
  show: (engine: EngineInfo) => void;
  onError: (e: unknown) => void;
}

/** Reads the engine's state; a failure goes to `onError`. */
export function loadEngine(sink: EngineSink): Promise<void> {
  return call('engine:get', {}).then(sink.show, sink.onError);
}

/** Starts the engine, clearing an earlier failure first; a failure goes to `onError`. */
export function startEngine(sink: EngineSink): Promise<void> {
  sink.onError(null);
  return call('engine:start', {}).then(sink.show, sink.onError);
}

/** The badge itself; nothing until the engine's state is known. */
export function EngineBadgeView({
  engine,
  starting,
  onStart,
}: {
  engine: EngineInfo | null;
  starting: boolean;
  onStart: () => void;
}) {
  if (!engine) return null;
  const what = `${engine.label}${engine.version ? ` ${engine.version}` : ''}`;
  return (
    <div className="engine" role="group" aria-label="Docker engine" title={engine.description}>
      <span className={`dot ${engine.running ? 'green' : 'red'}`} aria-hidden="true" />
      <span>{engine.running ? what : `${engine.label} is stopped`}</span>
      {!engine.running && engine.canStart && (
        <button disabled={starting} onClick={onStart}>
          {starting ? 'Starting…' : `Start ${engine.label}`}
        </button>
      )}
    </div>
  );
}

export function EngineBadge({ onError }: { onError: (e: unknown) => void }) {
  const connection = useStore((s) => s.connection);
  const [engine, setEngine] = useState<EngineInfo | null>(null);
  const [starting, setStarting] = useState(false);

  useEffect(() => {
    if (connection !== 'open') return;
    let live = true;
    void loadEngine({
      show: (e) => live && setEngine(e),
      onError: (e) => live && onError(e),
    });
    return () => {
      live = false;
    };
  }, [connection, onError]);

  const start = () => {
    setStarting(true);
    void startEngine({ show: setEngine, onError }).finally(() => setStarting(false));
  };
  return <EngineBadgeView engine={engine} starting={starting} onStart={start} />;
}
