/** Settings: the specs repo and the other config keys; the specs' validation with file and key. */
import { useEffect, useState } from 'react';
import {
  CONFIG_KEYS,
  CONFIG_LABELS,
  VM_PROVIDERS,
  type SettingsInfo,
  type SpecsReport,
} from '../../src-shared/api/contract.js';
import type { ConfigKey } from '../../src-shared/config.js';
import { call } from '../api.js';
import { loadBundles, useStore } from '../store.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';
import { ProblemList } from './Problems.js';

const LABELS = CONFIG_LABELS;

export function SettingsView() {
  const info = useStore((s) => s.info);
  const [settings, setSettings] = useState<SettingsInfo | null>(null);
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [report, setReport] = useState<SpecsReport | null>(null);
  const { error, setError } = useErrorBanner();
  const [saved, setSaved] = useState<string | null>(null);

  const validate = () =>
    call('specs:validate', {}).then(setReport, (e: unknown) => {
      setReport(null);
      setError(e);
    });

  useEffect(() => {
    call('config:get', {}).then((s) => {
      setSettings(s);
      setDraft(Object.fromEntries(CONFIG_KEYS.map((k) => [k, String(s.config[k])])));
    }, setError);
    void validate();
  }, []);

  const save = async (key: ConfigKey) => {
    setError(null);
    setSaved(null);
    try {
      const s = await call('config:set', { key, value: draft[key] ?? '' });
      setSettings(s);
      setSaved(`${LABELS[key]} saved.`);
      if (key === 'specs_repo') {
        await validate();
        await loadBundles();
      }
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div className="settings">
      <div className="view-head">
        <h2>Settings</h2>
        {info && (
          <p className="muted">
            Dusty {info.version} · home <code>{info.dustyHome}</code>
          </p>
        )}
      </div>
      <ErrorBanner error={error} />
      {saved && (
        <div className="banner ok" role="status">
          {saved}
        </div>
      )}
      {settings && (
        <div className="form-grid">
          {CONFIG_KEYS.map((key) => (
            <form
              key={key}
              className="setting"
              onSubmit={(e) => {
                e.preventDefault();
                void save(key);
              }}
            >
              <label htmlFor={`cfg-${key}`}>{LABELS[key]}</label>
              {key === 'vm_provider' ? (
                <select
                  id={`cfg-${key}`}
                  value={draft[key] ?? ''}
                  onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
                >
                  {VM_PROVIDERS.map((p) => (
                    <option key={p}>{p}</option>
                  ))}
                </select>
              ) : key === 'pull_repos' || key === 'https' ? (
                <select
                  id={`cfg-${key}`}
                  value={draft[key] ?? ''}
                  onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
                >
                  <option>true</option>
                  <option>false</option>
                </select>
              ) : (
                <input
                  id={`cfg-${key}`}
                  value={draft[key] ?? ''}
                  onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
                />
              )}
              <button
                type="submit"
                aria-label={`Save ${LABELS[key]}`}
                disabled={draft[key] === String(settings.config[key])}
              >
                Save
              </button>
              <p className="hint muted">{settings.descriptions[key]}</p>
            </form>
          ))}
        </div>
      )}
      <section className="validation" aria-label="Specs validation">
        <div className="view-head">
          <h3>Specs</h3>
          <span className="spacer" />
          <button onClick={() => void validate()}>Validate specs</button>
        </div>
        {report && (
          <>
            <p className={report.ok ? 'ok-text' : 'error-text'}>
              {report.ok ? 'Valid' : 'Invalid'}: {report.counts.bundles} bundles,{' '}
              {report.counts.apps} apps, {report.counts.services} services, {report.counts.libs}{' '}
              libs in <code>{report.specsPath}</code>
            </p>
            <ProblemList problems={report.problems} />
          </>
        )}
      </section>
    </div>
  );
}
