/** The dashboard window: isolated, sandboxed, no Node, no navigation or new windows, a CSP. */
import { BrowserWindow, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dashboardWebPreferences, isExternalLink, WINDOW_CSP } from './window-prefs.js';

/** Opens http(s) links in the person's browser; anything else is ignored. */
function openExternal(url: string) {
  if (isExternalLink(url)) void shell.openExternal(url);
}

/** Locks down a window's web contents: no navigation away, no new windows, no permissions. */
export function lockDown(contents: WebContents, indexUrl: string): void {
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (e, url) => {
    if (url !== indexUrl) e.preventDefault();
    if (url !== indexUrl) openExternal(url);
  });
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.webRequest.onHeadersReceived((details, callback) =>
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [WINDOW_CSP] },
    }),
  );
}

export function createDashboardWindow(
  rendererDir: string,
  preloadPath: string,
  iconPath: string,
): BrowserWindow {
  const win = new BrowserWindow({
    width: 1180,
    height: 780,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Dusty',
    icon: iconPath,
    autoHideMenuBar: true,
    webPreferences: dashboardWebPreferences(preloadPath),
  });
  const index = join(rendererDir, 'index.html');
  lockDown(win.webContents, pathToFileURL(index).href);
  void win.loadFile(index);
  win.once('ready-to-show', () => win.show());
  return win;
}
