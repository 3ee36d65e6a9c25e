import { describe, expect, it } from 'vitest';
import type { CommandRunner } from './command-runner.js';
import { startNativeEngine } from './native-engine.js';

/** A runner whose `docker info` starts answering after `failures` tries. */
function fakeRunner(failures: number, systemctlCode = 0) {
  const calls: string[] = [];
  let left = failures;
  const runner: CommandRunner = {
    run: async (cmd, args) => {
      calls.push(`${cmd.split('/').pop()} ${args.join(' ')}`);
      if (args[0] === 'info') return { code: left-- > 0 ? 1 : 0, stdout: '', stderr: 'down' };
      return { code: systemctlCode, stdout: '', stderr: 'unit docker.service not found' };
    },
  };
  return { runner, calls };
}

describe('startNativeEngine', () => {
  it('does nothing when docker info answers', async () => {
    const { runner, calls } = fakeRunner(0);
    expect(await startNativeEngine({ runner, docker: 'docker' })).toMatchObject({
      alreadyRunning: true,
      method: 'none',
    });
    expect(calls).toEqual(['docker info']);
  });

  it('starts docker with systemctl when systemd runs, then waits', async () => {
    const { runner, calls } = fakeRunner(3);
    const outcome = await startNativeEngine({
      runner,
      docker: 'docker',
      systemdRunning: () => true,
      sleep: async () => {},
    });
    expect(outcome).toMatchObject({ alreadyRunning: false, method: 'systemctl' });
    expect(calls.filter((c) => c.startsWith('systemctl'))).toEqual(['systemctl start docker']);
  });

  it('launches dockerd itself without systemd', async () => {
    const { runner } = fakeRunner(2);
    let spawned = 0;
    const outcome = await startNativeEngine({
      runner,
      docker: 'docker',
      systemdRunning: () => false,
      spawnDockerd: () => (spawned += 1),
      sleep: async () => {},
    });
    expect([outcome.method, spawned]).toEqual(['dockerd', 1]);
  });

  it('says so when systemctl fails or the engine never answers', async () => {
    await expect(
      startNativeEngine({
        runner: fakeRunner(9, 5).runner,
        docker: 'docker',
        systemdRunning: () => true,
      }),
    ).rejects.toThrow(/systemctl start docker failed: unit docker.service not found/);
    await expect(
      startNativeEngine({
        runner: fakeRunner(1e9).runner,
        docker: 'docker',
        systemdRunning: () => false,
        spawnDockerd: () => {},
        sleep: async () => {},
        timeoutMs: 50,
      }),
    ).rejects.toThrow(/still fails/);
  });
});
