/**
 * A stand-in for the `electron` module, for the shell's wiring tests on a
 * machine where Electron's binary cannot be downloaded: the parts main.ts
 * and window.ts use (app, Tray, Menu, ipcMain, dialog, Notification, shell,
 * nativeImage, BrowserWindow), recording what the shell does with them. It
 * draws nothing; see state.mjs for how a test drives it.
 */
import process from 'node:process';
import { setImmediate, setTimeout } from 'node:timers';
import { emitApp, standIn } from './state.mjs';

export const app = {
  requestSingleInstanceLock: () => true,
  whenReady: () => Promise.resolve(),
  dock: { hide() {} },
  on(event, fn) {
    if (!standIn.appListeners.has(event)) standIn.appListeners.set(event, []);
    standIn.appListeners.get(event).push(fn);
    return app;
  },
  /** As Electron does: before-quit, then windows close, then the process ends. */
  quit() {
    if (standIn.quitting) return;
    standIn.quitting = true;
    emitApp('before-quit', { preventDefault() {} });
    for (const w of standIn.windows) w.close();
    emitApp('will-quit', { preventDefault() {} });
    setTimeout(() => process.exit(0), 100);
  },
};

export const ipcMain = {
  handle(channel, fn) {
    if (standIn.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    standIn.handlers.set(channel, fn);
  },
};

export const dialog = {
  showMessageBox(options) {
    const response = standIn.dialogAnswers.length
      ? standIn.dialogAnswers.shift()
      : (options.cancelId ?? 0);
    standIn.dialogs.push({
      title: options.title,
      message: options.message,
      detail: options.detail,
      buttons: options.buttons ?? [],
      response,
    });
    return Promise.resolve({ response, checkboxChecked: false });
  },
};

export class Notification {
  static isSupported() {
    return true;
  }
  constructor(options) {
    this.options = options;
  }
  show() {
    standIn.notifications.push({ title: this.options.title, body: this.options.body });
  }
}

export const shell = {
  openExternal(url) {
    standIn.opened.push(url);
    return Promise.resolve();
  },
};

export const nativeImage = {
  createFromPath: (path) => ({ path, isEmpty: () => false }),
};

export const Menu = {
  buildFromTemplate(template) {
    const listeners = new Map();
    return {
      template,
      on(event, fn) {
        listeners.set(event, fn);
      },
      emit(event) {
        listeners.get(event)?.();
      },
    };
  },
};

export class Tray {
  constructor(image) {
    if (standIn.tray && !standIn.tray.destroyed) throw new Error('a second tray icon');
    this.image = image;
    this.tooltip = '';
    this.menu = null;
    this.destroyed = false;
    this.listeners = new Map();
    standIn.tray = this;
  }
  setImage(image) {
    this.image = image;
  }
  setToolTip(text) {
    this.tooltip = text;
  }
  setContextMenu(menu) {
    this.menu = menu;
  }
  on(event, fn) {
    this.listeners.set(event, fn);
  }
  destroy() {
    this.destroyed = true;
  }
}

/** Web contents with the hooks window.ts locks down, callable from a test. */
function webContents(id) {
  const listeners = new Map();
  const wc = {
    id,
    windowOpenHandler: null,
    permissionHandler: null,
    headersHandler: null,
    setWindowOpenHandler(fn) {
      wc.windowOpenHandler = fn;
    },
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(fn);
    },
    emit(event, ...args) {
      for (const fn of listeners.get(event) ?? []) fn(...args);
    },
    session: {
      setPermissionRequestHandler: (fn) => (wc.permissionHandler = fn),
      webRequest: { onHeadersReceived: (fn) => (wc.headersHandler = fn) },
    },
    isDestroyed: () => false,
    send() {},
  };
  return wc;
}

export class BrowserWindow {
  static getAllWindows() {
    return standIn.windows.filter((w) => !w.destroyed);
  }
  constructor(options) {
    this.options = options;
    this.visible = false;
    this.destroyed = false;
    this.file = null;
    this.listeners = new Map();
    this.webContents = webContents(100 + standIn.windows.length);
    standIn.windows.push(this);
  }
  loadFile(file) {
    this.file = file;
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push({ fn, once: false });
    return this;
  }
  once(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push({ fn, once: true });
    return this;
  }
  emit(event, ...args) {
    const list = this.listeners.get(event) ?? [];
    this.listeners.set(
      event,
      list.filter((l) => !l.once),
    );
    for (const l of list) l.fn(...args);
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  isDestroyed() {
    return this.destroyed;
  }
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) this.destroyed = true;
    else return 'prevented';
    return 'closed';
  }
  describe() {
    const p = this.options.webPreferences ?? {};
    return {
      visible: this.visible,
      destroyed: this.destroyed,
      file: this.file,
      title: this.options.title,
      webPreferences: {
        sandbox: p.sandbox,
        contextIsolation: p.contextIsolation,
        nodeIntegration: p.nodeIntegration,
        webviewTag: p.webviewTag,
        preload: p.preload,
      },
    };
  }
  /** What the locked-down contents do when a page tries something. */
  async act(action, url) {
    const wc = this.webContents;
    switch (action) {
      case 'close':
        return this.close();
      case 'open':
        return wc.windowOpenHandler?.({ url }) ?? null;
      case 'navigate': {
        let prevented = false;
        wc.emit('will-navigate', { preventDefault: () => (prevented = true) }, url);
        return { prevented };
      }
      case 'permission':
        return new Promise((resolve) => wc.permissionHandler?.(wc, 'media', resolve));
      case 'headers':
        return new Promise((resolve) =>
          wc.headersHandler?.({ url, responseHeaders: {} }, (r) => resolve(r.responseHeaders)),
        );
      default:
        throw new Error(`unknown window action ${action}`);
    }
  }
}

export default {
  app,
  ipcMain,
  dialog,
  Notification,
  shell,
  nativeImage,
  Menu,
  Tray,
  BrowserWindow,
};
