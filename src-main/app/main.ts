/**
 * The Electron shell: a menubar (tray) app whose icon says stopped, starting,
 * running or failed; a menu built from engine events; the dashboard window
 * served the contract over IPC; OS notifications; the first-run helper offer.
 */
import type { BrowserWindow } from 'electron';
import {
  app,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  shell,
  Tray,
  type MenuItemConstructorOptions,
  type WebContents,
} from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_CALL, IPC_EVENT, type BundleInfo } from '../../src-shared/api/contract.js';
import { ApiService, type ApiClient } from '../service/api-service.js';
import { openDusty } from '../service/index.js';
import { appRoot, rendererDir } from '../paths.js';
import { offerHelperOnce, type HelperInstaller } from './helper-offer.js';
import { sudoHelperInstaller } from './helper-installer.js';
import {
  buildTrayMenu,
  trayIcon,
  type TrayAction,
  type TrayItem,
  type TrayState,
} from './tray-menu.js';
import { createDashboardWindow } from './window.js';

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start() {
  let quitting = false;
  let tray: Tray | null = null;
  const root = appRoot();
  const here = fileURLToPath(new URL('.', import.meta.url));
  const preload = join(here, 'preload', 'preload.js');
  const renderer = rendererDir() ?? join(root, 'dist-renderer');
  const asset = (name: string) => join(root, 'assets', name);

  await app.whenReady();
  if (process.platform === 'darwin') app.dock?.hide();

  // The same Dusty as the CLI's: Up starts the configured provider and exports repos.
  const dusty = openDusty(process.env, { name: 'menubar' });
  const home = dusty.ctx.store.home;
  const service = new ApiService({ dusty, shell: 'electron' });
  const installer: HelperInstaller = sudoHelperInstaller();

  const state: TrayState = {
    bundles: null,
    containers: [],
    operation: null,
    helperInstalled: true,
    platform: process.platform,
  };

  serveIpc(service);

  const showDashboard = dashboardShower(renderer, preload, asset('icon.png'), () => quitting);

  const act = async (a: TrayAction) => {
    switch (a.type) {
      case 'toggle-bundle':
        await service.setBundle(a.name, a.active);
        break;
      case 'up':
        service.startUp();
        break;
      case 'stop':
        service.startStop();
        break;
      case 'open-url':
        await shell.openExternal(a.url);
        break;
      case 'open-dashboard':
        showDashboard();
        break;
      case 'start-engine':
        state.engine = await service.startEngine();
        render();
        break;
      case 'install-helper':
        state.helperInstalled = await offerHelperOnce(home, installer, helperUi(), true);
        render();
        break;
      case 'quit':
        quitting = true;
        app.quit();
        break;
    }
  };

  const notify = (title: string, body: string) => notifyOs(title, body, asset('icon.png'));
  const iconFor = trayIcons(asset);
  const menuOf = (items: TrayItem[]) => toMenu(items, act, notify);
  const render = trayRenderer(() => tray, state, iconFor, menuOf, service);
  followService(service, state, render, notify);

  // The engine's kind and whether it answers, for the menu's engine line and its Start item.
  service.engine().then(
    (e) => {
      state.engine = e;
      render();
    },
    () => undefined,
  );

  tray = new Tray(iconFor('stopped'));
  tray.setToolTip('Dusty');
  if (process.platform !== 'darwin') tray.on('click', showDashboard);
  render();
  wireAppEvents(showDashboard, () => {
    quitting = true;
    service.dispose();
  });

  await Promise.all([
    service.start().catch((e: Error) => notify('Dusty cannot reach Docker', e.message)),
    readBundles(service, state),
  ]);
  render();
  state.helperInstalled = await offerHelperOnce(home, installer, helperUi()).catch(() => false);
  render();
  if (process.env.DUSTY_OPEN_DASHBOARD === '1' || process.argv.includes('--dashboard'))
    showDashboard();
}

/** The bundles into the tray's state, or why they cannot be read (no specs repo, invalid specs). */
function readBundles(service: ApiService, state: TrayState): Promise<unknown> {
  return service.bundles().then(
    (b: BundleInfo[]) => Object.assign(state, { bundles: b, bundlesError: undefined }),
    (e: Error) => Object.assign(state, { bundles: null, bundlesError: e.message }),
  );
}

/** Shows the dashboard window, making it the first time; closing it keeps Dusty in the menubar. */
function dashboardShower(
  renderer: string,
  preload: string,
  icon: string,
  quitting: () => boolean,
): () => void {
  let win: BrowserWindow | null = null;
  return () => {
    if (!win || win.isDestroyed()) {
      win = createDashboardWindow(renderer, preload, icon);
      win.on('close', (e) => {
        if (!quitting()) {
          e.preventDefault();
          win?.hide();
        }
      });
    } else {
      win.show();
      win.focus();
    }
  };
}

/** IPC: one client per web contents, events pushed on one channel; only our own page may call. */
function serveIpc(service: ApiService): void {
  const clients = new Map<number, ApiClient>();
  const clientFor = (wc: WebContents): ApiClient => {
    let c = clients.get(wc.id);
    if (!c) {
      const client: ApiClient = {
        send: (message) => {
          if (!wc.isDestroyed()) wc.send(IPC_EVENT, message);
        },
        backlog: () => 0,
      };
      const disconnect = service.connect(client);
      wc.once('destroyed', () => {
        disconnect();
        clients.delete(wc.id);
      });
      clients.set(wc.id, (c = client));
    }
    return c;
  };
  ipcMain.handle(IPC_CALL, (event, channel: unknown, input: unknown) => {
    if (!event.senderFrame?.url.startsWith('file://'))
      return { ok: false, error: { code: 'forbidden', message: 'not the dashboard' } };
    return service.call(clientFor(event.sender), channel, input);
  });
}

/** The tray menu's plain items as Electron's template; a failed action becomes a notification. */
function toMenu(
  items: TrayItem[],
  act: (a: TrayAction) => Promise<void>,
  notify: (title: string, body: string) => void,
): MenuItemConstructorOptions[] {
  return items.map((i) => ({
    ...(i.type ? { type: i.type } : {}),
    ...(i.label !== undefined ? { label: i.label } : {}),
    ...(i.sublabel ? { sublabel: i.sublabel } : {}),
    ...(i.toolTip ? { toolTip: i.toolTip } : {}),
    ...(i.checked !== undefined ? { checked: i.checked } : {}),
    ...(i.enabled !== undefined ? { enabled: i.enabled } : {}),
    ...(i.submenu ? { submenu: toMenu(i.submenu, act, notify) } : {}),
    ...(i.action
      ? {
          click: () =>
            void act(i.action!).catch((e: Error) =>
              notify('Dusty', e.message.split('\n')[0] ?? e.message),
            ),
        }
      : {}),
  }));
}

/** The tray's icon images by state, loaded once each. */
function trayIcons(asset: (name: string) => string): (name: string) => Electron.NativeImage {
  const icons = new Map<string, Electron.NativeImage>();
  return (name) => {
    let img = icons.get(name);
    if (!img) icons.set(name, (img = nativeImage.createFromPath(asset(`tray-${name}.png`))));
    return img;
  };
}

/** A render of the tray (icon, tooltip, menu) at most once per turn of the event loop. */
function trayRenderer(
  tray: () => Tray | null,
  state: TrayState,
  iconFor: (name: string) => Electron.NativeImage,
  menuOf: (items: TrayItem[]) => MenuItemConstructorOptions[],
  service: ApiService,
): () => void {
  let renderQueued = false;
  let trayWatch: (() => void) | null = null;
  return () => {
    if (renderQueued) return;
    renderQueued = true;
    setImmediate(() => {
      renderQueued = false;
      const t = tray();
      if (!t) return;
      const { icon, tooltip } = trayIcon(state);
      t.setImage(iconFor(icon));
      t.setToolTip(tooltip);
      const menu = Menu.buildFromTemplate(menuOf(buildTrayMenu(state)));
      // While the menu shows its URLs' answers, they are probed every few seconds.
      menu.on('menu-will-show', () => (trayWatch ??= service.health.watch()));
      menu.on('menu-will-close', () => {
        trayWatch?.();
        trayWatch = null;
      });
      t.setContextMenu(menu);
    });
  };
}

/** Keeps the tray's state current from the service's events, and turns notices into notifications. */
function followService(
  service: ApiService,
  state: TrayState,
  render: () => void,
  notify: (title: string, body: string) => void,
): void {
  service.onDidChangeContainers((rows) => {
    state.containers = rows;
    render();
  });
  service.onDidChangeOperation((op) => {
    state.operation = op;
    render();
  });
  service.onDidChangeBundles((b) => {
    state.bundles = b;
    render();
  });
  service.onDidChangeHealth((h) => {
    state.health = h;
    render();
  });
  service.onDidNotice((n) => notify(n.title, n.body));
}

function notifyOs(title: string, body: string, icon: string): void {
  if (Notification.isSupported()) new Notification({ title, body, icon }).show();
}

/** The helper offer's dialogs. */
function helperUi() {
  return {
    ask: async (explanation: string) => {
      const r = await dialog.showMessageBox({
        type: 'question',
        title: 'Install Dusty’s helper?',
        message:
          'Dusty can install a small privileged helper so it can edit your hosts file and start the Docker engine without asking each time.',
        detail: `${explanation}\n\nYou will be asked for your password once.`,
        buttons: ['Install Helper…', 'Not Now'],
        defaultId: 0,
        cancelId: 1,
      });
      return r.response === 0;
    },
    tell: (title: string, message: string) =>
      void dialog.showMessageBox({ type: 'info', title, message: title, detail: message }),
  };
}

/** The app's own events: a second launch or a dock click shows the dashboard; quitting disposes. */
function wireAppEvents(showDashboard: () => void, onQuit: () => void): void {
  app.on('second-instance', showDashboard);
  app.on('activate', showDashboard);
  app.on('before-quit', onQuit);
  // Keep running in the menubar with no window.
  app.on('window-all-closed', () => undefined);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
  });
}
