/** Live progress of Up or Stop, per container; on failure the container, the reason and its last log lines. */
import { useState } from 'react';
import type { OperationKind, OperationState } from '../../src-shared/api/contract.js';
import { containerPhase, describePhase, phaseTone } from '../../src-shared/container-phase.js';
import { setState, useStore } from '../store.js';
import { ErrorBanner } from './ErrorBanner.js';
import { Timeline } from './Timeline.js';

/** What the head calls each operation. */
const TITLE: Record<OperationKind, string> = {
  up: 'Up',
  stop: 'Stop',
  restart: 'Restart',
  bundles: 'Bundles',
  config: 'Config',
  env: 'Env',
  assets: 'Assets',
  repos: 'Repos',
  disk: 'Disk',
  test: 'Test',
  'doctor --fix': 'Doctor --fix',
};

/** One chip per container; once the operation is over each follows the engine, so a container killed since shows as such. */
function ProgressChips({ op }: { op: OperationState }) {
  const live = useStore((s) => s.containers);
  if (!op.containers.length) return null;
  const running = op.status === 'running';
  return (
    <ul className="progress" aria-label="Container progress">
      {op.containers.map((progress) => {
        const now = running ? null : live.find((r) => r.name === progress.name);
        const c = now?.id ? { state: now.state, health: now.health ?? undefined } : progress;
        const input = { state: c.state, health: c.health, operation: op.kind };
        const phase = containerPhase(input);
        return (
          <li key={progress.name} className={phaseTone(phase)} data-phase={phase}>
            <span className={`dot ${phaseTone(phase)}`} aria-hidden="true" />
            {progress.name}: {describePhase(input)}
          </li>
        );
      })}
    </ul>
  );
}

export function OperationPanel() {
  const op = useStore((s) => s.operation);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [showOutput, setShowOutput] = useState(false);
  if (!op || dismissed === op.id) return null;
  return (
    <section
      className={`operation ${op.status}`}
      aria-label="Operation progress"
      data-operation={op.id}
      data-status={op.status}
    >
      <div className="op-head">
        <span
          className={`dot ${op.status === 'running' ? 'starting' : op.status === 'failed' ? 'failed' : 'running'}`}
          aria-hidden="true"
        />
        <strong>{TITLE[op.kind]}</strong>
        <span className="step" aria-live="polite">
          {op.status === 'running'
            ? op.step
            : op.status === 'succeeded'
              ? `done: ${op.step}`
              : 'failed'}
        </span>
        <span className="spacer" />
        <button
          className="ghost"
          aria-expanded={showOutput}
          onClick={() => setShowOutput(!showOutput)}
        >
          {showOutput ? 'Hide output' : 'Show output'}
        </button>
        {op.status !== 'running' && (
          <button
            className="ghost"
            aria-label="Dismiss progress"
            onClick={() => setDismissed(op.id)}
          >
            ×
          </button>
        )}
      </div>
      <ProgressChips op={op} />
      {op.timeline && <Timeline timeline={op.timeline} />}
      {op.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {op.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      <ErrorBanner
        error={op.error}
        onOpenLogs={(name) => setState({ logNames: [name], view: 'logs' })}
      />
      {op.status === 'succeeded' && op.urls.length > 0 && (
        <p className="urls">
          {op.urls.map((u) => (
            <a key={u.url} href={u.url} target="_blank" rel="noreferrer">
              {u.url}
            </a>
          ))}
        </p>
      )}
      {showOutput && (
        <pre className="output" aria-label="Operation output">
          {op.lines.join('\n')}
        </pre>
      )}
    </section>
  );
}
