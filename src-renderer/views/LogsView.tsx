/**
 * Logs: follow one or several containers interleaved, a colour per container,
 * ANSI colours, search and filter, pause, clear, timestamps. Lines go into a
 * bounded ring; only the rows in sight are in the DOM, redrawn at most once a
 * frame, so a container printing tens of thousands of lines a second does not
 * freeze the page.
 */
import {
  Fragment,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import type { LogLine } from '../../src-shared/api/contract.js';
import { api, call } from '../api.js';
import { parseAnsi, type Span } from '../ansi.js';
import { LogBuffer } from '../log-buffer.js';
import { setState, useStore } from '../store.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';

const LINE_H = 18;
/**
 * Fewest milliseconds between two redraws of the lines while they pour in: a
 * flood is redrawn ten times a second, which reads the same and leaves the
 * main thread (and the compositor and raster threads behind each commit) idle
 * most of the time, so a busy machine has fewer chances to stall the page.
 */
const MIN_FRAME_MS = 100;

/** The buffer plus a version that changes (at most once a frame) when lines arrive. */
class LogFeed {
  readonly buffer = new LogBuffer(50_000);
  version = 0;
  private readonly listeners = new Set<() => void>();
  private frame = 0;
  private last = 0;
  visible = true;

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  getVersion = () => this.version;

  /** Redraws soon: on the next frame, but not more often than MIN_FRAME_MS; not at all while hidden. */
  changed() {
    if (!this.visible || this.frame) return;
    this.frame = requestAnimationFrame((t) => {
      this.frame = 0;
      if (t - this.last < MIN_FRAME_MS) return this.changed();
      this.last = t;
      this.bumpNow();
    });
  }

  bumpNow() {
    this.version++;
    for (const fn of this.listeners) fn();
    this.bumpSlow();
  }

  /** A second version for the counts and buttons, changing at most four times a second. */
  slowVersion = 0;
  private readonly slowListeners = new Set<() => void>();
  private slowTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSlow = 0;
  subscribeSlow = (fn: () => void) => {
    this.slowListeners.add(fn);
    return () => this.slowListeners.delete(fn);
  };
  getSlowVersion = () => this.slowVersion;
  private bumpSlow() {
    if (this.slowTimer) return;
    const wait = Math.max(0, this.lastSlow + 250 - performance.now());
    this.slowTimer = setTimeout(() => {
      this.slowTimer = null;
      this.lastSlow = performance.now();
      this.slowVersion++;
      for (const fn of this.slowListeners) fn();
    }, wait);
  }
}
const PALETTE = [
  '#4e9af1',
  '#e3a33b',
  '#3fb68b',
  '#d46ad6',
  '#e36464',
  '#2bb6c5',
  '#a3a83a',
  '#9b87f5',
];

/** One subscription for the chosen containers; chunks are counted as they arrive and drawn once a frame. */
function useLogSubscription(names: string[], feed: LogFeed) {
  const containers = useStore((s) => s.containers);
  const [resub, setResub] = useState(0);
  const [subId, setSubId] = useState<string | null>(null);
  const [ended, setEnded] = useState(false);
  const { error, setError } = useErrorBanner();
  const subRef = useRef<string | null>(null);
  useEffect(() => {
    if (!names.length) return;
    let cancelled = false;
    let id: string | null = null;
    setEnded(false);
    setError(null);
    const offChunk = api.on('logs:chunk', (p) => {
      if (p.id !== subRef.current) return;
      feed.buffer.push(p.lines, p.dropped ?? 0);
      feed.changed();
    });
    const offEnd = api.on('stream:end', (p) => {
      if (p.id === subRef.current) setEnded(true);
    });
    call('logs:subscribe', { names, tail: resub ? 0 : 500 })
      .then((r) => {
        id = r.id;
        if (cancelled) void api.call('stream:unsubscribe', { id });
        else {
          subRef.current = id;
          setSubId(id);
        }
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e);
      });
    return () => {
      cancelled = true;
      subRef.current = null;
      offChunk();
      offEnd();
      if (id) void api.call('stream:unsubscribe', { id });
    };
  }, [names, feed, resub]);

  // A followed container that comes back is followed again.
  const allRunning =
    names.length > 0 &&
    names.every((n) => containers.find((c) => c.name === n)?.state === 'running');
  useEffect(() => {
    if ((ended || error) && allRunning) setResub((n) => n + 1);
  }, [ended, error, allRunning]);
  return { subId, ended, error };
}

/** A checkbox per container that exists, in the colour its lines are drawn in. */
function FollowChips({
  names,
  colors,
  onToggle,
}: {
  names: string[];
  colors: Map<string, string>;
  onToggle: (name: string) => void;
}) {
  const containers = useStore((s) => s.containers);
  return (
    <fieldset className="follow" aria-label="Containers to follow">
      {containers
        .filter((c) => c.id)
        .map((c) => (
          <label key={c.name} className="chip-check" style={{ borderColor: colors.get(c.name) }}>
            <input
              type="checkbox"
              checked={names.includes(c.name)}
              onChange={() => onToggle(c.name)}
              aria-label={`Follow ${c.name}`}
            />
            {c.name}
          </label>
        ))}
    </fieldset>
  );
}

/** Search with previous/next match, and whether to show only the matching lines. */
function SearchTools(p: {
  search: string;
  onSearch: (value: string) => void;
  matchCount: number;
  onJump: (dir: 1 | -1) => void;
  onlyMatching: boolean;
  onOnlyMatching: (on: boolean) => void;
}) {
  return (
    <>
      <input
        type="search"
        aria-label="Search logs"
        placeholder="Search"
        value={p.search}
        onChange={(e) => p.onSearch(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && p.onJump(e.shiftKey ? -1 : 1)}
      />
      <button aria-label="Previous match" disabled={!p.matchCount} onClick={() => p.onJump(-1)}>
        ↑
      </button>
      <button aria-label="Next match" disabled={!p.matchCount} onClick={() => p.onJump(1)}>
        ↓
      </button>
      <label className="check">
        <input
          type="checkbox"
          checked={p.onlyMatching}
          onChange={(e) => p.onOnlyMatching(e.target.checked)}
        />
        Only matching lines
      </label>
    </>
  );
}

/** The line above the logs: how many lines came, were skipped and match, and the stream's state. */
function logStatus(
  following: number,
  buffer: LogBuffer,
  matching: number | null,
  st: { paused: boolean; ended: boolean; subId: string | null },
): string {
  if (!following) return 'Choose containers to follow.';
  const skipped = buffer.dropped ? `, ${buffer.dropped.toLocaleString()} skipped to keep up` : '';
  const matches = matching !== null ? `, ${matching.toLocaleString()} matching` : '';
  const state = `${st.paused ? ' — paused' : ''}${st.ended ? ' — the container stopped' : ''}${st.subId ? '' : ' — connecting'}`;
  return `${buffer.total.toLocaleString()} lines received${skipped}${matches}${state}`;
}

export function LogsView({ visible }: { visible: boolean }) {
  const names = useStore((s) => s.logNames);
  const feed = useMemo(() => new LogFeed(), []);
  const buffer = feed.buffer;
  useSyncExternalStore(feed.subscribeSlow, feed.getSlowVersion);
  const [paused, setPaused] = useState(false);
  const [timestamps, setTimestamps] = useState(false);
  const [search, setSearch] = useState('');
  const [onlyMatching, setOnlyMatching] = useState(false);
  const [cursor, setCursor] = useState(-1);
  const { subId, ended, error } = useLogSubscription(names, feed);

  buffer.setFilter(search);
  // Hidden: keep counting, draw nothing.
  feed.visible = visible;
  useEffect(() => {
    if (visible) feed.bumpNow();
  }, [visible, feed]);

  const toggleName = (name: string) => {
    const next = names.includes(name) ? names.filter((n) => n !== name) : [...names, name];
    buffer.clear();
    setCursor(-1);
    setState({ logNames: next });
  };
  const colors = useMemo(
    () => new Map(names.map((n, i) => [n, PALETTE[i % PALETTE.length]!])),
    [names],
  );
  const matchCount = search ? buffer.matchCount() : 0;
  const jump = (dir: 1 | -1) => {
    if (!matchCount) return;
    setCursor((c) =>
      c < 0 ? (dir > 0 ? 0 : matchCount - 1) : (c + dir + matchCount) % matchCount,
    );
  };
  const cursorLine = search && cursor >= 0 && cursor < matchCount ? buffer.matchAt(cursor) : -1;

  return (
    <div className="logs-view">
      <div className="view-head">
        <h2>Logs</h2>
        <FollowChips names={names} colors={colors} onToggle={toggleName} />
      </div>
      <div className="toolbar" role="toolbar" aria-label="Log tools">
        <SearchTools
          search={search}
          onSearch={(v) => {
            setSearch(v);
            setCursor(-1);
          }}
          matchCount={matchCount}
          onJump={jump}
          onlyMatching={onlyMatching}
          onOnlyMatching={setOnlyMatching}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={timestamps}
            onChange={(e) => setTimestamps(e.target.checked)}
          />
          Timestamps
        </label>
        <span className="spacer" />
        <button aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          onClick={() => {
            buffer.clear();
            setCursor(-1);
            feed.bumpNow();
          }}
        >
          Clear
        </button>
      </div>
      <p className="log-status muted" role="status">
        {logStatus(names.length, buffer, search ? matchCount : null, { paused, ended, subId })}
      </p>
      <ErrorBanner error={error} />
      <LogLines
        feed={feed}
        paused={paused}
        visible={visible}
        timestamps={timestamps}
        colors={colors}
        search={search}
        onlyMatching={onlyMatching && !!search}
        cursorLine={cursorLine}
        showName={names.length > 1}
      />
    </div>
  );
}

interface LinesProps {
  feed: LogFeed;
  paused: boolean;
  visible: boolean;
  timestamps: boolean;
  colors: Map<string, string>;
  search: string;
  onlyMatching: boolean;
  cursorLine: number;
  showName: boolean;
}

/** Only the rows in sight are in the DOM; they are reused (keyed by slot) as lines scroll through them. */
function LogLines(p: LinesProps) {
  const version = useSyncExternalStore(p.feed.subscribe, p.feed.getVersion);
  const buffer = p.feed.buffer;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const stick = useRef(true);
  /** Where following the end last scrolled to (-1: somewhere else since). */
  const scrolledTo = useRef(-1);
  const frozen = useRef<{ count: number } | null>(null);

  if (p.paused && !frozen.current) frozen.current = { count: buffer.visibleCount(p.onlyMatching) };
  if (!p.paused) frozen.current = null;
  const count = frozen.current?.count ?? buffer.visibleCount(p.onlyMatching);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !p.visible) return;
    if (p.cursorLine >= 0) {
      // Bring the current match into view.
      let idx = -1;
      for (let i = 0, n = buffer.visibleCount(p.onlyMatching); i < n; i++)
        if (buffer.visibleAt(i, p.onlyMatching) === p.cursorLine) {
          idx = i;
          break;
        }
      if (idx >= 0) {
        stick.current = false;
        el.scrollTop = Math.max(0, idx * LINE_H - el.clientHeight / 2);
        setScrollTop(el.scrollTop);
      }
    } else if (stick.current && !p.paused) {
      // The end, from the count rather than `scrollHeight` (which would lay the page out first).
      // Once the ring is full the end stays put, and setting it again would only force a layout.
      const bottom = Math.max(0, count * LINE_H - height);
      if (scrolledTo.current !== bottom) el.scrollTop = scrolledTo.current = bottom;
    }
  }, [version, p.cursorLine, p.visible, p.paused, count, height, buffer, p.onlyMatching]);

  const rows = Math.ceil(height / LINE_H) + 1;
  const atBottom = stick.current && !p.paused && p.cursorLine < 0;
  const start = atBottom
    ? Math.max(0, count - rows)
    : Math.max(0, Math.min(count - 1, Math.floor(scrollTop / LINE_H)) - 5);
  const end = Math.min(count, start + rows + 10);
  const slots: { n: number; line: LogLine }[] = [];
  for (let i = start; i < end; i++) {
    const n = buffer.visibleAt(i, p.onlyMatching);
    const line = buffer.line(n);
    if (line) slots.push({ n, line });
  }

  return (
    <div
      ref={ref}
      className="log-lines"
      role="log"
      aria-label="Log lines"
      aria-live="off"
      data-received={buffer.total}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        if (el.scrollTop !== scrolledTo.current) scrolledTo.current = -1;
        stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE_H * 2;
        // Following the end draws from the count; only a person's scrolling needs a redraw here.
        if (!stick.current) setScrollTop(el.scrollTop);
      }}
    >
      <div className="log-spacer" style={{ height: count * LINE_H }}>
        <div className="log-window" style={{ transform: `translateY(${start * LINE_H}px)` }}>
          {slots.map(({ n, line }, slot) => (
            <Row
              key={slot}
              line={line}
              color={p.colors.get(line.c) ?? PALETTE[0]!}
              timestamps={p.timestamps}
              search={p.search}
              current={n === p.cursorLine}
              showName={p.showName}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

/** Parsed colours per line, computed once however often the line is drawn. */
const spansOf = new WeakMap<LogLine, Span[]>();

function Row(props: {
  line: LogLine;
  color: string;
  timestamps: boolean;
  search: string;
  current: boolean;
  showName: boolean;
}) {
  const { line } = props;
  let spans = spansOf.get(line);
  if (!spans) spansOf.set(line, (spans = parseAnsi(line.x)));
  return (
    <div
      className={`log-line${line.e ? ' stderr' : ''}${props.current ? ' current' : ''}`}
      style={{ borderLeftColor: props.color }}
    >
      {props.showName && (
        <span className="log-name" style={{ color: props.color }}>
          {line.c}
        </span>
      )}
      {props.timestamps && line.t && <span className="log-time">{formatTime(line.t)}</span>}
      {spans.map((s, i) =>
        // Plain text needs no element of its own: fewer nodes to build, style and lay out per row.
        s.fg || s.bg || s.bold || s.dim || s.italic || s.underline ? (
          <span
            key={i}
            style={{
              color: s.fg,
              background: s.bg,
              fontWeight: s.bold ? 700 : undefined,
              opacity: s.dim ? 0.7 : undefined,
              fontStyle: s.italic ? 'italic' : undefined,
              textDecoration: s.underline ? 'underline' : undefined,
            }}
          >
            {props.search ? highlight(s.text, props.search) : s.text}
          </span>
        ) : (
          <Fragment key={i}>{props.search ? highlight(s.text, props.search) : s.text}</Fragment>
        ),
      )}
    </div>
  );
}

function highlight(text: string, search: string) {
  const lower = text.toLowerCase();
  const q = search.toLowerCase();
  let i = lower.indexOf(q);
  if (i === -1) return text;
  const out: (string | React.JSX.Element)[] = [];
  let last = 0;
  while (i !== -1) {
    out.push(text.slice(last, i));
    out.push(<mark key={i}>{text.slice(i, i + q.length)}</mark>);
    last = i + q.length;
    i = lower.indexOf(q, last);
  }
  out.push(text.slice(last));
  return out;
}

function formatTime(t: string): string {
  // 2024-05-01T10:00:00.123456789Z -> local HH:MM:SS.mmm
  const d = new Date(t.replace(/(\.\d{3})\d*/, '$1'));
  if (Number.isNaN(d.getTime())) return t;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
