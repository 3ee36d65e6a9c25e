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
            <SettingField
              key={key}
              name={key}
              value={draft[key] ?? ''}
              saved={String(settings.config[key])}
              description={settings.descriptions[key]}
              onChange={(v) => setDraft({ ...draft, [key]: v })}
              onSave={() => void save(key)}
            />
          ))}
        </div>
      )}
      <SpecsValidation report={report} onValidate={() => void validate()} />
    </div>
  );
}

/** One config key: its label, an input fitting its values, and Save (enabled once it changed). */
function SettingField({
  name,
  value,
  saved,
  description,
  onChange,
  onSave,
}: {
  name: ConfigKey;
  value: string;
  saved: string;
  description: string;
  onChange: (value: string) => void;
  onSave: () => void;
}) {
  const id = `cfg-${name}`;
  const choices =
    name === 'vm_provider'
      ? [...VM_PROVIDERS]
      : name === 'pull_repos' || name === 'https'
        ? ['true', 'false']
        : null;
  return (
    <form
      className="setting"
      onSubmit={(e) => {
        e.preventDefault();
        onSave();
      }}
    >
      <label htmlFor={id}>{LABELS[name]}</label>
      {choices ? (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {choices.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      ) : (
        <input id={id} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
      <button type="submit" aria-label={`Save ${LABELS[name]}`} disabled={value === saved}>
        Save
      </button>
      <p className="hint muted">{description}</p>
    </form>
  );
}

/** The specs repo's validity, with every problem (file and key), and a button to check again. */
function SpecsValidation({
  report,
  onValidate,
}: {
  report: SpecsReport | null;
  onValidate: () => void;
}) {
  return (
    <section className="validation" aria-label="Specs validation">
      <div className="view-head">
        <h3>Specs</h3>
        <span className="spacer" />
        <button onClick={onValidate}>Validate specs</button>
      </div>
      {report && (
        <>
          <p className={report.ok ? 'ok-text' : 'error-text'}>
            {report.ok ? 'Valid' : 'Invalid'}: {report.counts.bundles} bundles, {report.counts.apps}{' '}
            apps, {report.counts.services} services, {report.counts.libs} libs in{' '}
            <code>{report.specsPath}</code>
          </p>
          <ProblemList problems={report.problems} />
        </>
      )}
    </section>
  );
}
