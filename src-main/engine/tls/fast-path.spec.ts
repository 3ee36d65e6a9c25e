/**
 * A no-op `up` checks the CA and the router's certificate with node:crypto
 * and loads the X.509 library only when something must be issued. Each test
 * starts from a fresh module registry and counts the loads of ./ca.js (which
 * issues certificates) and of the library itself.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Specs } from '../../../src-shared/specs/schema.js';
import { tlsPaths } from './paths.js';

let home: string;
const loads = { ca: 0, x509: 0 };

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'dusty-tls-fast-'));
  loads.ca = 0;
  loads.x509 = 0;
});
afterEach(() => {
  vi.doUnmock('./ca.js');
  vi.doUnmock('@peculiar/x509');
  rmSync(home, { recursive: true, force: true });
});

/** Specs with one app per host name (only what `prepareRouterTls` reads). */
const specsFor = (names: string[]) =>
  ({
    apps: Object.fromEntries(
      names.map((n, i) => [`a${i}`, { spec: { host_forwarding: [{ host_name: n }] } }]),
    ),
  }) as unknown as Specs;

/** `prepareRouterTls` from a module registry of its own, as a new `dusty up` process has. */
async function freshPrepare(names: string[]) {
  vi.resetModules();
  // A mock's factory runs once per registration: registered anew, it counts this process's loads.
  vi.doMock('./ca.js', async (importOriginal) => {
    loads.ca++;
    return importOriginal();
  });
  vi.doMock('@peculiar/x509', async (importOriginal) => {
    loads.x509++;
    return importOriginal();
  });
  const { prepareRouterTls } = await import('./router-tls.js');
  return prepareRouterTls(home, specsFor(names), names);
}

describe('a no-op up does not load the X.509 library', () => {
  it('issues with the library the first time, then checks with node:crypto alone', async () => {
    const first = await freshPrepare(['web.demo.test', 'api.demo.test']);
    expect(first).toMatchObject({ caCreated: true, leafChanged: true });
    expect(loads.x509).toBeGreaterThan(0);

    loads.ca = loads.x509 = 0;
    const again = await freshPrepare(['api.demo.test', 'web.demo.test']);
    expect(again).toMatchObject({ caCreated: false, leafChanged: false });
    expect(again.ca.fingerprint).toBe(first.ca.fingerprint);
    expect(again.ca.permitted).toEqual(['localhost', 'test']);
    expect(loads).toEqual({ ca: 0, x509: 0 });
  });

  it('loads it when the names change, and issues a certificate for the new ones', async () => {
    await freshPrepare(['web.demo.test']);
    loads.ca = loads.x509 = 0;
    const changed = await freshPrepare(['web.demo.test', 'new.demo.test']);
    expect(changed).toMatchObject({ caCreated: false, leafChanged: true });
    expect(loads.ca).toBe(1);
    const { X509Certificate } = await import('node:crypto');
    const leaf = new X509Certificate(readFileSync(tlsPaths(home).leafCert, 'utf8'));
    expect(leaf.subjectAltName).toBe('DNS:new.demo.test, DNS:web.demo.test');
  });

  it('loads it when the leaf does not match its key, or is not the CA’s', async () => {
    await freshPrepare(['web.demo.test']);
    const paths = tlsPaths(home);
    const key = readFileSync(paths.leafKey, 'utf8');
    writeFileSync(paths.leafKey, readFileSync(paths.caKey, 'utf8'));
    loads.ca = loads.x509 = 0;
    expect((await freshPrepare(['web.demo.test'])).leafChanged).toBe(true);
    expect(loads.ca).toBe(1);
    // A leaf of another CA (a CA made again) is not reused either.
    writeFileSync(paths.leafKey, key);
    rmSync(paths.caCert);
    expect(await freshPrepare(['web.demo.test'])).toMatchObject({
      caCreated: true,
      leafChanged: true,
    });
  });

  it('reads a CA made before the permitted-suffixes note once with the library, then without', async () => {
    await freshPrepare(['web.demo.test']);
    rmSync(join(tlsPaths(home).dir, 'ca-permitted.json'));
    loads.ca = loads.x509 = 0;
    expect((await freshPrepare(['web.demo.test'])).leafChanged).toBe(false);
    // Only the library and its reader of name constraints, not the issuing code (./ca.js).
    expect(loads).toEqual({ ca: 0, x509: 1 });
    loads.ca = loads.x509 = 0;
    const third = await freshPrepare(['web.demo.test']);
    expect(third.ca.permitted).toEqual(['localhost', 'test']);
    expect(loads).toEqual({ ca: 0, x509: 0 });
  });
});
