/** Live progress of Up or Stop, per container; on failure the container, the reason and its last log lines. */
import { useState } from 'react';
import { setState, useStore } from '../store.js';
import { ProblemList } from './Problems.js';
import { Timeline } from './Timeline.js';

const stateClass = (s: string, health?: string) =>
  s === 'running' && (!health || health === 'healthy')
    ? 'running'
    : s === 'exited' || s === 'dead' || health === 'unhealthy'
      ? 'failed'
      : s === 'waiting'
        ? 'stopped'
        : 'starting';

export function OperationPanel() {
  const op = useStore((s) => s.operation);
  const live = useStore((s) => s.containers);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [showOutput, setShowOutput] = useState(false);
  if (!op || dismissed === op.id) return null;
  const detail = op.error?.detail;
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
        <strong>{op.kind === 'up' ? 'Up' : op.kind === 'stop' ? 'Stop' : 'Restart'}</strong>
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
      {op.containers.length > 0 && (
        <ul className="progress" aria-label="Container progress">
          {op.containers.map((progress) => {
            // Once the operation is over its chips follow the engine, so a container killed since shows as such.
            const now = op.status === 'running' ? null : live.find((r) => r.name === progress.name);
            const c = now?.id ? { state: now.state, health: now.health ?? undefined } : progress;
            return (
              <li key={progress.name} className={stateClass(c.state, c.health)}>
                <span className={`dot ${stateClass(c.state, c.health)}`} aria-hidden="true" />
                {progress.name}: {c.state}
                {c.health ? ` (${c.health})` : ''}
              </li>
            );
          })}
        </ul>
      )}
      {op.timeline && <Timeline timeline={op.timeline} />}
      {op.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {op.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      {op.error && (
        <div className="failure" role="alert">
          {detail?.container ? (
            <>
              <p>
                <strong>{detail.container}</strong> did not start: {detail.reason}.
              </p>
              <p className="muted">Its last log lines:</p>
              <pre className="tail" aria-label={`Last log lines of ${detail.container}`}>
                {detail.logs?.length ? detail.logs.join('\n') : '(no output)'}
              </pre>
              <button
                onClick={() => setState({ logNames: [detail.container!], view: 'logs' })}
              >{`Open logs of ${detail.container}`}</button>
            </>
          ) : (
            <p className="pre">{op.error.message}</p>
          )}
          {detail?.problems && <ProblemList problems={detail.problems} />}
        </div>
      )}
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
