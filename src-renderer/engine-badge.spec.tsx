import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineInfo } from '../src-shared/api/contract.js';
import { call } from './api.js';
import { EngineBadgeView, loadEngine, startEngine } from './views/EngineBadge.js';
import { ErrorBanner, shownError } from './views/ErrorBanner.js';

// The page's connection and store are not here; the badge's calls are answered by the test.
vi.mock('./api.js', () => ({ call: vi.fn() }));
vi.mock('./store.js', () => ({ useStore: () => 'open' }));

const ENGINE: EngineInfo = {
  context: 'orbstack',
  source: 'DOCKER_CONTEXT',
  endpoint: 'unix:///run/orb.sock',
  description: 'context "orbstack" (DOCKER_CONTEXT): unix:///run/orb.sock',
  kind: 'orbstack',
  label: 'OrbStack',
  detectedKind: 'orbstack',
  detectedLabel: 'OrbStack',
  running: false,
  version: null,
  os: null,
  configured: 'auto',
  mismatch: null,
  mounts: 'bind',
  mountsWhy: 'the engine runs here',
  canStart: true,
  startHow: 'orb start',
  error: null,
};

/** A failed call as the page's api rejects it: an Error carrying the main side's typed error. */
const failed = (code: string, message: string) =>
  Object.assign(new Error(message), { error: { code, message } });

beforeEach(() => vi.mocked(call).mockReset());

describe('the engine badge', () => {
  it('sends a failed start to the shared error banner: whole message and code, as every view shows errors', async () => {
    vi.mocked(call).mockRejectedValueOnce(
      failed('engine', 'OrbStack did not start: `orb start` exited 1\norb: no VM image'),
    );
    const shown: unknown[] = [];
    const reported: unknown[] = [];
    await startEngine({ show: (e) => shown.push(e), onError: (e) => reported.push(e) });
    expect(call).toHaveBeenCalledWith('engine:start', {});
    expect(shown).toEqual([]);
    // An earlier failure is cleared first, then the new one is reported as it came.
    expect(reported[0]).toBeNull();
    expect(shownError(reported[1])).toEqual({
      code: 'engine',
      message: 'OrbStack did not start: `orb start` exited 1\norb: no VM image',
    });
    const html = renderToStaticMarkup(<ErrorBanner error={shownError(reported[1])} />);
    expect(html).toContain('data-code="engine"');
    expect(html).toContain('orb: no VM image');
  });

  it('shows the engine it reads, and reports a failed read the same way', async () => {
    vi.mocked(call).mockResolvedValueOnce(ENGINE);
    const shown: unknown[] = [];
    const reported: unknown[] = [];
    const sink = {
      show: (e: EngineInfo) => shown.push(e),
      onError: (e: unknown) => reported.push(e),
    };
    await loadEngine(sink);
    expect(shown).toEqual([ENGINE]);
    expect(reported).toEqual([]);
    vi.mocked(call).mockRejectedValueOnce(failed('engine', 'docker context "x" does not exist'));
    await loadEngine(sink);
    expect(reported.map(shownError)).toEqual([
      { code: 'engine', message: 'docker context "x" does not exist' },
    ]);
  });

  it('says a stopped engine with a Start button, a running one with its version, and no error text of its own', () => {
    const stopped = renderToStaticMarkup(
      <EngineBadgeView engine={ENGINE} starting={false} onStart={() => {}} />,
    );
    expect(stopped).toContain('OrbStack is stopped');
    expect(stopped).toContain('Start OrbStack</button>');
    expect(
      renderToStaticMarkup(<EngineBadgeView engine={ENGINE} starting onStart={() => {}} />),
    ).toContain('disabled="">Starting…</button>');
    const running = renderToStaticMarkup(
      <EngineBadgeView
        engine={{ ...ENGINE, running: true, version: '27.3.1' }}
        starting={false}
        onStart={() => {}}
      />,
    );
    expect(running).toContain('OrbStack 27.3.1');
    expect(running).not.toContain('<button');
    for (const html of [stopped, running]) expect(html).not.toContain('role="alert"');
    expect(
      renderToStaticMarkup(<EngineBadgeView engine={null} starting={false} onStart={() => {}} />),
    ).toBe('');
  });
});
