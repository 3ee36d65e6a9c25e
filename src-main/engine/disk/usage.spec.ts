import { describe, expect, it } from 'vitest';
import { formatBytes, isDustys } from './usage.js';

describe('disk', () => {
  it("counts only this project's labelled things as Dusty's", () => {
    expect(isDustys({ 'com.docker.compose.project': 'dusty' }, 'dusty')).toBe(true);
    expect(isDustys({ 'dev.dusty.project': 'dusty' }, 'dusty')).toBe(true);
    expect(isDustys({ 'com.docker.compose.project': 'other' }, 'dusty')).toBe(false);
    expect(isDustys(null, 'dusty')).toBe(false);
  });

  it('formats sizes', () => {
    expect(formatBytes(300)).toBe('300 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(-1)).toBe('unknown');
  });
});
