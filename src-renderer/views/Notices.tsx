import { setState, useStore } from '../store.js';

/** Notices (a container died, up finished) shown for a few seconds. */
export function Notices() {
  const notices = useStore((s) => s.notices);
  return (
    <div className="notices" role="status" aria-live="polite" aria-label="Notifications">
      {notices.map((n) => (
        <div key={n.key} className={`notice ${n.level}`}>
          <strong>{n.title}</strong>
          <span>{n.body}</span>
          <button
            className="ghost"
            aria-label={`Dismiss ${n.title}`}
            onClick={() => setState((s) => ({ notices: s.notices.filter((x) => x.key !== n.key) }))}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
