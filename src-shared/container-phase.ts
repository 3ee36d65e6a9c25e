/**
 * One vocabulary for where a container is in its life, decided by one pure
 * function, so the dashboard's containers view, the operation panel, the tray
 * and `dusty status` name the same container the same way (a missing one is
 * "not created" everywhere; a stopping one never shows a starting dot).
 */
import type { OperationKind } from './api/contract.js';

export type ContainerPhase =
  /** Planned by the active bundles; no container exists. */
  | 'not-created'
  /** An operation will get to it; nothing was done yet. */
  | 'waiting'
  | 'creating'
  /** Created, its process not started yet (during `up`, about to be; otherwise stuck). */
  | 'created'
  /** Its process runs, not yet answering its healthcheck (or `up` still waits for it). */
  | 'starting'
  | 'running'
  /** Running, with a failing healthcheck. */
  | 'unhealthy'
  | 'restarting'
  | 'paused'
  /** Being stopped or removed. */
  | 'stopping'
  /** Stopped by Dusty (a Stop), not a failure. */
  | 'stopped'
  /** Exited on its own: killed, crashed or finished. */
  | 'exited'
  | 'dead';

/** How a phase looks: the dot's colour and whether it counts as a problem. */
export type PhaseTone = 'running' | 'starting' | 'stopping' | 'stopped' | 'failed';

export interface PhaseInput {
  /**
   * The engine's state (`running`, `exited`, `created`, ...), a Compose
   * progress word (`Creating`, `Started`, `Stopping`, `Removed`, ...), or
   * `not created` / `waiting`; null when there is no container.
   */
  state: string | null | undefined;
  /** The engine's health: `healthy`, `unhealthy`, `starting`, or none. */
  health?: string | null | undefined;
  /** The Dusty operation this container is part of right now, if any. */
  operation?: OperationKind | null | undefined;
}

/** The words the engine and both Compose versions use, lower-cased, to a phase. */
const WORDS: Record<string, ContainerPhase> = {
  '': 'not-created',
  'not created': 'not-created',
  missing: 'not-created',
  removed: 'not-created',
  waiting: 'waiting',
  create: 'creating',
  creating: 'creating',
  recreate: 'creating',
  recreating: 'creating',
  recreated: 'created',
  created: 'created',
  starting: 'starting',
  start: 'starting',
  started: 'running',
  running: 'running',
  healthy: 'running',
  restarting: 'restarting',
  paused: 'paused',
  stopping: 'stopping',
  removing: 'stopping',
  killing: 'stopping',
  stopped: 'stopped',
  exited: 'exited',
  error: 'exited',
  dead: 'dead',
};

/** The one classifier: engine state + health + Dusty's operation → phase. */
export function containerPhase(input: PhaseInput): ContainerPhase {
  const word = (input.state ?? '').trim().toLowerCase();
  // A word no engine or Compose version used before is shown as not yet known, never as running.
  const base = WORDS[word] ?? 'waiting';
  const op = input.operation ?? null;
  if (base === 'running') {
    if (input.health === 'unhealthy') return 'unhealthy';
    if (input.health === 'starting') return 'starting';
    // Compose says "Started" before the app answers; `up` still waits for it.
    if (word === 'started' && op === 'up') return 'starting';
    return 'running';
  }
  // A container a Stop brought down is stopped as asked, not failed.
  if (base === 'exited' && op === 'stop') return 'stopped';
  return base;
}

const LOOK: Record<ContainerPhase, { label: string; tone: PhaseTone }> = {
  'not-created': { label: 'not created', tone: 'stopped' },
  waiting: { label: 'waiting', tone: 'stopped' },
  creating: { label: 'creating', tone: 'starting' },
  created: { label: 'created', tone: 'starting' },
  starting: { label: 'starting', tone: 'starting' },
  running: { label: 'running', tone: 'running' },
  unhealthy: { label: 'unhealthy', tone: 'failed' },
  restarting: { label: 'restarting', tone: 'starting' },
  paused: { label: 'paused', tone: 'stopped' },
  stopping: { label: 'stopping', tone: 'stopping' },
  stopped: { label: 'stopped', tone: 'stopped' },
  exited: { label: 'exited', tone: 'failed' },
  dead: { label: 'dead', tone: 'failed' },
};

/** The phase's words for a person: `not created`, `running`, ... */
export const phaseLabel = (p: ContainerPhase): string => LOOK[p].label;

/** The phase's colour: the dot class in the dashboard, the state in the tray. */
export const phaseTone = (p: ContainerPhase): PhaseTone => LOOK[p].tone;

/** True when the container's process runs (it can take a shell, be stopped, answer URLs). */
export const phaseRuns = (p: ContainerPhase): boolean =>
  p === 'running' || p === 'starting' || p === 'unhealthy';

/** True when a container exists for it (it has logs, it can be restarted). */
export const phaseExists = (p: ContainerPhase): boolean => p !== 'not-created' && p !== 'waiting';

/** One line for a person: the phase, with the healthcheck's word when it adds one (`running (healthy)`). */
export function describePhase(input: PhaseInput): string {
  const p = containerPhase(input);
  const health = input.health ?? '';
  const extra = health && health !== p && phaseRuns(p) ? ` (${health})` : '';
  return `${phaseLabel(p)}${extra}`;
}
