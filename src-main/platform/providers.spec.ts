/**
 * Config `vm_memory_size` reaching the command lines that create and start
 * VMs. No VM tool can run here, so each test hands the provider a stand-in
 * runner: it records every command line and answers as the tool would for
 * a stopped (or missing) VM.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEndpoint } from './docker-context.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import { createProvider, memoryOf, type ProviderDeps } from './providers.js';

/** A stand-in for the VM tools: records command lines, answers from `answer`. */
class StandInRunner implements CommandRunner {
  readonly lines: string[] = [];
  constructor(private readonly answer: (line: string) => Partial<CommandResult> | undefined) {}
  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    const line = [command, ...args].join(' ');
    this.lines.push(line);
    return { code: 0, stdout: '', stderr: '', ...this.answer(line) };
  }
}

const endpoint: EngineEndpoint = {
  host: 'unix:///x',
  context: 'default',
  source: 'default',
  skipTLSVerify: false,
  configDir: '/nonexistent',
};

/** A desktop engine that does not answer until its start command has run. */
function stoppedDesktop(startPrefix: string): StandInRunner {
  let started = false;
  return new StandInRunner((line) => {
    if (line.startsWith(startPrefix)) started = true;
    if (line === 'docker info') return started ? {} : { code: 1, stderr: 'Cannot connect' };
    return undefined;
  });
}

function deps(runner: StandInRunner, memoryMb?: number): ProviderDeps {
  return { platform: 'darwin', endpoint, runner, memoryMb, startWaitMs: 2000 };
}

describe('vm_memory_size on VM start (stand-in VM tools)', () => {
  it('reads the config value as megabytes; empty or nonsense leaves the tool its default', () => {
    expect(memoryOf('4096')).toBe(4096);
    expect(memoryOf('')).toBeUndefined();
    expect(memoryOf(undefined)).toBeUndefined();
    expect(memoryOf('0')).toBeUndefined();
    expect(memoryOf('4 GB')).toBeUndefined();
  });

  it('colima start carries --memory in GiB, rounded up', async () => {
    const runner = new StandInRunner((l) =>
      l.startsWith('colima status') ? { code: 1, stderr: 'colima is not running' } : undefined,
    );
    await createProvider('colima', { ...deps(runner, 3000), colimaProfile: 'work' }).ensureEngine();
    expect(runner.lines).toEqual([
      'colima status --json --profile work',
      'colima start --profile work --memory 3',
    ]);
  });

  it('docker-machine creates a missing VM with --virtualbox-memory', async () => {
    const runner = new StandInRunner((l) =>
      l.startsWith('docker-machine status')
        ? { code: 1, stderr: 'Host does not exist: "dusty"' }
        : undefined,
    );
    await createProvider('docker-machine', deps(runner, 4096)).ensureEngine();
    expect(runner.lines).toEqual([
      'docker-machine status dusty',
      'docker-machine create --driver virtualbox --virtualbox-memory 4096 dusty',
    ]);
  });

  it('docker-machine resizes a stopped VM before starting it, as the original did', async () => {
    const runner = new StandInRunner((l) =>
      l.startsWith('docker-machine status') ? { stdout: 'Stopped\n' } : undefined,
    );
    await createProvider('docker-machine', deps(runner, 4096)).ensureEngine();
    expect(runner.lines).toEqual([
      'docker-machine status dusty',
      'VBoxManage modifyvm dusty --memory 4096',
      'docker-machine start dusty',
    ]);
  });

  it('Rancher Desktop starts with the memory flag; OrbStack and Podman set it first', async () => {
    const rd = stoppedDesktop('rdctl start');
    await createProvider('rancher-desktop', deps(rd, 8192)).ensureEngine();
    expect(rd.lines).toContain('rdctl start --virtual-machine.memory-in-gb 8');

    const orb = stoppedDesktop('orb start');
    await createProvider('orbstack', deps(orb, 6144)).ensureEngine();
    const orbLines = orb.lines.filter((l) => l !== 'docker info');
    expect(orbLines).toEqual(['orb config set memory_mib 6144', 'orb start']);

    const podman = stoppedDesktop('podman machine start');
    await createProvider('podman', deps(podman, 2048)).ensureEngine();
    const podmanLines = podman.lines.filter((l) => l !== 'docker info');
    expect(podmanLines).toEqual(['podman machine set --memory 2048', 'podman machine start']);
  });

  it('without vm_memory_size no command line names memory', async () => {
    const colima = new StandInRunner((l) =>
      l.startsWith('colima status') ? { code: 1 } : undefined,
    );
    await createProvider('colima', deps(colima)).ensureEngine();
    const orb = stoppedDesktop('orb start');
    await createProvider('orbstack', deps(orb)).ensureEngine();
    expect([...colima.lines, ...orb.lines].join('\n')).not.toMatch(/memory/);
  });

  it('a VM that cannot be resized is not started, and the error names the config key', async () => {
    const runner = new StandInRunner((l) => {
      if (l.startsWith('docker-machine status')) return { stdout: 'Stopped\n' };
      if (l.startsWith('VBoxManage')) return { code: 1, stderr: 'VBoxManage: error: locked' };
      return undefined;
    });
    await expect(
      createProvider('docker-machine', deps(runner, 4096)).ensureEngine(),
    ).rejects.toThrow(/vm_memory_size.*VBoxManage modifyvm dusty --memory 4096.*locked/);
    expect(runner.lines).not.toContain('docker-machine start dusty');
  });
});
