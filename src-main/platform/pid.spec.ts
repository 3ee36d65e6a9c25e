import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { pidAlive } from './pid.js';

describe('pidAlive', () => {
  it('sees this process and a child until it has exited', async () => {
    expect(pidAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    expect(pidAlive(child.pid!)).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(pidAlive(child.pid!)).toBe(false);
  });

  it("counts another user's process as alive (EPERM)", () => {
    // pid 1 exists on every Linux and macOS machine; when not root, signalling it is refused.
    expect(pidAlive(1)).toBe(true);
  });

  it('never treats 0, negatives or garbage as a process (kill(0) would hit our own group)', () => {
    for (const pid of [0, -1, Number.NaN, 1.5, Number('')]) expect(pidAlive(pid)).toBe(false);
  });
});
