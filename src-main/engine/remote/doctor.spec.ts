import { describe, expect, it } from 'vitest';
import { clockSkew, parseDfAvailable } from './doctor.js';

describe('remote doctor readings', () => {
  it('reads the available kilobytes of df -Pk', () => {
    const df =
      'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/vda         263174212  27318148 79263584      26% /\n';
    expect(parseDfAvailable(df)).toBe(79263584 * 1024);
    expect(parseDfAvailable('df: /nope: No such file or directory\n')).toBeUndefined();
  });

  it('judges the skew at the middle of the round trip', () => {
    expect(clockSkew(1_000_000, 1_000_400, 1000.2)).toBe(0);
    expect(clockSkew(1_000_000, 1_000_000, 1010)).toBe(10_000);
    expect(clockSkew(1_000_000, 1_000_000, 995)).toBe(-5_000);
  });
});
