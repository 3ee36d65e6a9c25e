/**
 * The dashboard's API, independent of its transport: the Electron shell
 * serves it over IPC and `dusty ui` over a WebSocket. Each connected viewer is
 * an `ApiClient`; events that concern everyone (containers, bundles, the
 * running operation, notices) go to every client, stream chunks only to the
 * client that subscribed.
 */
import { randomUUID } from 'node:crypto';
import {
  callInputs,
  fail,
  isCallName,
  ok,
  type ApiError,
  type BundleInfo,
  type CallName,
  type CallOutput,
  type ContainerRow,
  type EventMessage,
  type EventName,
  type EventPayloads,
  type HealthState,
  type HttpsInfo,
  type Notice,
  type OperationKind,
  type OperationState,
  type ParsedInput,
  type RepoRow,
  type Result,
  type ScriptInfo,
  type SettingsInfo,
} from '../../src-shared/api/contract.js';
import { CONFIG_DESCRIPTIONS } from '../../src-shared/config.js';
import { explainEngineError } from '../engine/docker/client.js';
import { projectName } from '../engine/docker/compose-runner.js';
import { DustyError } from '../engine/errors.js';
import {
  OperationCancelled,
  watchOperations,
  type FrontDoor,
  type OpProgress,
} from '../engine/ops-lock/index.js';
import type { UpEvent } from '../engine/runtime/up.js';
import type { ContainerPlan } from '../engine/compiler/index.js';
import { ContainerWatcher } from './container-watcher.js';
import { manualTrustCommand } from '../engine/tls/router-tls.js';
import { HealthMonitor } from './health-monitor.js';
import { forDoor, type Dusty } from './index.js';
import { followLogs, type LogFollower } from './log-stream.js';
import { containerRows, noticeForEvent, toApiError } from './rows.js';
import { TerminalSession, type TerminalSink } from './terminals.js';

/** One viewer of the API: a WebSocket connection or an Electron window. */
export interface ApiClient {
  send(message: EventMessage): void;
  /** Bytes queued towards the viewer; log batches wait while it is high. */
  backlog(): number;
}

export interface ApiServiceDeps {
  dusty: Dusty;
  shell: 'electron' | 'web';
}

type Handlers = {
  [C in CallName]: (input: ParsedInput<C>, client: ApiClient) => Promise<CallOutput<C>>;
};

/** Queued bytes beyond which a client is congested and log batches wait (and get capped). */
const CONGESTED_BYTES = 4 * 1024 * 1024;
const OP_LINES = 200;
/**
 * Most log lines in one message. Every WebSocket message leaves garbage in
 * Blink's own (Oilpan) heap that is finalized in one main-thread task at the
 * next full GC, so a flood goes out in fewer, larger messages (one batch every
 * 50 ms) rather than many small ones.
 */
const MESSAGE_LINES = 2000;

export class ApiService {
  private readonly clients = new Set<ApiClient>();
  private readonly logs = new Map<string, { owner: ApiClient; follower: LogFollower }>();
  private readonly terminals = new Map<string, TerminalSession>();
  private readonly terminalOwners = new Map<string, ApiClient>();
  private readonly watcher: ContainerWatcher;
  /** What each URL answers and the overall state. */
  readonly health: HealthMonitor;
  private address: string | undefined;
  private readonly expectedStops = new Map<string, number>();
  private readonly listeners = {
    containers: new Set<(rows: ContainerRow[]) => void>(),
    operation: new Set<(op: OperationState) => void>(),
    bundles: new Set<(bundles: BundleInfo[]) => void>(),
    notice: new Set<(n: Notice) => void>(),
    health: new Set<(h: HealthState) => void>(),
  };
  private plan: ContainerPlan[] = [];
  private scripts: Record<string, ScriptInfo[]> = {};
  private rowsJson = '';
  private operation: OperationState | null = null;
  /** The last operation this process ran (the shown one may be another process's). */
  private ownOperation: OperationState | null = null;
  /** The use cases, run for this front door (dashboard or menubar). */
  private readonly dusty: Dusty;
  private stopWatchingOps: (() => void) | undefined;
  private readonly externalIds = new Map<string, number>();
  private opSeq = 0;
  private opTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** The last container list sent, for the tray and new clients. */
  rows: ContainerRow[] = [];

  constructor(private readonly deps: ApiServiceDeps) {
    this.dusty = forDoor(deps.dusty, { name: this.door });
    this.watcher = new ContainerWatcher({
      docker: this.dusty.ctx.docker,
      onChange: () => this.publishRows(),
      onEvent: (ev) => {
        this.health.engineEvent(ev);
        const n = noticeForEvent(ev, (svc) => this.isExpectedStop(svc));
        if (n) this.notify(n);
      },
    });
    this.health = new HealthMonitor({
      docker: this.dusty.ctx.docker,
      address: () => this.address,
      rows: () => this.rows,
      operation: () => this.operation,
      expectedStop: (name) => (this.expectedStops.get(name) ?? 0) > Date.now(),
      onChange: (h) => {
        this.broadcast('health:changed', h);
        for (const fn of this.listeners.health) fn(h);
      },
      notify: (n) => this.notify(n),
    });
  }

  /** Reads the plan and starts following engine events. */
  async start(): Promise<void> {
    await this.refreshPlan();
    await this.watcher.start();
    await this.health.start();
    // Operations started by another process (a terminal, the other front door) show here too.
    this.stopWatchingOps = watchOperations(this.dusty.ctx.lock, (p) => this.onExternalOperation(p));
  }

  /**
   * Starts, waiting at most `waitMs`: a slow or unreachable engine (a remote
   * host timing out over ssh) must not keep a front door from opening. A
   * failure within the wait fails as `start` does; a later one becomes a
   * notice to every viewer.
   */
  async startWithin(waitMs: number): Promise<void> {
    const started = this.start();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => (timer = setTimeout(resolve, waitMs, false)));
    try {
      const inTime = await Promise.race([started.then(() => true), waited]);
      if (!inTime)
        started.catch((e: unknown) =>
          this.notify({
            level: 'error',
            title: 'Dusty cannot reach the engine',
            body: this.explain(e).message,
            at: Date.now(),
          }),
        );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every stream and stops following engine events. */
  dispose(): void {
    this.stopWatchingOps?.();
    this.watcher.stop();
    this.health.dispose();
    for (const { follower } of this.logs.values()) follower.close();
    for (const t of [...this.terminals.values()]) t.close();
    this.logs.clear();
    this.clients.clear();
  }

  /** A viewer arrived; returns the function to call when it leaves. */
  connect(client: ApiClient): () => void {
    this.clients.add(client);
    const unwatch = this.health.watch();
    return () => {
      unwatch();
      this.clients.delete(client);
      for (const [id, s] of this.logs)
        if (s.owner === client) {
          s.follower.close();
          this.logs.delete(id);
        }
      for (const [id, owner] of this.terminalOwners)
        if (owner === client) {
          this.terminals.get(id)?.detach();
          this.terminalOwners.delete(id);
        }
    };
  }

  onDidChangeContainers(fn: (rows: ContainerRow[]) => void): () => void {
    return this.listen(this.listeners.containers, fn);
  }
  onDidChangeOperation(fn: (op: OperationState) => void): () => void {
    return this.listen(this.listeners.operation, fn);
  }
  onDidChangeBundles(fn: (bundles: BundleInfo[]) => void): () => void {
    return this.listen(this.listeners.bundles, fn);
  }
  onDidNotice(fn: (n: Notice) => void): () => void {
    return this.listen(this.listeners.notice, fn);
  }
  onDidChangeHealth(fn: (h: HealthState) => void): () => void {
    return this.listen(this.listeners.health, fn);
  }

  get currentOperation(): OperationState | null {
    return this.operation;
  }

  /** Validates the channel and input, runs the call, and returns the outcome as data. */
  async call(client: ApiClient, channel: unknown, input: unknown): Promise<Result<unknown>> {
    if (!isCallName(channel))
      return fail('unknown-call', `there is no call named ${JSON.stringify(channel)}`);
    const parsed = callInputs[channel].safeParse(input ?? {});
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return fail(
        'invalid-input',
        `${channel}: ${i?.path.join('.') || 'input'}: ${i?.message ?? 'invalid'}`,
      );
    }
    try {
      const handler = this.handlers[channel] as (i: unknown, c: ApiClient) => Promise<unknown>;
      return ok(await handler(parsed.data, client));
    } catch (e) {
      return { ok: false, error: this.explain(e) };
    }
  }

  /** The bundles with what each would start. */
  async bundles(): Promise<BundleInfo[]> {
    // The dashboard shows what each bundle brings, through `depends`.
    return (await this.dusty.bundles.list()).map((b) => ({
      name: b.name,
      description: b.description,
      active: b.active,
      ...b.closure,
      file: b.file,
    }));
  }

  /** Switches a bundle on or off and tells every viewer. */
  async setBundle(name: string, active: boolean): Promise<BundleInfo[]> {
    await this.dusty.bundles.set([name], active);
    const list = await this.bundles();
    this.broadcast('bundles:changed', list);
    for (const fn of this.listeners.bundles) fn(list);
    await this.refreshPlan();
    return list;
  }

  /** Starts `up` in the background. */
  startUp(opts: { pull?: boolean | undefined; recreate?: boolean | undefined } = {}): {
    operation: number;
  } {
    return this.runOperation('up', async (op) => {
      await this.refreshPlan();
      op.containers = this.plan.map((p) => ({ name: p.name, state: 'waiting' }));
      const result = await this.dusty.stack.up(
        {
          ...(opts.pull !== undefined ? { pull: opts.pull } : {}),
          ...(opts.recreate ? { recreate: true } : {}),
        },
        (e) => this.onUpEvent(op, e),
        this.opHooks(op),
      );
      op.urls = result.urls;
      op.timeline = result.timeline;
      this.health.setChecks(result.checks);
      const n = result.compiled.output.containers.length;
      return `${n} container${n === 1 ? '' : 's'} running`;
    });
  }

  /** Stops everything (or the named containers) in the background. */
  startStop(names: string[] = []): { operation: number } {
    return this.runOperation('stop', async (op) => {
      const targets = names.length
        ? names
        : this.rows.filter((r) => r.state === 'running').map((r) => r.name);
      op.containers = targets.map((name) => ({ name, state: 'stopping' }));
      op.step = 'stopping containers';
      this.scheduleOpEmit(op);
      const done = await this.dusty.stack.stop(names, false, this.opHooks(op));
      op.containers = done.map((name) => ({ name, state: 'exited' }));
      return done.length ? `stopped ${done.join(', ')}` : 'nothing was running';
    });
  }

  /** The engine the dashboard's Docker client talks to, as the header and the tray show it. */
  engine() {
    return this.dusty.engine.describe();
  }
  /** Starts the engine (its app, VM or service) when it is stopped; what it is afterwards. */
  startEngine() {
    return this.dusty.engine.start();
  }

  // ------------------------------------------------------------ handlers

  private readonly handlers: Handlers = {
    'app:info': async () => ({
      version: this.dusty.ctx.version,
      project: projectName(),
      dustyHome: this.dusty.ctx.store.home,
      shell: this.deps.shell,
    }),
    'engine:get': () => this.engine(),
    'engine:start': () => this.startEngine(),
    'specs:validate': async () => {
      const specsPath = await this.dusty.specs.specsPath();
      const r = await this.dusty.specs.validate();
      return {
        ok: r.ok,
        specsPath,
        problems: r.problems,
        counts: {
          apps: Object.keys(r.specs.apps).length,
          services: Object.keys(r.specs.services).length,
          libs: Object.keys(r.specs.libs).length,
          bundles: Object.keys(r.specs.bundles).length,
        },
      };
    },
    'bundles:list': () => this.bundles(),
    'bundles:activate': ({ name }) => this.setBundle(name, true),
    'bundles:deactivate': ({ name }) => this.setBundle(name, false),
    'stack:up': async (opts) => this.startUp(opts),
    'stack:stop': async ({ names }) => this.startStop(names),
    'operation:get': async () => this.operation,
    'containers:list': async () => {
      await this.watcher.refresh();
      return this.rows;
    },
    'health:get': async () => this.health.state,
    'https:get': () => this.httpsInfo(),
    'https:trust': async () => {
      const outcome = await this.dusty.https.trust();
      this.broadcast('https:changed', await this.httpsInfo());
      return outcome;
    },
    'containers:restart': async ({ name }) => {
      this.expectStop(name);
      await this.dusty.stack.restart([name]);
      return null;
    },
    'containers:stop': async ({ name }) => {
      this.expectStop(name);
      await this.dusty.stack.stop([name], false, { cancelRunning: false });
      return null;
    },
    'logs:subscribe': async ({ names, tail }, client) => {
      const id = `logs-${++this.seq}`;
      const follower = await followLogs(this.dusty.ctx.docker, {
        names,
        tail,
        onLines: (lines, dropped) => {
          if (!this.logs.has(id)) return true;
          if (client.backlog() > CONGESTED_BYTES) return false;
          // A runaway batch still goes out in pieces: the page parses each in a short task.
          for (let i = 0; i < lines.length || i === 0; i += MESSAGE_LINES) {
            const slice = lines.length > MESSAGE_LINES ? lines.slice(i, i + MESSAGE_LINES) : lines;
            client.send({
              channel: 'logs:chunk',
              payload: dropped && i === 0 ? { id, lines: slice, dropped } : { id, lines: slice },
            });
          }
          return true;
        },
        onEnd: () => {
          if (!this.logs.delete(id)) return;
          client.send({ channel: 'stream:end', payload: { id } });
        },
      });
      this.logs.set(id, { owner: client, follower });
      return { id };
    },
    'terminal:open': async ({ name, cols, rows, script }, client) => {
      const { containers } = this.deps.dusty;
      const cmd = script
        ? await containers.scriptCommand(name, script.name, script.args)
        : undefined;
      const session = await containers.shell(name, { cols, rows }, cmd);
      const id = `term-${randomUUID()}`;
      const title = script ? `${name}: ${[script.name, ...script.args].join(' ')}` : name;
      // Output flows once the viewer attaches (and gets everything printed so far): no race, no duplicates.
      const t = new TerminalSession(id, title, session, null, (closed) => {
        this.terminals.delete(closed);
        this.terminalOwners.delete(closed);
      });
      this.terminals.set(id, t);
      this.terminalOwners.set(id, client);
      return { id, title };
    },
    'terminal:attach': async ({ id }, client) => {
      const t = this.terminal(id);
      this.terminalOwners.set(id, client);
      return { replay: t.attach(this.terminalSink(client)) };
    },
    'terminal:input': async ({ id, data }) => {
      this.terminal(id).input(data);
      return null;
    },
    'terminal:resize': async ({ id, cols, rows }) => {
      await this.terminal(id).resize(cols, rows);
      return null;
    },
    'stream:unsubscribe': async ({ id }) => {
      const l = this.logs.get(id);
      if (l) {
        this.logs.delete(id);
        l.follower.close();
      }
      this.terminals.get(id)?.close();
      return null;
    },
    'repos:list': () => this.repos(),
    'repos:override': async ({ repo, path }) => {
      await this.dusty.repos.override(repo, path);
      return this.repos();
    },
    'repos:manage': async ({ repo }) => {
      await this.dusty.repos.manage(repo);
      return this.repos();
    },
    'config:get': () => this.settings(),
    'config:set': async ({ key, value }) => {
      await this.dusty.config.set(key, value);
      if (key === 'https')
        void this.httpsInfo().then(
          (h) => this.broadcast('https:changed', h),
          () => undefined,
        );
      await this.refreshPlan();
      void this.bundles().then(
        (list) => this.broadcast('bundles:changed', list),
        () => undefined,
      );
      return this.settings();
    },
  };

  // ------------------------------------------------------------ internals

  private async httpsInfo(): Promise<HttpsInfo> {
    const s = await this.dusty.https.status();
    return {
      enabled: s.enabled,
      subject: s.ca?.subject ?? null,
      permitted: s.ca?.permitted ?? [],
      trusted: s.trusted,
      outside: s.outside,
      trustCommand: manualTrustCommand(s.caFile),
    };
  }

  private listen<T>(set: Set<T>, fn: T): () => void {
    set.add(fn);
    return () => set.delete(fn);
  }

  private broadcast<E extends EventName>(channel: E, payload: EventPayloads[E]) {
    const msg = { channel, payload } as EventMessage;
    for (const c of this.clients) c.send(msg);
  }

  private notify(n: Notice) {
    this.broadcast('notices:new', n);
    for (const fn of this.listeners.notice) fn(n);
  }

  private explain(e: unknown): ApiError {
    return toApiError(e instanceof DustyError ? e : explainEngineError(e));
  }

  private expectStop(name: string) {
    this.expectedStops.set(name, Date.now() + 30_000);
  }

  private isExpectedStop(service: string): boolean {
    if (this.operation?.status === 'running') return true;
    return (this.expectedStops.get(service) ?? 0) > Date.now();
  }

  /** Recompiles the active bundles (quietly: invalid specs keep the last plan). */
  private async refreshPlan(): Promise<void> {
    try {
      const { output, validation, platform } = await this.dusty.specs.compile();
      this.plan = output.containers;
      this.address = platform.engineAddress;
      this.scripts = Object.fromEntries(
        Object.values(validation.specs.apps).map((a) => [
          a.name,
          a.spec.scripts.map((s) => ({ name: s.name, description: s.description })),
        ]),
      );
    } catch {
      // The Bundles and Settings views show why; the containers that exist still show.
    }
    this.publishRows();
  }

  private publishRows() {
    const rows = containerRows(this.plan, this.scripts, this.watcher.current);
    const json = JSON.stringify(rows);
    if (json === this.rowsJson) return;
    this.rowsJson = json;
    this.rows = rows;
    this.broadcast('containers:changed', rows);
    for (const fn of this.listeners.containers) fn(rows);
    this.health.changed();
  }

  /** How this front door shows an operation waiting for another: as its step. */
  private opHooks(op: OperationState) {
    return {
      onWait: (message: string) => {
        op.step = message;
        this.scheduleOpEmit(op);
      },
    };
  }

  private get door(): FrontDoor {
    return this.deps.shell === 'electron' ? 'menubar' : 'dashboard';
  }

  private runOperation(
    kind: OperationKind,
    work: (op: OperationState) => Promise<string>,
  ): { operation: number } {
    const own = this.ownOperation;
    // `stop` may overtake this process's own `up`: it cancels it at its next step.
    if (own?.status === 'running' && !(kind === 'stop' && own.kind !== 'stop'))
      throw new DustyError('busy', `${own.kind} is still running; wait for it to finish`);
    const op: OperationState = {
      id: ++this.opSeq,
      kind,
      status: 'running',
      startedAt: Date.now(),
      step: 'starting',
      lines: [],
      warnings: [],
      containers: [],
      urls: [],
      door: this.door,
      pid: process.pid,
    };
    this.operation = op;
    this.ownOperation = op;
    this.emitOp(op);
    void (async () => {
      try {
        // The use case takes the operation lock; this only shows it.
        const summary = await work(op);
        op.status = 'succeeded';
        op.step = summary;
        this.notify({ level: 'info', title: `${kind} finished`, body: summary, at: Date.now() });
      } catch (e) {
        op.status = 'failed';
        op.error = this.explain(e);
        op.step = e instanceof OperationCancelled ? `${kind} cancelled` : `${kind} failed`;
        this.notify({
          level: e instanceof OperationCancelled ? 'info' : 'error',
          title: op.step,
          body: op.error.message.split('\n')[0] ?? '',
          at: Date.now(),
        });
      }
      op.finishedAt = Date.now();
      // An `up` overtaken by a `stop` ends quietly: the `stop` is what viewers follow now.
      if (this.operation === op) this.emitOp(op);
      await this.refreshPlan();
      await this.watcher.refresh();
    })();
    return { operation: op.id };
  }

  /** Another process's operation, shown as this one's while this process runs none. */
  private onExternalOperation(p: OpProgress) {
    if (this.ownOperation?.status === 'running') return;
    const key = `${p.pid}/${p.startedAt}`;
    if (!this.externalIds.has(key)) this.externalIds.set(key, ++this.opSeq);
    const op: OperationState = {
      id: this.externalIds.get(key)!,
      kind: p.op,
      status:
        p.status === 'running' ? 'running' : p.status === 'succeeded' ? 'succeeded' : 'failed',
      startedAt: p.startedAt,
      step: p.step,
      lines: p.lines,
      warnings: p.warnings,
      containers: p.containers,
      urls: p.urls,
      door: p.door,
      pid: p.pid,
      ...(p.finishedAt ? { finishedAt: p.finishedAt } : {}),
      ...(p.error
        ? { error: { code: p.status === 'cancelled' ? 'cancelled' : 'failed', message: p.error } }
        : {}),
    };
    this.operation = op;
    this.emitOp(op);
    if (op.status !== 'running')
      void this.refreshPlan().then(
        () => this.watcher.refresh(),
        () => undefined,
      );
  }

  private emitOp(op: OperationState) {
    if (this.opTimer) clearTimeout(this.opTimer);
    this.opTimer = null;
    const snapshot = structuredClone(op);
    this.broadcast('operation:changed', snapshot);
    for (const fn of this.listeners.operation) fn(snapshot);
    this.health.changed();
  }

  private scheduleOpEmit(op: OperationState) {
    this.opTimer ??= setTimeout(() => this.emitOp(op), 50);
  }

  private onUpEvent(op: OperationState, e: UpEvent) {
    const line = (s: string) => {
      op.lines.push(s);
      if (op.lines.length > OP_LINES) op.lines.splice(0, op.lines.length - OP_LINES);
    };
    const setContainer = (name: string, state: string, health?: string) => {
      const c = op.containers.find((x) => x.name === name);
      if (c) {
        c.state = state;
        c.health = health;
      } else op.containers.push({ name, state, health });
    };
    switch (e.type) {
      case 'step':
        op.step = e.message;
        line(`» ${e.message}`);
        break;
      case 'warning':
        op.warnings.push(e.message);
        break;
      case 'repo':
        line(
          `${e.event.action} ${e.event.repo}: ${e.event.status}${e.event.message ? ` (${e.event.message})` : ''}`,
        );
        break;
      case 'pull':
        line(`image ${e.image}: ${e.status}`);
        break;
      case 'compose': {
        line(e.line);
        const m = composeProgress(e.line);
        if (m) setContainer(m.name, m.state);
        break;
      }
      case 'container':
        setContainer(e.name, e.state, e.health);
        break;
      case 'timeline':
        op.timeline = e.timeline;
        break;
    }
    this.scheduleOpEmit(op);
  }

  private terminal(id: string): TerminalSession {
    const t = this.terminals.get(id);
    if (!t) throw new DustyError('no-session', 'this terminal session has ended; open a new one');
    return t;
  }

  private terminalSink(client: ApiClient): TerminalSink {
    return {
      data: (id, data) => client.send({ channel: 'terminal:data', payload: { id, data } }),
      end: (id, exitCode) => client.send({ channel: 'stream:end', payload: { id, exitCode } }),
    };
  }

  private async repos(): Promise<RepoRow[]> {
    return (await this.dusty.repos.listWithSync()).map((r) => ({
      name: r.name,
      mode: r.mode,
      path: r.path,
      usedBy: r.usedBy,
      ...(r.sync
        ? { sync: { state: r.sync.state, remote: r.sync.remote, reason: r.sync.reason } }
        : {}),
    }));
  }

  private async settings(): Promise<SettingsInfo> {
    return { config: await this.dusty.config.list(), descriptions: CONFIG_DESCRIPTIONS };
  }
}

/** Per-container progress from a Compose output line (v1 `Creating x_web_1 ... done`, v2 `Container x-web-1  Started`). */
export function composeProgress(
  line: string,
  project = projectName(),
): { name: string; state: string } | null {
  const v1 = /^(Creating|Recreating|Starting|Stopping|Removing)\s+(\S+)\s+\.\.\.\s*(\w*)/.exec(
    line.trim(),
  );
  const v2 = /^Container\s+(\S+)\s+(\w+)/.exec(line.trim());
  let container: string;
  let state: string;
  if (v1) {
    container = v1[2]!;
    const verb = v1[1]!.toLowerCase();
    state =
      v1[3] === 'done'
        ? {
            creating: 'created',
            recreating: 'created',
            starting: 'started',
            stopping: 'stopped',
            removing: 'removed',
          }[verb]!
        : verb;
  } else if (v2) {
    container = v2[1]!;
    state = v2[2]!.toLowerCase();
  } else return null;
  const prefix = [`${project}_`, `${project}-`].find((p) => container.startsWith(p));
  if (!prefix) return null;
  return { name: container.slice(prefix.length).replace(/[_-]\d+$/, ''), state };
}
