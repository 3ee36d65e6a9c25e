import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { ErrorBanner, shownError } from './views/ErrorBanner.js';

describe('the error banner every view uses', () => {
  it('shows the message and the code of a typed error', () => {
    const html = renderToStaticMarkup(
      <ErrorBanner error={{ code: 'no-specs-repo', message: 'no specs repo is set' }} />,
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('data-code="no-specs-repo"');
    expect(html).toContain('no specs repo is set');
    expect(html).toContain('<span class="error-code">no-specs-repo</span>');
  });

  it('lists spec problems with their file and key', () => {
    const html = renderToStaticMarkup(
      <ErrorBanner
        error={{
          code: 'invalid-specs',
          message: 'the specs have 1 problem',
          detail: {
            problems: [
              {
                severity: 'error',
                file: 'apps/web.yml',
                path: 'image',
                message: 'expected a string',
              },
            ],
          },
        }}
      />,
    );
    expect(html).toContain('aria-label="Spec problems"');
    expect(html).toContain('<code>apps/web.yml</code>');
    expect(html).toContain('<code class="key">image</code>');
    expect(html).toContain('expected a string');
  });

  it('shows a container that did not start with its reason and last log lines', () => {
    const error = {
      code: 'container-failed' as const,
      message: 'web did not start: it exited with code 1',
      detail: { container: 'web', reason: 'it exited with code 1', logs: ['boom', 'bye'] },
    };
    const html = renderToStaticMarkup(<ErrorBanner error={error} />);
    expect(html).toContain('<strong>web</strong> did not start: it exited with code 1.');
    expect(html).toContain('aria-label="Last log lines of web"');
    expect(html).toContain('boom\nbye');
    // The button to the logs is there only when the view can open them.
    expect(html).not.toContain('Open logs of web');
    expect(renderToStaticMarkup(<ErrorBanner error={error} onOpenLogs={() => {}} />)).toContain(
      'Open logs of web',
    );
  });

  it('renders nothing without an error', () => {
    expect(renderToStaticMarkup(<ErrorBanner error={null} />)).toBe('');
  });

  it('keeps a failed call’s typed error and turns anything else into a message', () => {
    const call = Object.assign(new Error('busy'), { error: { code: 'busy', message: 'up runs' } });
    expect(shownError(call)).toEqual({ code: 'busy', message: 'up runs' });
    expect(shownError(new Error('socket closed'))).toEqual({
      code: 'error',
      message: 'socket closed',
    });
    expect(shownError('plain')).toEqual({ code: 'error', message: 'plain' });
  });
});
