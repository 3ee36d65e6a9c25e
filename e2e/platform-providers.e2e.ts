/**
 * The VM providers against scripted stand-ins for `docker-machine` and
 * `colima` (shell scripts first on PATH that keep the VM's state in a file),
 * since no VM can run here; and the native provider against the real engine.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecRunner } from '../src-main/platform/command-runner.js';
import {
  createProvider,
  detectProviderName,
  nfsVolumeSpec,
  resolveProviderName,
} from '../src-main/platform/providers.js';

let dir: string;
let runner: ExecRunner;

/** Writes a stand-in command that logs its arguments and runs `body` with $STATE set. */
function standIn(name: string, body: string): void {
  const file = path.join(dir, 'bin', name);
  writeFileSync(
    file,
    `#!/bin/sh\nSTATE="${dir}/state"\necho "${name} $*" >> "${dir}/calls"\n${body}\n`,
  );
  chmodSync(file, 0o755);
}
const calls = () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
const setState = (s: string) => writeFileSync(path.join(dir, 'state'), s);
const state = () => readFileSync(path.join(dir, 'state'), 'utf8').trim();

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dusty-providers-'));
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'calls'), '');
  runner = new ExecRunner({
    ...process.env,
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const DOCKER_MACHINE = `
case "$1" in
  status)
    s=$(cat "$STATE")
    if [ "$s" = missing ]; then echo "Host does not exist: \\"$2\\"" >&2; exit 1; fi
    echo "$s" ;;
  create) [ "$3" = virtualbox ] || exit 3; echo Running > "$STATE"; echo created ;;
  start) echo Running > "$STATE" ;;
  stop) echo Stopped > "$STATE" ;;
  ip) [ "$(cat "$STATE")" = Running ] || { echo "Host is not running" >&2; exit 1; }; echo 192.168.99.100 ;;
  env)
    echo 'export DOCKER_TLS_VERIFY="1"'
    echo 'export DOCKER_HOST="tcp://192.168.99.100:2376"'
    echo 'export DOCKER_CERT_PATH="/home/me/.docker/machine/machines/dusty"'
    echo 'export DOCKER_MACHINE_NAME="dusty"'
    echo '# Run this command to configure your shell:'
    echo '# eval $(docker-machine env dusty --shell bash)' ;;
  *) exit 2 ;;
esac`;

const COLIMA = `
case "$1" in
  status)
    [ "$(cat "$STATE")" = Running ] || { echo 'colima is not running' >&2; exit 1; }
    echo '{"display_name":"colima","driver":"macOS Virtualization.Framework","arch":"aarch64","runtime":"docker","ip_address":"192.168.106.2","docker_socket":"unix:///Users/me/.colima/default/docker.sock"}' ;;
  start) echo Running > "$STATE" ;;
  stop) echo Stopped > "$STATE" ;;
  version) echo 'colima version 0.6.8' ;;
  *) exit 2 ;;
esac`;

describe('docker-machine provider (scripted docker-machine stand-in)', () => {
  beforeEach(() => standIn('docker-machine', DOCKER_MACHINE));

  it('creates the dusty VM with VirtualBox when it is missing', async () => {
    setState('missing');
    const provider = createProvider('docker-machine', { runner });
    await provider.ensureEngine();
    expect(calls()).toEqual([
      'docker-machine status dusty',
      'docker-machine create --driver virtualbox dusty',
    ]);
    expect(state()).toBe('Running');
  });

  it('starts a stopped VM, and leaves a running one alone', async () => {
    setState('Stopped');
    const provider = createProvider('docker-machine', { runner });
    await provider.ensureEngine();
    await provider.ensureEngine();
    expect(calls()).toEqual([
      'docker-machine status dusty',
      'docker-machine start dusty',
      'docker-machine status dusty',
    ]);
  });

  it('reports the VM address, NFS addresses and mount mode', async () => {
    setState('Running');
    const provider = createProvider('docker-machine', { runner });
    expect(provider.mountMode).toBe('nfs');
    expect(await provider.engineAddress()).toBe('192.168.99.100');
    expect(await provider.nfsClientAddress?.()).toBe('192.168.99.100');
    expect(await provider.nfsServerAddress?.()).toBe('192.168.99.1');
  });

  it('parses the VM environment from docker-machine env', async () => {
    setState('Running');
    expect(await createProvider('docker-machine', { runner }).env()).toEqual({
      DOCKER_TLS_VERIFY: '1',
      DOCKER_HOST: 'tcp://192.168.99.100:2376',
      DOCKER_CERT_PATH: '/home/me/.docker/machine/machines/dusty',
      DOCKER_MACHINE_NAME: 'dusty',
    });
  });

  it('stops a running VM on shutdown, and does nothing when it is stopped', async () => {
    setState('Running');
    const provider = createProvider('docker-machine', { runner });
    await provider.shutdown();
    expect(state()).toBe('Stopped');
    await provider.shutdown();
    expect(calls().filter((c) => c.includes('stop'))).toHaveLength(1);
  });

  it('says why when the address cannot be read', async () => {
    setState('Stopped');
    await expect(createProvider('docker-machine', { runner }).engineAddress()).rejects.toThrow(
      /docker-machine ip dusty failed \(exit 1\): Host is not running/,
    );
  });
});

describe('colima provider (scripted colima stand-in)', () => {
  beforeEach(() => standIn('colima', COLIMA));

  it('starts colima when it is not running, then reads its address and socket', async () => {
    setState('Stopped');
    const provider = createProvider('colima', { runner });
    await provider.ensureEngine();
    expect(state()).toBe('Running');
    expect(calls()).toEqual([
      'colima status --json --profile default',
      'colima start --profile default',
    ]);
    expect(await provider.engineAddress()).toBe('192.168.106.2');
    expect(await provider.env()).toEqual({
      DOCKER_HOST: 'unix:///Users/me/.colima/default/docker.sock',
    });
    expect(await provider.nfsClientAddress?.()).toBe('192.168.106.2');
    // Colima mounts the home folder into its VM, so code goes in by bind mounts.
    expect(provider.mountMode).toBe('bind');
  });

  it('stops colima on shutdown', async () => {
    setState('Running');
    await createProvider('colima', { runner }).shutdown();
    expect(state()).toBe('Stopped');
  });

  it('is guessed on macOS for a stopped engine when only the colima command exists; never docker-machine', async () => {
    const none = { env: { DOCKER_CONFIG: dir }, exists: () => false, platform: 'darwin' as const };
    expect(await detectProviderName({ runner, ...none })).toBe('colima');
    rmSync(path.join(dir, 'bin', 'colima'));
    const bare = new ExecRunner({ PATH: path.join(dir, 'bin') });
    expect(await detectProviderName({ runner: bare, ...none })).toBe('docker-desktop');
  });
});

describe('provider choice and the other providers', () => {
  it('detects remote from a tcp:// or ssh:// DOCKER_HOST, native on Linux', async () => {
    expect(
      await detectProviderName({
        runner,
        platform: 'linux',
        env: { DOCKER_HOST: 'ssh://me@build.example' },
      }),
    ).toBe('remote');
    expect(await detectProviderName({ runner, platform: 'linux', env: {} })).toBe('native');
    expect(await resolveProviderName('colima', { runner })).toBe('colima');
    await expect(resolveProviderName('vagrant', { runner })).rejects.toThrow(/not one of/);
  });

  it('points remote host names at the resolved DOCKER_HOST address', async () => {
    const provider = createProvider('remote', {
      runner,
      env: { DOCKER_HOST: 'tcp://localhost:2375' },
    });
    expect(['127.0.0.1', '::1']).toContain(await provider.engineAddress());
    expect(await provider.env()).toEqual({ DOCKER_HOST: 'tcp://localhost:2375' });
    expect(() => createProvider('remote', { runner, env: {} })).toThrow(/DOCKER_HOST/);
  });

  it('native: engine on 127.0.0.1 with bind mounts, and the running engine is accepted', async () => {
    const provider = createProvider('native', { runner: new ExecRunner() });
    expect(provider.mountMode).toBe('bind');
    expect(await provider.engineAddress()).toBe('127.0.0.1');
    await provider.ensureEngine();
    await provider.shutdown();
  });

  it('native: asks the helper to start the engine when docker info fails', async () => {
    standIn('docker', 'exit 1');
    const asked: string[] = [];
    const helper = {
      available: async () => true,
      call: async (op: string) => {
        asked.push(op);
        return { alreadyRunning: false, method: 'systemctl', detail: 'started' };
      },
    } as unknown as Parameters<typeof createProvider>[1]['helper'];
    await createProvider('native', { runner, helper, isRoot: false }).ensureEngine();
    expect(asked).toEqual(['engine.start']);
  });

  it('native: says how to fix it when the engine is down and there is no helper', async () => {
    standIn('docker', 'exit 1');
    await expect(
      createProvider('native', { runner, isRoot: false }).ensureEngine(),
    ).rejects.toThrow(/dusty setup/);
  });

  it('builds Compose NFS volume options', () => {
    expect(nfsVolumeSpec('192.168.99.1', '/Users/me/code/app')).toEqual({
      driver: 'local',
      driver_opts: {
        type: 'nfs',
        o: 'addr=192.168.99.1,rw,nolock,hard,vers=3,actimeo=1',
        device: ':/Users/me/code/app',
      },
    });
  });
});
