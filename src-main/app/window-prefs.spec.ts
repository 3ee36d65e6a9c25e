import { describe, expect, it } from 'vitest';
import { dashboardWebPreferences, isExternalLink, WINDOW_CSP } from './window-prefs.js';

describe('the dashboard window', () => {
  it('is isolated and sandboxed with no Node in the page', () => {
    expect(dashboardWebPreferences('/p.js')).toMatchObject({
      preload: '/p.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
    });
  });

  it('ships a CSP that allows only its own scripts and no remote connections', () => {
    expect(WINDOW_CSP).toContain("default-src 'none'");
    expect(WINDOW_CSP).toContain("script-src 'self'");
    expect(WINDOW_CSP).toContain("connect-src 'self'");
    expect(WINDOW_CSP).not.toMatch(/unsafe-eval|\*/);
  });

  it('sends only web links to the browser', () => {
    expect(isExternalLink('http://web.demo.test')).toBe(true);
    expect(isExternalLink('https://example.com')).toBe(true);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
  });
});
