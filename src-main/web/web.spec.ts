import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  cookieValue,
  hostAllowed,
  originAllowed,
  tokenMatches,
} from './security.js';

describe('the web server doorway', () => {
  it('accepts only this server on loopback as Host (no DNS rebinding)', () => {
    expect(hostAllowed('127.0.0.1:4000', 4000)).toBe(true);
    expect(hostAllowed('localhost:4000', 4000)).toBe(true);
    expect(hostAllowed('127.0.0.1:4001', 4000)).toBe(false);
    expect(hostAllowed('evil.example:4000', 4000)).toBe(false);
    expect(hostAllowed(undefined, 4000)).toBe(false);
  });
  it('accepts no Origin or its own, refuses other sites', () => {
    expect(originAllowed(undefined, 4000)).toBe(true);
    expect(originAllowed('http://127.0.0.1:4000', 4000)).toBe(true);
    expect(originAllowed('http://evil.example', 4000)).toBe(false);
    expect(originAllowed('null', 4000)).toBe(false);
    expect(originAllowed('http://127.0.0.1:4000.evil.example', 4000)).toBe(false);
  });
  it('compares tokens exactly', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(null, 'abc')).toBe(false);
  });
  it('reads one cookie', () => {
    expect(cookieValue('a=1; dusty_token_5=xyz; b=2', 'dusty_token_5')).toBe('xyz');
    expect(cookieValue('dusty_token_6=xyz', 'dusty_token_5')).toBeUndefined();
  });
  it('lets the page connect only back to this server', () => {
    const csp = contentSecurityPolicy(4000);
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:4000 ws://localhost:4000");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
