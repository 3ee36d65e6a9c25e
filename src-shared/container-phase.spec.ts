import { describe, expect, it } from 'vitest';
import {
  containerPhase,
  describePhase,
  phaseExists,
  phaseLabel,
  phaseRuns,
  phaseTone,
} from './container-phase.js';

describe('containerPhase', () => {
  it('names a missing container "not created" whatever word the caller had for it', () => {
    for (const state of [null, undefined, '', 'not created', 'missing', 'Removed']) {
      expect(containerPhase({ state })).toBe('not-created');
      expect(phaseLabel(containerPhase({ state }))).toBe('not created');
    }
  });

  it('gives a stopping container a stopping dot, never a starting one', () => {
    for (const state of ['stopping', 'Stopping', 'removing', 'Killing']) {
      const p = containerPhase({ state, operation: 'stop' });
      expect(p).toBe('stopping');
      expect(phaseTone(p)).toBe('stopping');
    }
  });

  it('reads the health of a running container', () => {
    expect(containerPhase({ state: 'running', health: 'healthy' })).toBe('running');
    expect(containerPhase({ state: 'running', health: null })).toBe('running');
    expect(containerPhase({ state: 'running', health: 'starting' })).toBe('starting');
    expect(containerPhase({ state: 'running', health: 'unhealthy' })).toBe('unhealthy');
    expect(phaseTone('unhealthy')).toBe('failed');
  });

  it('tells an exit Stop asked for from a crash', () => {
    expect(containerPhase({ state: 'exited' })).toBe('exited');
    expect(phaseTone(containerPhase({ state: 'exited' }))).toBe('failed');
    expect(containerPhase({ state: 'exited', operation: 'stop' })).toBe('stopped');
    expect(phaseTone(containerPhase({ state: 'exited', operation: 'stop' }))).toBe('stopped');
    expect(containerPhase({ state: 'exited', operation: 'up' })).toBe('exited');
  });

  it('reads Compose v1 and v2 progress words', () => {
    expect(containerPhase({ state: 'Creating', operation: 'up' })).toBe('creating');
    expect(containerPhase({ state: 'recreate', operation: 'up' })).toBe('creating');
    expect(containerPhase({ state: 'created', operation: 'up' })).toBe('created');
    expect(phaseRuns('created')).toBe(false);
    // Compose's "Started" comes before the app answers, which `up` still waits for.
    expect(containerPhase({ state: 'Started', operation: 'up' })).toBe('starting');
    expect(containerPhase({ state: 'started' })).toBe('running');
    expect(containerPhase({ state: 'Healthy', operation: 'up' })).toBe('running');
    expect(containerPhase({ state: 'waiting', operation: 'up' })).toBe('waiting');
  });

  it('keeps the engine states it has no Compose word for', () => {
    expect(containerPhase({ state: 'restarting' })).toBe('restarting');
    expect(containerPhase({ state: 'paused' })).toBe('paused');
    expect(containerPhase({ state: 'dead' })).toBe('dead');
    expect(phaseTone('restarting')).toBe('starting');
  });

  it('never calls a word it does not know running', () => {
    const p = containerPhase({ state: 'frobnicating' });
    expect(phaseRuns(p)).toBe(false);
    expect(phaseTone(p)).not.toBe('running');
  });

  it('says which phases have a container and which run', () => {
    expect(phaseExists('not-created')).toBe(false);
    expect(phaseExists('waiting')).toBe(false);
    expect(phaseExists('exited')).toBe(true);
    expect(phaseRuns('starting')).toBe(true);
    expect(phaseRuns('stopping')).toBe(false);
    expect(phaseRuns('exited')).toBe(false);
  });
});

describe('describePhase', () => {
  it('adds the healthcheck word only when it says more than the phase', () => {
    expect(describePhase({ state: 'running', health: 'healthy' })).toBe('running (healthy)');
    expect(describePhase({ state: 'running', health: 'unhealthy' })).toBe('unhealthy');
    expect(describePhase({ state: 'running', health: 'starting' })).toBe('starting');
    expect(describePhase({ state: 'running' })).toBe('running');
    expect(describePhase({ state: 'not created' })).toBe('not created');
    expect(describePhase({ state: 'exited', health: 'unhealthy' })).toBe('exited');
  });
});
