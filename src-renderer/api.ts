/**
 * The dashboard's side of the contract: the Electron preload's bridge when it
 * is there, otherwise a WebSocket to the `dusty ui` server (with the token
 * from the page's URL), reconnecting when it drops.
 */
import type {
  ApiError,
  CallInput,
  CallName,
  CallOutput,
  DustyApi,
  DustyBridge,
  EventMessage,
  EventName,
  EventPayloads,
  Result,
  WsCall,
  WsServerMessage,
} from '../src-shared/api/contract.js';

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'unauthorized';

export interface Api extends DustyApi {
  onConnection(fn: (s: ConnectionState) => void): () => void;
  readonly connection: ConnectionState;
}

type Listener = (payload: unknown) => void;

class Events {
  private readonly listeners = new Map<string, Set<Listener>>();
  on(channel: string, fn: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }
  emit(msg: EventMessage) {
    const set = this.listeners.get(msg.channel);
    if (set) for (const fn of set) fn(msg.payload);
  }
}

class BridgeApi implements Api {
  private readonly events = new Events();
  readonly connection: ConnectionState = 'open';
  constructor(private readonly bridge: DustyBridge) {
    bridge.onEvent((m) => this.events.emit(m));
  }
  call<C extends CallName>(channel: C, input: CallInput<C>): Promise<Result<CallOutput<C>>> {
    return this.bridge.call(channel, input) as Promise<Result<CallOutput<C>>>;
  }
  on<E extends EventName>(channel: E, fn: (p: EventPayloads[E]) => void): () => void {
    return this.events.on(channel, fn as Listener);
  }
  onConnection(fn: (s: ConnectionState) => void): () => void {
    fn('open');
    return () => {};
  }
}

class WsApi implements Api {
  private readonly events = new Events();
  private readonly pending = new Map<number, (r: Result<unknown>) => void>();
  private readonly queue: string[] = [];
  private readonly states = new Set<(s: ConnectionState) => void>();
  private ws: WebSocket | null = null;
  private seq = 0;
  private retry = 500;
  connection: ConnectionState = 'connecting';

  constructor(private readonly url: string) {
    this.open();
  }

  call<C extends CallName>(channel: C, input: CallInput<C>): Promise<Result<CallOutput<C>>> {
    const seq = ++this.seq;
    const msg: WsCall = { type: 'call', seq, channel, input };
    return new Promise((resolve) => {
      this.pending.set(seq, resolve as (r: Result<unknown>) => void);
      const text = JSON.stringify(msg);
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
      else this.queue.push(text);
    });
  }

  on<E extends EventName>(channel: E, fn: (p: EventPayloads[E]) => void): () => void {
    return this.events.on(channel, fn as Listener);
  }

  onConnection(fn: (s: ConnectionState) => void): () => void {
    this.states.add(fn);
    fn(this.connection);
    return () => this.states.delete(fn);
  }

  private setState(s: ConnectionState) {
    this.connection = s;
    for (const fn of this.states) fn(s);
  }

  private open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retry = 500;
      this.setState('open');
      for (const text of this.queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      const msg = JSON.parse(ev.data) as WsServerMessage;
      if (msg.type === 'result') {
        const resolve = this.pending.get(msg.seq);
        this.pending.delete(msg.seq);
        resolve?.(msg.result);
      } else this.events.emit(msg);
    };
    ws.onclose = () => {
      // Calls in flight will not be answered by this connection.
      for (const [seq, resolve] of this.pending) {
        resolve({
          ok: false,
          error: { code: 'disconnected', message: 'the connection to Dusty was lost; retrying' },
        });
        this.pending.delete(seq);
      }
      if (!opened && this.retry >= 4000) this.setState('unauthorized');
      else this.setState('closed');
      setTimeout(() => this.open(), this.retry);
      this.retry = Math.min(this.retry * 2, 5000);
    };
  }
}

declare global {
  interface Window {
    dusty?: DustyBridge;
  }
}

function createApi(): Api {
  if (window.dusty) return new BridgeApi(window.dusty);
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WsApi(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`);
}

export const api: Api = createApi();

/** Calls and unwraps: resolves with the value or rejects with the `ApiError` as an Error carrying it. */
export class CallError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

export async function call<C extends CallName>(
  channel: C,
  input: CallInput<C>,
): Promise<CallOutput<C>> {
  const r = await api.call(channel, input);
  if (!r.ok) throw new CallError(r.error);
  return r.value;
}
