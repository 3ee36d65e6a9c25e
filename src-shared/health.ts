/**
 * Health at a glance: what each URL answered, and one overall state for the
 * tray icon, the dashboard's header and `dusty status`, decided by one pure
 * function so the three never disagree.
 */
import { containerPhase, phaseExists, phaseRuns, type ContainerPhase } from './container-phase.js';

/** What one URL answered when it was last probed through the router. */
export interface UrlCheck {
  url: string;
  /** The app whose URL it is. */
  app: string;
  /** True when the app behind the router answered (an HTTP status below 500, or a TCP connection that stayed open). */
  ok: boolean;
  /** The HTTP status, or null for a stream (TCP) URL or no answer at all. */
  status: number | null;
  /** Milliseconds the answer took. */
  ms: number;
  /** Why it did not answer, in words, when `ok` is false. */
  error?: string | undefined;
  /** When it was probed (epoch ms). */
  at: number;
}

/** green: everything runs and answers; amber: something is starting; red: something broke; grey: nothing runs. */
export type HealthLevel = 'green' | 'amber' | 'red' | 'grey';

/**
 * What the level means in one word: amber is `starting` (or an operation in
 * progress), `checking` (URLs not probed yet) or `partial` (some containers
 * stopped or never created, none starting, nothing broken).
 */
export type HealthWord = 'healthy' | 'starting' | 'checking' | 'partial' | 'broken' | 'stopped';

export interface OverallHealth {
  level: HealthLevel;
  word: HealthWord;
  /** One line for the header or the tray's tooltip, e.g. `web stopped unexpectedly`. */
  summary: string;
  /** The containers and URLs that broke, by name or URL (red only). */
  broken: string[];
}

/** The parts of a container row the classifier reads. */
export interface HealthContainer {
  name: string;
  kind: string;
  /** `running`, `exited`, `created`, `restarting`, `paused`, `dead`, or `not created`. */
  state: string;
  health?: string | null | undefined;
}

export interface HealthInput {
  containers: readonly HealthContainer[];
  /** The latest answer of each URL (URLs never probed yet are missing). */
  urls: readonly UrlCheck[];
  /** Every URL the running apps should answer on, probed or not. */
  expectedUrls?: readonly string[];
  /** An operation (`up`, `stop`, `restart`) in progress. */
  operation?: { kind: string; status: string } | null | undefined;
  /** Containers the person stopped on purpose (not a failure). */
  stoppedOnPurpose?: ReadonlySet<string> | undefined;
}

/** Each container's phase, from the one classifier the dashboard, the tray and `status` share. */
const phaseOf = (c: HealthContainer): ContainerPhase =>
  containerPhase({ state: c.state, health: c.health });
const DOWN = new Set<ContainerPhase>(['exited', 'dead']);
const STARTING = new Set<ContainerPhase>(['creating', 'created', 'starting', 'restarting']);

const list = (names: string[]) =>
  names.length <= 1
    ? (names[0] ?? '')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;

/** The one overall state: red beats amber beats green; grey when nothing runs. */
export function classifyHealth(input: HealthInput): OverallHealth {
  const purpose = input.stoppedOnPurpose ?? new Set<string>();
  // Libs have no container of their own.
  const cs = input.containers.filter((c) => c.kind !== 'lib');
  const exists = cs.filter((c) => phaseExists(phaseOf(c)));
  const running = cs.filter((c) => phaseRuns(phaseOf(c)));
  const op = input.operation?.status === 'running' ? input.operation : null;

  const died = exists.filter((c) => DOWN.has(phaseOf(c)) && !purpose.has(c.name));
  const unhealthy = running.filter((c) => phaseOf(c) === 'unhealthy');
  const runningApps = new Set(running.map((c) => c.name));
  const failing = input.urls.filter((u) => !u.ok && runningApps.has(u.app));
  const broken = [
    ...died.map((c) => c.name),
    ...unhealthy.map((c) => c.name),
    ...failing.map((u) => u.url),
  ];
  if (broken.length && !op) {
    const parts = [
      died.length ? `${list(died.map((c) => c.name))} stopped unexpectedly` : '',
      unhealthy.length
        ? `${list(unhealthy.map((c) => c.name))} ${unhealthy.length === 1 ? 'is' : 'are'} unhealthy`
        : '',
      failing.length
        ? `${list(failing.map((u) => u.url))} ${failing.length === 1 ? 'does' : 'do'} not answer`
        : '',
    ].filter(Boolean);
    return { level: 'red', word: 'broken', summary: parts.join('; '), broken };
  }
  if (op)
    return { level: 'amber', word: 'starting', summary: `${op.kind} in progress`, broken: [] };
  const starting = cs.filter((c) => STARTING.has(phaseOf(c)));
  if (starting.length)
    return {
      level: 'amber',
      word: 'starting',
      summary: `${list(starting.map((c) => c.name))} ${starting.length === 1 ? 'is' : 'are'} starting`,
      broken: [],
    };
  if (!running.length)
    return { level: 'grey', word: 'stopped', summary: 'nothing is running', broken: [] };
  const probed = new Set(input.urls.map((u) => u.url));
  const unprobed = (input.expectedUrls ?? []).filter((u) => !probed.has(u));
  if (unprobed.length)
    return { level: 'amber', word: 'checking', summary: `checking ${list(unprobed)}`, broken: [] };
  const notRunning = cs.filter((c) => !phaseRuns(phaseOf(c)));
  if (notRunning.length)
    return {
      level: 'amber',
      word: 'partial',
      summary: `${running.length} of ${cs.length} running; ${list(notRunning.map((c) => c.name))} ${notRunning.length === 1 ? 'is' : 'are'} ${notRunning.every((c) => !phaseExists(phaseOf(c))) ? 'not created' : 'stopped'}`,
      broken: [],
    };
  const n = running.length;
  const u = input.urls.length;
  return {
    level: 'green',
    word: 'healthy',
    summary: `${n} running${u ? `, ${u} URL${u === 1 ? '' : 's'} answering` : ''}`,
    broken: [],
  };
}

/** The whole health picture main pushes to viewers. */
export interface HealthState {
  overall: OverallHealth;
  urls: UrlCheck[];
}
