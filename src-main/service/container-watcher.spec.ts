/**
 * The watcher pushes what an engine event says at once, without waiting for
 * the engine to list its containers again. The engine here is a stand-in (an
 * event stream and a listing this test controls), since the point is the
 * order of things: the real engine's timing is bench/status's.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerState } from '../engine/runtime/containers.js';
import { ContainerWatcher } from './container-watcher.js';

const info = (name: string, id: string, state: string) => ({
  Id: id,
  Names: [`/p_${name}_1`],
  Image: 'img',
  ImageID: 'sha256:1',
  State: state,
  Status: state === 'running' ? 'Up 2 minutes' : 'Exited (137) 1 second ago',
  Labels: { 'com.docker.compose.service': name },
  Ports: [],
});

/** A stand-in engine: one event stream; listings answer only when `answer` is called. */
function standInEngine() {
  const events = new PassThrough();
  const waiting: (() => void)[] = [];
  let listing = [info('beta', 'b1', 'running'), info('gamma', 'g1', 'running')];
  let listings = 0;
  const docker = {
    getEvents: async () => events,
    listContainers: () => {
      listings++;
      return new Promise((resolve) => waiting.push(() => resolve(listing)));
    },
  } as unknown as Docker;
  return {
    docker,
    send: (ev: object) => events.write(JSON.stringify(ev) + '\n'),
    setListing: (l: typeof listing) => (listing = l),
    /** Lets every pending listing answer. */
    answer: () => waiting.splice(0).forEach((fn) => fn()),
    get listings() {
      return listings;
    },
  };
}

const kill = (id: string, signal: string) => ({
  Type: 'container',
  Action: 'kill',
  Actor: { ID: id, Attributes: { signal } },
});
const die = (id: string) => ({
  Type: 'container',
  Action: 'die',
  Actor: { ID: id, Attributes: { exitCode: '137' } },
});
const tick = () => new Promise((r) => setImmediate(r));

let watcher: ContainerWatcher | undefined;
afterEach(() => watcher?.stop());

async function started() {
  const engine = standInEngine();
  const seen: Map<string, ContainerState>[] = [];
  watcher = new ContainerWatcher({ docker: engine.docker, onChange: (m) => seen.push(m) });
  const start = watcher.start();
  await tick();
  engine.answer();
  await start;
  return { engine, seen, watcher };
}

describe('container state from engine events, pushed at once (stand-in engine)', () => {
  it('shows a SIGKILLed container exited from its kill event, before any listing answers', async () => {
    const { engine, seen } = await started();
    expect(seen.at(-1)?.get('beta')?.state).toBe('running');
    const before = seen.length;
    const listingsBefore = engine.listings;
    engine.send(kill('b1', '9'));
    await tick();
    // The kill's own listing has started but not answered: the change is out already.
    expect(engine.listings).toBe(listingsBefore + 1);
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)?.get('beta')?.state).toBe('exited');
    expect(seen.at(-1)?.get('gamma')?.state).toBe('running');
    // The die that confirms it changes nothing more.
    engine.send(die('b1'));
    await tick();
    expect(seen.length).toBe(before + 1);
  });

  it('waits for die after a catchable signal, then shows it at once', async () => {
    const { engine, seen } = await started();
    const before = seen.length;
    engine.send(kill('g1', '15'));
    await tick();
    expect(seen.length).toBe(before);
    engine.send(die('g1'));
    await tick();
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)?.get('gamma')?.state).toBe('exited');
  });

  it('keeps an event’s word over a listing still saying running, then the listing’s', async () => {
    const { engine, seen } = await started();
    engine.send(die('b1'));
    await tick();
    // The engine lists it as running for a moment after its die.
    engine.answer();
    await tick();
    await tick();
    expect(seen.at(-1)?.get('beta')?.state).toBe('exited');
    engine.setListing([info('beta', 'b1', 'exited'), info('gamma', 'g1', 'running')]);
    engine.answer();
    await tick();
    expect(seen.at(-1)?.get('beta')?.state).toBe('exited');
  });

  it('ignores an event of a container it has not listed, until the listing has it', async () => {
    const { engine, seen } = await started();
    const before = seen.length;
    engine.send(die('zz'));
    await tick();
    expect(seen.length).toBe(before);
  });
});
