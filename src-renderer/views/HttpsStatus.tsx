/**
 * Whether the browser will trust the https URLs: the local CA's state, and
 * one click to trust it through the helper (or, without it, the command).
 */
import { useState } from 'react';
import type { TrustOutcome } from '../../src-shared/api/contract.js';
import { call, CallError } from '../api.js';
import { useStore } from '../store.js';

export function HttpsStatus() {
  const https = useStore((s) => s.https);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<TrustOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!https?.enabled || !https.subject) return null;
  const trust = () => {
    setBusy(true);
    setError(null);
    call('https:trust', {})
      .then(setOutcome, (e: unknown) => setError(e instanceof CallError ? e.message : String(e)))
      .finally(() => setBusy(false));
  };
  const command = outcome?.how === 'manual' ? outcome.command : https.trustCommand;
  return (
    <section
      className={`https-status ${https.trusted ? 'ok' : 'bad'}`}
      aria-label="HTTPS"
      data-trusted={https.trusted}
    >
      {https.trusted ? (
        <span>HTTPS: Dusty&apos;s local CA is trusted ({https.permitted.join(', ')}).</span>
      ) : (
        <>
          <span>
            HTTPS: Dusty&apos;s local CA is not trusted yet, so browsers warn on https URLs.
          </span>{' '}
          <button onClick={trust} disabled={busy}>
            Trust the CA
          </button>
          {outcome?.how === 'manual' && <span> The helper is not installed; run:</span>}
          <details open={outcome?.how === 'manual'}>
            <summary>or run this yourself</summary>
            <code aria-label="Command that trusts the CA">{command}</code>
          </details>
        </>
      )}
      {https.outside.length > 0 && (
        <p role="alert">
          The specs use {https.outside.join(', ')}, which this CA may not sign for: run{' '}
          <code>dusty https recreate</code>.
        </p>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
