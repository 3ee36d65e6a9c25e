import { describe, expect, it } from 'vitest';
import { sectionMaps } from './checks.js';
import { redactText, redactUrls } from './redact.js';

describe('redaction', () => {
  it('removes credentials from URLs and secret query parameters', () => {
    expect(redactUrls('git clone https://bob:hunter22@github.com/x.git')).toBe(
      'git clone https://<redacted>@github.com/x.git',
    );
    expect(redactUrls('https://ghp_abcdef@github.com/x')).toBe('https://<redacted>@github.com/x');
    expect(redactUrls('http://h/p?a=1&token=abc123&b=2')).toBe(
      'http://h/p?a=1&token=<redacted>&b=2',
    );
    expect(redactUrls('git@github.com:org/app.git')).toBe('git@github.com:org/app.git');
  });

  it('removes known secret values wherever they appear, and secret-looking assignments', () => {
    const out = redactText('A=value-1234 then value-1234 again; DB_PASSWORD=pw1 and x=1', [
      'value-1234',
      'x',
    ]);
    expect(out).not.toContain('value-1234');
    expect(out).not.toContain('pw1');
    expect(out).toContain('x=1');
  });

  it('removes PEM private keys, whole or cut off, and keeps certificates', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----';
    const ec = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n';
    const out = redactText(`${cert}\n${key}\nafter\n${ec}`);
    expect(out).toContain(cert);
    expect(out).toContain('after');
    expect(out).not.toMatch(/MIGHAgEAMBMGByqGSM49|MHcCAQEEIB/);
  });
});

describe('hosts section check', () => {
  it('finds a name mapped to the address, case-insensitively', () => {
    expect(sectionMaps(['127.0.0.1 a.test B.test'], 'b.test', '127.0.0.1')).toBe(true);
    expect(sectionMaps(['10.0.0.1 a.test'], 'a.test', '127.0.0.1')).toBe(false);
  });
});
