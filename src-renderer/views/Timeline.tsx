/** `up`'s timeline as bars on one time axis, slowest container first, growing live while `up` runs. */
import { useEffect, useState } from 'react';
import type { UpTimeline } from '../../src-shared/api/contract.js';
import {
  containerSpan,
  PHASE_LABELS,
  seconds,
  slowestFirst,
  UP_PHASES,
} from '../../src-shared/timeline.js';

/** Re-renders every `ms` while `on`, so open phases grow. */
function useNow(on: boolean, ms = 250): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [on, ms]);
  return on ? now : Date.now();
}

export function Timeline({ timeline }: { timeline: UpTimeline }) {
  const live = timeline.finishedAt === null;
  const now = useNow(live);
  const end = timeline.finishedAt ?? now;
  const total = Math.max(1, end - timeline.startedAt);
  const rows = slowestFirst(timeline, end);
  if (!rows.length) return null;
  const pct = (at: number) => `${(((at - timeline.startedAt) / total) * 100).toFixed(2)}%`;
  const width = (a: number, b: number) => `${Math.max(0.4, ((b - a) / total) * 100).toFixed(2)}%`;
  return (
    <figure className="timeline" aria-label="Where the time went">
      <figcaption className="muted">
        Where the time went{live ? ' (so far)' : ''}: {seconds(total)}
        <span className="legend">
          {UP_PHASES.map((p) => (
            <span key={p} className="legend-item">
              <span className={`swatch phase-${p}`} aria-hidden="true" />
              {PHASE_LABELS[p]}
            </span>
          ))}
        </span>
      </figcaption>
      <ul>
        {rows.map((c) => {
          const span = containerSpan(c, end)!;
          return (
            <li key={c.name} aria-label={`timeline of ${c.name}`}>
              <span className="tl-name">{c.name}</span>
              <span className="tl-track">
                {c.phases.map((p) => {
                  const dur = (p.end ?? end) - p.start;
                  const label = `${PHASE_LABELS[p.phase]} ${seconds(dur)}${p.note ? ` (${p.note})` : ''}`;
                  return (
                    <span
                      key={p.phase}
                      className={`tl-bar phase-${p.phase}${p.end === null ? ' open' : ''}`}
                      style={{ left: pct(p.start), width: width(p.start, p.end ?? end) }}
                      title={label}
                      aria-label={label}
                      data-phase={p.phase}
                    />
                  );
                })}
              </span>
              <span className="tl-total">{seconds(span.end - span.start)}</span>
            </li>
          );
        })}
      </ul>
      <div className="tl-axis" aria-hidden="true">
        <span>0s</span>
        <span>{seconds(total / 2)}</span>
        <span>{seconds(total)}</span>
      </div>
    </figure>
  );
}
