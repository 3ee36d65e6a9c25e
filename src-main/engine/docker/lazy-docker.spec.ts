import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { lazyDocker } from './client.js';

describe('lazyDocker', () => {
  it('makes the client on first use only, once, and calls its methods on it', async () => {
    let made = 0;
    const fake = {
      answer: 42,
      ping(this: { answer: number }) {
        return Promise.resolve(this.answer);
      },
    };
    const docker = lazyDocker(() => {
      made++;
      return fake as unknown as Docker;
    });
    expect(made).toBe(0);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- detaching is what is tested
    const ping = docker.ping;
    expect(made).toBe(1);
    // Detached from the proxy, the method still runs on the real client.
    expect(await (ping as unknown as () => Promise<number>)()).toBe(42);
    expect((docker as unknown as { answer: number }).answer).toBe(42);
    expect(made).toBe(1);
  });
});
