/** Bundles: a switch per bundle, its description, and what activating it would start. */
import { useState } from 'react';
import { call } from '../api.js';
import { loadBundles, setState, useStore } from '../store.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';

export function BundlesView() {
  const bundles = useStore((s) => s.bundles);
  const error = useStore((s) => s.bundlesError);
  const [pending, setPending] = useState<string | null>(null);
  const { error: callError, setError: setCallError } = useErrorBanner();

  const toggle = async (name: string, on: boolean) => {
    setPending(name);
    setCallError(null);
    try {
      const list = await call(on ? 'bundles:activate' : 'bundles:deactivate', { name });
      setState({ bundles: list });
    } catch (e) {
      setCallError(e);
    } finally {
      setPending(null);
    }
  };

  return (
    <div>
      <div className="view-head">
        <h2>Bundles</h2>
        <p className="muted">Switch on what you want running; Up applies it.</p>
        <span className="spacer" />
        <button className="ghost" onClick={() => void loadBundles()}>
          Reload specs
        </button>
      </div>
      <ErrorBanner error={error} />
      {error?.code === 'no-specs-repo' && (
        <button onClick={() => setState({ view: 'settings' })}>Open Settings</button>
      )}
      <ErrorBanner error={callError} />
      {bundles && bundles.length === 0 && <p className="empty">The specs repo has no bundles.</p>}
      <ul className="cards" aria-label="Bundles">
        {bundles?.map((b) => (
          <li key={b.name} className={`card ${b.active ? 'on' : ''}`}>
            <div className="card-head">
              <button
                role="switch"
                aria-checked={b.active}
                aria-label={b.name}
                className="switch"
                disabled={pending === b.name}
                onClick={() => void toggle(b.name, !b.active)}
              >
                <span className="knob" aria-hidden="true" />
              </button>
              <h3>{b.name}</h3>
            </div>
            <p>{b.description || <span className="muted">No description</span>}</p>
            <dl className="starts">
              <Row label="Apps" items={b.apps} />
              <Row label="Services" items={b.services} />
              <Row label="Libs" items={b.libs} />
            </dl>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Row({ label, items }: { label: string; items: string[] }) {
  if (!items.length) return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>
        {items.map((i) => (
          <span key={i} className="chip">
            {i}
          </span>
        ))}
      </dd>
    </>
  );
}
