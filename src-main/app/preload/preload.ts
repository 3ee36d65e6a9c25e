/**
 * The preload: exposes the src-shared contract as `window.dusty` and nothing
 * else (never `ipcRenderer` itself). It runs sandboxed, where only CommonJS
 * `require('electron')` is available, hence the CommonJS folder.
 */
import type {
  CallName,
  DustyBridge,
  EventMessage,
  Result,
} from '../../../src-shared/api/contract.js';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');

// Kept in step with IPC_CALL and IPC_EVENT in the contract (a sandboxed preload cannot import it).
const CALL = 'dusty:call';
const EVENT = 'dusty:event';

const bridge: DustyBridge = {
  call: (channel: CallName, input: unknown) =>
    electron.ipcRenderer.invoke(CALL, channel, input) as Promise<Result<unknown>>,
  onEvent: (listener: (message: EventMessage) => void) => {
    const handler = (_e: unknown, message: EventMessage) => listener(message);
    electron.ipcRenderer.on(EVENT, handler);
    return () => {
      electron.ipcRenderer.removeListener(EVENT, handler);
    };
  },
};

electron.contextBridge.exposeInMainWorld('dusty', bridge);
