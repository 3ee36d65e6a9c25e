import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostSuffixes, uncoverable } from '../../../src-shared/tls.js';
import { createCa, ensureCa, ensureLeaf, readCa, tlsPaths, type TlsPaths } from './ca.js';

let home: string;
let paths: TlsPaths;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'dusty-tls-'));
  paths = tlsPaths(home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** What OpenSSL, a real verifier that enforces name constraints, says of a certificate. */
function opensslVerify(leafPem: string, host?: string): { ok: boolean; out: string } {
  const leaf = join(home, 'verify-leaf.pem');
  writeFileSync(leaf, leafPem);
  try {
    const out = execFileSync(
      'openssl',
      ['verify', '-CAfile', paths.caCert, ...(host ? ['-verify_hostname', host] : []), leaf],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { ok: true, out };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** A leaf the CA's own key signs for any names: what a thief holding the key could make. */
async function forgeLeaf(names: string[]): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const [der] = x509.PemConverter.decode(readFileSync(paths.caKey, 'utf8'));
  const caKey = await webcrypto.subtle.importKey('pkcs8', der!, alg, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = new x509.X509Certificate(readFileSync(paths.caCert, 'utf8'));
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '0abc',
    subject: `CN=${names[0]}`,
    issuer: ca.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: 'dns' as const, value })),
      ),
    ],
  });
  return leaf.toString('pem');
}

describe('host-name suffixes', () => {
  it('takes the parent of long names, keeps two-label names, and skips localhost and test', () => {
    expect(
      hostSuffixes(['local.flaskone.com', 'api.local.flaskone.com', 'myapp.dev', 'web.demo.test']),
    ).toEqual(['flaskone.com', 'localhost', 'myapp.dev', 'test']);
    expect(uncoverable(['myapp', 'web.demo.test', 'localhost'])).toEqual(['myapp']);
  });
});

describe('the local CA', () => {
  it('keeps its key private and constrains itself to the suffixes', async () => {
    const ca = await createCa(paths, hostSuffixes(['local.flaskone.com']));
    expect(statSync(paths.caKey).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(ca.permitted.sort()).toEqual(['flaskone.com', 'localhost', 'test']);
    const text = execFileSync('openssl', ['x509', '-in', paths.caCert, '-noout', '-text'], {
      encoding: 'utf8',
    });
    expect(text).toMatch(/Name Constraints: critical/);
    expect(text).toMatch(/CA:TRUE, pathlen:0/);
    expect(ca.subject).toMatch(/O=Dusty/);
  });

  it('signs a router certificate OpenSSL accepts, and a stolen key cannot sign for real sites', async () => {
    const { ca } = await ensureCa(paths, hostSuffixes(['local.flaskone.com']));
    const leaf = await ensureLeaf(paths, ca, [
      'local.flaskone.com',
      'web.demo.test',
      'x.localhost',
    ]);
    expect(leaf.names).toEqual(['local.flaskone.com', 'web.demo.test', 'x.localhost']);
    const pem = readFileSync(paths.leafCert, 'utf8');
    expect(opensslVerify(pem, 'web.demo.test')).toMatchObject({ ok: true });
    expect(statSync(paths.leafKey).mode & 0o777).toBe(0o600);

    const forged = opensslVerify(await forgeLeaf(['www.google.com']));
    expect(forged.ok).toBe(false);
    expect(forged.out).toMatch(/permitted subtree violation/);
    // Within the constraints, a forged leaf verifies: the check above is the constraint, not the forging.
    expect(opensslVerify(await forgeLeaf(['other.flaskone.com'])).ok).toBe(true);
  });

  it('reuses the router certificate while the names are unchanged, and reissues when they change', async () => {
    const { ca } = await ensureCa(paths, hostSuffixes(['a.demo.test']));
    expect((await ensureLeaf(paths, ca, ['a.demo.test', 'b.demo.test'])).created).toBe(true);
    const first = readFileSync(paths.leafCert, 'utf8');
    expect((await ensureLeaf(paths, ca, ['b.demo.test', 'a.demo.test'])).created).toBe(false);
    expect(readFileSync(paths.leafCert, 'utf8')).toBe(first);
    expect((await ensureLeaf(paths, ca, ['a.demo.test'])).created).toBe(true);
    expect(readFileSync(paths.leafCert, 'utf8')).not.toBe(first);
    const days =
      (new x509.X509Certificate(readFileSync(paths.leafCert, 'utf8')).notAfter.getTime() -
        Date.now()) /
      86_400_000;
    expect(days).toBeGreaterThan(80);
    expect(days).toBeLessThanOrEqual(397);
  });

  it('leaves names outside its constraints out of the router certificate and reports new suffixes', async () => {
    await ensureCa(paths, hostSuffixes(['web.demo.test']));
    const again = await ensureCa(paths, hostSuffixes(['web.demo.test', 'local.newco.com']));
    expect(again.created).toBe(false);
    expect(again.outside).toEqual(['newco.com']);
    const leaf = await ensureLeaf(paths, again.ca, ['web.demo.test', 'local.newco.com']);
    expect(leaf.names).toEqual(['web.demo.test']);
  });

  it('replaces a leaf whose key does not match it', async () => {
    const { ca } = await ensureCa(paths, hostSuffixes([]));
    await ensureLeaf(paths, ca, ['a.localhost']);
    const otherHome = mkdtempSync(join(tmpdir(), 'dusty-tls-other-'));
    try {
      const other = tlsPaths(otherHome);
      const { ca: ca2 } = await ensureCa(other, hostSuffixes([]));
      await ensureLeaf(other, ca2, ['a.localhost']);
      writeFileSync(paths.leafKey, readFileSync(other.leafKey));
    } finally {
      rmSync(otherHome, { recursive: true, force: true });
    }
    expect((await ensureLeaf(paths, ca, ['a.localhost'])).created).toBe(true);
    expect((await readCa(paths))?.fingerprint).toBe(ca.fingerprint);
  });
});
