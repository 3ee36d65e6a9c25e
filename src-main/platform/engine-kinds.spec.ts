import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINE_KINDS, type EngineKind } from '../../src-shared/config.js';
import {
  ENGINE_TRAITS,
  colimaProfileOf,
  detectEngineKind,
  isRemoteHost,
  startCommand,
  type EngineFacts,
} from './engine-kinds.js';

interface Fixture {
  host: string;
  context: string;
  expected: EngineKind;
  platform: NodeJS.Platform;
  info: EngineFacts;
  components: string[];
}
const dir = join(import.meta.dirname, '../../e2e/fixtures/engines');
const fixtures = readdirSync(dir).map((f) => ({
  file: f,
  ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture),
}));

describe('engine kind from recorded `docker info` output', () => {
  it('has a recording for every kind', () => {
    expect(new Set(fixtures.map((f) => f.expected))).toEqual(new Set(ENGINE_KINDS));
  });

  it.each(fixtures)('$file is $expected from the engine alone', (f) => {
    // What the engine says wins even behind a neutral socket and context.
    const facts = { ...f.info, Components: f.components };
    const host = f.expected === 'remote' ? f.host : 'unix:///var/run/docker.sock';
    expect(detectEngineKind({ host, context: 'default', facts, platform: 'darwin' })).toBe(
      f.expected === 'native' ? 'docker-desktop' : f.expected,
    );
    expect(
      detectEngineKind({ host: f.host, context: f.context, facts, platform: f.platform }),
    ).toBe(f.expected);
  });

  it.each(fixtures.filter((f) => !['podman', 'docker-machine'].includes(f.expected)))(
    '$file is $expected from its socket and context when it is stopped',
    (f) => {
      expect(detectEngineKind({ host: f.host, context: f.context, platform: f.platform })).toBe(
        f.expected,
      );
    },
  );
});

describe('engine kind without answers', () => {
  it('reads the socket path of each desktop engine', () => {
    const kind = (host: string) =>
      detectEngineKind({ host, context: 'default', platform: 'darwin' });
    expect(kind('unix:///Users/me/.docker/run/docker.sock')).toBe('docker-desktop');
    expect(kind('unix:///home/me/.docker/desktop/docker.sock')).toBe('docker-desktop');
    expect(kind('unix:///Users/me/.orbstack/run/docker.sock')).toBe('orbstack');
    expect(kind('unix:///Users/me/.rd/docker.sock')).toBe('rancher-desktop');
    expect(kind('unix:///Users/me/.colima/work/docker.sock')).toBe('colima');
    expect(kind('unix:///run/user/1000/podman/podman.sock')).toBe('podman');
    expect(kind('tcp://10.1.2.3:2376')).toBe('remote');
    expect(kind('tcp://127.0.0.1:2375')).toBe('docker-desktop');
  });

  it('on macOS guesses the installed desktop engine behind /var/run/docker.sock; never docker-machine', () => {
    const guess = (installed: Partial<Record<EngineKind, boolean>>) =>
      detectEngineKind({
        host: 'unix:///var/run/docker.sock',
        context: 'default',
        platform: 'darwin',
        installed,
      });
    expect(guess({ orbstack: true })).toBe('orbstack');
    expect(guess({ colima: true })).toBe('colima');
    expect(guess({ 'docker-desktop': true, orbstack: true })).toBe('docker-desktop');
    expect(guess({})).toBe('docker-desktop');
    expect(
      detectEngineKind({
        host: 'unix:///var/run/docker.sock',
        context: 'default',
        platform: 'linux',
      }),
    ).toBe('native');
  });

  it('tells loopback from remote hosts', () => {
    expect(isRemoteHost('ssh://me@build.example')).toBe(true);
    expect(isRemoteHost('tcp://[::1]:2375')).toBe(false);
    expect(isRemoteHost('tcp://localhost:2375')).toBe(false);
    expect(isRemoteHost('unix:///var/run/docker.sock')).toBe(false);
  });
});

describe('what each kind knows', () => {
  it('starts each engine with its own command', () => {
    const mac = { platform: 'darwin' as const };
    expect(startCommand('docker-desktop', mac)).toEqual({
      command: 'open',
      args: ['-a', 'Docker'],
    });
    expect(startCommand('orbstack', mac)).toEqual({ command: 'orb', args: ['start'] });
    expect(startCommand('rancher-desktop', mac)).toEqual({ command: 'rdctl', args: ['start'] });
    expect(startCommand('podman', mac)).toEqual({ command: 'podman', args: ['machine', 'start'] });
    expect(startCommand('colima', { ...mac, colimaProfile: 'work' })).toEqual({
      command: 'colima',
      args: ['start', '--profile', 'work'],
    });
    expect(startCommand('docker-machine', mac)).toEqual({
      command: 'docker-machine',
      args: ['start', 'dusty'],
    });
    expect(startCommand('docker-desktop', { platform: 'linux' })?.command).toBe('systemctl');
    expect(startCommand('native', mac)).toBeUndefined();
    expect(startCommand('remote', mac)).toBeUndefined();
  });

  it('publishes on loopback except docker-machine and remote, and mounts by NFS only for docker-machine', () => {
    for (const k of ENGINE_KINDS) {
      const vm = k === 'docker-machine' || k === 'remote';
      expect(ENGINE_TRAITS[k].mounts, k).toBe(k === 'docker-machine' ? 'nfs' : 'bind');
      expect(ENGINE_TRAITS[k].ports === 'loopback', k).toBe(!vm);
    }
  });

  it('reads the Colima profile from the context or socket', () => {
    expect(colimaProfileOf('colima-work', 'unix:///x')).toBe('work');
    expect(colimaProfileOf('default', 'unix:///Users/me/.colima/ci/docker.sock')).toBe('ci');
    expect(colimaProfileOf('colima', 'unix:///Users/me/.colima/default/docker.sock')).toBe(
      'default',
    );
  });
});
