/**
 * Terminal: xterm.js panes running a shell (or a script) in a container
 * through the Engine API. Panes stay alive when another view or tab is shown;
 * after a reload, open sessions are re-attached and their recent output replayed.
 */
import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { containerPhase, phaseRuns } from '../../src-shared/container-phase.js';
import { api, call, CallError } from '../api.js';
import { setState, useStore, type TerminalTab } from '../store.js';
import { openTerminal } from '../terminals.js';
import { ErrorBanner, useErrorBanner } from './ErrorBanner.js';

export function TerminalView({ visible }: { visible: boolean }) {
  const tabs = useStore((s) => s.terminals);
  const active = useStore((s) => s.activeTerminal);
  const containers = useStore((s) => s.containers);
  const running = containers.filter((c) => phaseRuns(containerPhase(c)));
  const [target, setTarget] = useState('');
  const { error, run } = useErrorBanner();
  const chosen = running.some((c) => c.name === target) ? target : (running[0]?.name ?? '');

  const close = (tab: TerminalTab) => {
    void api.call('stream:unsubscribe', { id: tab.id });
    setState((s) => {
      const left = s.terminals.filter((t) => t.id !== tab.id);
      return {
        terminals: left,
        activeTerminal: s.activeTerminal === tab.id ? (left.at(-1)?.id ?? null) : s.activeTerminal,
      };
    });
  };

  return (
    <div className="terminal-view">
      <div className="view-head">
        <h2>Terminal</h2>
        <span className="spacer" />
        <label className="inline">
          Container
          <select
            value={chosen}
            onChange={(e) => setTarget(e.target.value)}
            aria-label="Container for a new shell"
          >
            {running.map((c) => (
              <option key={c.name}>{c.name}</option>
            ))}
          </select>
        </label>
        <button
          className="primary"
          disabled={!chosen}
          onClick={() => run(() => openTerminal(chosen))}
        >
          Open shell
        </button>
      </div>
      <ErrorBanner error={error} />
      {tabs.length === 0 ? (
        <p className="empty">
          No terminal open. Open a shell in a running container, or run an app&apos;s script from
          Containers.
        </p>
      ) : (
        <>
          <div className="term-tabs" role="tablist" aria-label="Terminals">
            {tabs.map((t) => (
              <span key={t.id} className={`term-tab ${t.id === active ? 'active' : ''}`}>
                <button
                  role="tab"
                  aria-selected={t.id === active}
                  onClick={() => setState({ activeTerminal: t.id })}
                >
                  {t.title}
                </button>
                <button
                  className="ghost"
                  aria-label={`Close terminal ${t.title}`}
                  onClick={() => close(t)}
                >
                  ×
                </button>
              </span>
            ))}
          </div>
          <div className="term-panes">
            {tabs.map((t) => (
              <TerminalPane key={t.id} tab={t} shown={visible && t.id === active} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}

const panes = new Map<string, (data: string) => void>();
const enders = new Map<string, (code?: number) => void>();
api.on('terminal:data', ({ id, data }) => panes.get(id)?.(data));
api.on('stream:end', ({ id, exitCode }) => enders.get(id)?.(exitCode));

function TerminalPane({ tab, shown }: { tab: TerminalTab; shown: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const termRef = useRef<Terminal | null>(null);
  const [ended, setEnded] = useState<string | null>(null);

  useEffect(() => {
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const term = new Terminal({
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: dark
        ? { background: '#101215', foreground: '#d8dee9' }
        : {
            background: '#fbfbfc',
            foreground: '#1f2328',
            cursor: '#1f2328',
            selectionBackground: '#b6d4fe',
          },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    termRef.current = term;
    fitRef.current = fit;
    const input = term.onData((data) => void api.call('terminal:input', { id: tab.id, data }));
    const resize = term.onResize(
      ({ cols, rows }) => void api.call('terminal:resize', { id: tab.id, cols, rows }),
    );
    panes.set(tab.id, (d) => term.write(d));
    enders.set(tab.id, (code) => {
      term.write(`\r\n\x1b[2m[exited${code !== undefined ? ` with code ${code}` : ''}]\x1b[0m\r\n`);
      setEnded(`exited${code !== undefined ? ` with code ${code}` : ''}`);
    });
    // Output flows after attaching, which first replays what the session printed so far
    // (all of it for a new session, the recent part after a reload).
    void call('terminal:attach', { id: tab.id }).then(
      ({ replay }) => term.write(replay),
      (e: unknown) => setEnded(e instanceof CallError ? e.message : 'ended'),
    );
    const ro = new ResizeObserver(() => {
      if (host.current?.offsetParent) fit.fit();
    });
    ro.observe(host.current!);
    return () => {
      ro.disconnect();
      input.dispose();
      resize.dispose();
      panes.delete(tab.id);
      enders.delete(tab.id);
      term.dispose();
    };
  }, [tab.id]);

  useEffect(() => {
    if (!shown) return;
    const t = requestAnimationFrame(() => {
      fitRef.current?.fit();
      termRef.current?.focus();
    });
    return () => cancelAnimationFrame(t);
  }, [shown]);

  return (
    <div className="term-pane" hidden={!shown} role="region" aria-label={`Terminal ${tab.title}`}>
      {ended && <p className="term-ended muted">Session {ended}.</p>}
      <div className="xterm-host" ref={host} />
    </div>
  );
}
