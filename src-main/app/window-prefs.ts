/** The dashboard window's web preferences and CSP, kept apart from electron so tests can read them in Node. */

/** Isolated, sandboxed, no Node in the page, no webviews. */
export function dashboardWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}

/** The Content-Security-Policy of the window (the page also carries it in a meta tag). */
export const WINDOW_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Only web links leave the app, in the person's browser. */
export function isExternalLink(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
