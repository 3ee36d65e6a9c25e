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
  let win: BrowserWindow | null = null;
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
  const refreshBundles = () =>
    service.bundles().then(
      (b: BundleInfo[]) => Object.assign(state, { bundles: b, bundlesError: undefined }),
      (e: Error) => Object.assign(state, { bundles: null, bundlesError: e.message }),
    );

  // IPC: one client per web contents, events pushed on one channel.
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
    // Only our own page may call.
    if (!event.senderFrame?.url.startsWith('file://'))
      return { ok: false, error: { code: 'forbidden', message: 'not the dashboard' } };
    return service.call(clientFor(event.sender), channel, input);
  });

  const showDashboard = () => {
    if (!win || win.isDestroyed()) {
      win = createDashboardWindow(renderer, preload, asset('icon.png'));
      win.on('close', (e) => {
        // Closing the window keeps Dusty in the menubar.
        if (!quitting) {
          e.preventDefault();
          win?.hide();
        }
      });
    } else {
      win.show();
      win.focus();
    }
  };

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
  const toMenu = (items: TrayItem[]): MenuItemConstructorOptions[] =>
    items.map((i) => ({
      ...(i.type ? { type: i.type } : {}),
      ...(i.label !== undefined ? { label: i.label } : {}),
      ...(i.sublabel ? { sublabel: i.sublabel } : {}),
      ...(i.toolTip ? { toolTip: i.toolTip } : {}),
      ...(i.checked !== undefined ? { checked: i.checked } : {}),
      ...(i.enabled !== undefined ? { enabled: i.enabled } : {}),
      ...(i.submenu ? { submenu: toMenu(i.submenu) } : {}),
      ...(i.action
        ? {
            click: () =>
              void act(i.action!).catch((e: Error) =>
                notify('Dusty', e.message.split('\n')[0] ?? e.message),
              ),
          }
        : {}),
    }));
  const icons = new Map<string, Electron.NativeImage>();
  const iconFor = (name: string) => {
    let img = icons.get(name);
    if (!img) icons.set(name, (img = nativeImage.createFromPath(asset(`tray-${name}.png`))));
    return img;
  };
  let renderQueued = false;
  let trayWatch: (() => void) | null = null;
  const render = () => {
    if (renderQueued) return;
    renderQueued = true;
    setImmediate(() => {
      renderQueued = false;
      if (!tray) return;
      const { icon, tooltip } = trayIcon(state);
      tray.setImage(iconFor(icon));
      tray.setToolTip(tooltip);
      const menu = Menu.buildFromTemplate(toMenu(buildTrayMenu(state)));
      // While the menu shows its URLs' answers, they are probed every few seconds.
      menu.on('menu-will-show', () => (trayWatch ??= service.health.watch()));
      menu.on('menu-will-close', () => {
        trayWatch?.();
        trayWatch = null;
      });
      tray.setContextMenu(menu);
    });
  };

  const notify = (title: string, body: string) => {
    if (Notification.isSupported())
      new Notification({ title, body, icon: asset('icon.png') }).show();
  };
  const helperUi = () => ({
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
  });

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

  // The engine's kind and whether it answers, for the menu's engine line and its Start item.
  const refreshEngine = () =>
    service.engine().then(
      (e) => {
        state.engine = e;
        render();
      },
      () => undefined,
    );
  void refreshEngine();

  tray = new Tray(iconFor('stopped'));
  tray.setToolTip('Dusty');
  if (process.platform !== 'darwin') tray.on('click', showDashboard);
  render();

  app.on('second-instance', showDashboard);
  app.on('activate', showDashboard);
  app.on('before-quit', () => {
    quitting = true;
    service.dispose();
  });
  // Keep running in the menubar with no window.
  app.on('window-all-closed', () => undefined);
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (ev) => ev.preventDefault());
  });

  await Promise.all([
    service.start().catch((e: Error) => notify('Dusty cannot reach Docker', e.message)),
    refreshBundles(),
  ]);
  render();
  state.helperInstalled = await offerHelperOnce(home, installer, helperUi()).catch(() => false);
  render();
  if (process.env.DUSTY_OPEN_DASHBOARD === '1' || process.argv.includes('--dashboard'))
    showDashboard();
}
