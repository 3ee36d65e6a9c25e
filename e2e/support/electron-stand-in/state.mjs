/**
 * What the stand-in electron module recorded, and the control channel a test
 * drives the app through (Node's IPC of a forked process): click a tray menu
 * item, invoke an IPC handler as a page would, emit an app event, read a
 * snapshot. Answers to dialogs come from DUSTY_STAND_IN_DIALOG_ANSWERS (a JSON
 * list of button indexes, used in order) or from the `answer` command.
 */
import { basename } from 'node:path';
import process from 'node:process';

export const standIn = {
  /** ipcMain.handle registrations by channel. */
  handlers: new Map(),
  /** app.on listeners by event. */
  appListeners: new Map(),
  tray: null,
  windows: [],
  dialogs: [],
  dialogAnswers: JSON.parse(process.env.DUSTY_STAND_IN_DIALOG_ANSWERS || '[]'),
  notifications: [],
  opened: [],
  sudo: [],
  /** Messages pushed to fake pages, by web contents id. */
  sent: new Map(),
  senders: new Map(),
  quitting: false,
};

/** A menu template as data: labels, kinds, checks and whether each can be clicked. */
function describeMenu(template) {
  return (template ?? []).map((i) => ({
    type: i.type ?? 'normal',
    label: i.label,
    sublabel: i.sublabel,
    checked: i.checked,
    enabled: i.enabled ?? true,
    clickable: typeof i.click === 'function',
    ...(i.submenu ? { submenu: describeMenu(i.submenu) } : {}),
  }));
}

function findItem(template, label) {
  for (const i of template ?? []) {
    if (i.label === label) return i;
    const inner = findItem(i.submenu, label);
    if (inner) return inner;
  }
  return undefined;
}

/** A fake page's web contents: what main.ts uses to send events and hear it close. */
export function senderFor(id) {
  let wc = standIn.senders.get(id);
  if (!wc) {
    const listeners = [];
    wc = {
      id,
      destroyed: false,
      isDestroyed: () => wc.destroyed,
      send: (channel, message) => {
        if (!standIn.sent.has(id)) standIn.sent.set(id, []);
        standIn.sent.get(id).push({ channel, message });
      },
      once: (event, fn) => listeners.push({ event, fn }),
      destroy: () => {
        wc.destroyed = true;
        for (const l of listeners.filter((l) => l.event === 'destroyed')) l.fn();
      },
    };
    standIn.senders.set(id, wc);
  }
  return wc;
}

function snapshot() {
  const t = standIn.tray;
  return {
    tray: t && {
      image: t.image ? basename(t.image.path) : null,
      tooltip: t.tooltip,
      menu: describeMenu(t.menu?.template),
      destroyed: t.destroyed,
    },
    windows: standIn.windows.map((w) => w.describe()),
    dialogs: standIn.dialogs,
    notifications: standIn.notifications,
    opened: standIn.opened,
    sudo: standIn.sudo,
    handlers: [...standIn.handlers.keys()],
    appEvents: [...standIn.appListeners.keys()],
    sent: Object.fromEntries([...standIn.sent].map(([id, list]) => [id, list])),
  };
}

export function emitApp(event, ...args) {
  for (const fn of standIn.appListeners.get(event) ?? []) fn(...args);
}

const COMMANDS = {
  snapshot: () => snapshot(),
  click: ({ label }) => {
    const item = findItem(standIn.tray?.menu?.template, label);
    if (!item) throw new Error(`no tray menu item labelled ${JSON.stringify(label)}`);
    if (item.enabled === false) throw new Error(`the tray menu item ${label} is disabled`);
    item.click?.({}, undefined, {});
    return true;
  },
  invoke: async ({ channel, args, senderUrl, senderId }) => {
    const handler = standIn.handlers.get(channel);
    if (!handler) throw new Error(`no ipcMain handler for ${channel}`);
    const sender = senderFor(senderId ?? 1);
    return handler({ sender, senderFrame: { url: senderUrl } }, ...args);
  },
  closePage: ({ senderId }) => {
    senderFor(senderId).destroy();
    return true;
  },
  answer: ({ answers }) => {
    standIn.dialogAnswers.push(...answers);
    return true;
  },
  emitApp: ({ event }) => {
    emitApp(event, { preventDefault() {} });
    return true;
  },
  window: ({ index, action, url }) => standIn.windows[index].act(action, url),
};

process.on('message', (m) => {
  const command = COMMANDS[m?.op];
  Promise.resolve()
    .then(() => {
      if (!command) throw new Error(`unknown stand-in command ${m?.op}`);
      return command(m);
    })
    .then(
      (value) => process.send({ id: m.id, ok: true, value }),
      (e) => process.send({ id: m.id, ok: false, error: String(e?.message ?? e) }),
    );
});
