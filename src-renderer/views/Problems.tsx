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
