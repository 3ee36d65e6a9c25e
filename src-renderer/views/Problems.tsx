import type { ApiError } from '../../src-shared/api/contract.js';
import type { Problem } from '../../src-shared/specs/schema.js';

/** Spec problems with their file and key, as a list. */
export function ProblemList({ problems }: { problems: Problem[] }) {
  if (!problems.length) return null;
  return (
    <ul className="problems" aria-label="Spec problems">
      {problems.map((p, i) => (
        <li key={i} className={p.severity}>
          <span className="badge">{p.severity}</span> <code>{p.file}</code>
          {p.path && (
            <>
              {' '}
              <code className="key">{p.path}</code>
            </>
          )}
          : {p.message}
        </li>
      ))}
    </ul>
  );
}

/** An error from the main side, with its spec problems when it has any. */
export function ErrorBox({ error }: { error: ApiError }) {
  return (
    <div className="banner error" role="alert">
      <p className="pre">{error.message}</p>
      {error.detail?.problems && <ProblemList problems={error.detail.problems} />}
    </div>
  );
}
