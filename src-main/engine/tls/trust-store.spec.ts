import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  NameConstraints,
  id_ce_nameConstraints,
} from '@peculiar/asn1-x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecRunner, findExecutable } from '../../platform/command-runner.js';
import { checkDustyCa, TrustStore } from '../../platform/trust-store.js';
import { hostSuffixes } from '../../../src-shared/tls.js';
import { createCa, ensureLeaf, tlsPaths } from './ca.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dusty-trust-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** A self-signed CA with any subject and constraints: what an impostor would send. */
async function otherCa(name: string, permitted?: string[]): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(true, 0, true)];
  if (permitted) {
    const nc = new NameConstraints({
      permittedSubtrees: new GeneralSubtrees(
        permitted.map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })),
      ),
    });
    extensions.push(new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(nc)));
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: ALG,
    extensions,
  });
  return cert.toString('pem');
}

/** A throw-away Debian system store: update-ca-certificates writes its bundle here, not in /etc. */
function throwAwayStore() {
  const d = (n: string) => {
    const p = join(dir, n);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const conf = join(dir, 'ca-certificates.conf');
  writeFileSync(conf, '');
  const local = d('local');
  const etc = d('etc-certs');
  const updateArgs = [
    '--certsconf',
    conf,
    '--certsdir',
    d('share'),
    '--localcertsdir',
    local,
    '--etccertsdir',
    etc,
    '--hooksdir',
    d('hooks'),
  ];
  return { local, bundle: join(etc, 'ca-certificates.crt'), updateArgs };
}

describe("accepting only Dusty's CA", () => {
  it("accepts Dusty's own CA and reads its constraints", async () => {
    const ca = await createCa(tlsPaths(dir), hostSuffixes(['local.app.com']));
    expect(checkDustyCa(ca.pem)).toMatchObject({
      fingerprint: ca.fingerprint,
      permitted: ['app.com', 'localhost', 'test'],
    });
  });

  it('refuses other certificates, each for its own reason', async () => {
    const paths = tlsPaths(dir);
    const ca = await createCa(paths, hostSuffixes([]));
    await ensureLeaf(paths, ca, ['a.test']);
    const leaf = readFileSync(paths.leafCert, 'utf8');
    const key = readFileSync(paths.caKey, 'utf8');
    const cases: [string, RegExp][] = [
      ['garbage', /exactly one PEM certificate, got 0/],
      [ca.pem + ca.pem, /exactly one PEM certificate, got 2/],
      [ca.pem + key, /private key/],
      [leaf, /not Dusty's CA: its subject is CN=a.test/],
      [await otherCa('CN=Evil CA, O=Evil'), /not Dusty's CA/],
      [await otherCa('CN=Dusty local CA (x), O=Dusty'), /no critical name constraints/],
      [await otherCa('CN=Dusty local CA (x), O=Dusty', ['com']), /too wide: "com" is a top-level/],
      [await otherCa('CN=Dusty local CA (x), O=Dusty', ['']), /too wide/],
    ];
    for (const [pem, why] of cases) expect(() => checkDustyCa(pem), String(why)).toThrow(why);
  });
});

describe('trusting in a throw-away store', () => {
  it(
    'puts the CA in the system bundle and the NSS database, and takes it out again',
    { timeout: 60_000 },
    async () => {
      const paths = tlsPaths(join(dir, 'home-dusty'));
      const ca = await createCa(paths, hostSuffixes([]));
      await ensureLeaf(paths, ca, ['web.demo.test']);
      const store = throwAwayStore();
      // A store is never empty (Debian's own CAs): a bystander that must stay.
      const bystander = await otherCa('CN=Bystander CA, O=Someone');
      writeFileSync(join(store.local, 'bystander.crt'), bystander);
      const home = join(dir, 'home');
      mkdirSync(home);
      const trust = new TrustStore({
        platform: 'linux',
        runner: new ExecRunner(),
        localCertsDir: store.local,
        updateArgs: store.updateArgs,
        keychain: '/nonexistent',
        nssHomes: [home],
      });
      const installed = await trust.install(ca.pem);
      expect(installed.stores).toContain(join(store.local, 'dusty-local-ca.crt'));
      // The bundle is what curl and OpenSSL read: it verifies the router's certificate.
      expect(readFileSync(store.bundle, 'utf8')).toContain(ca.pem.split('\n')[1]);
      execFileSync('openssl', ['verify', '-CAfile', store.bundle, paths.leafCert]);
      const nssdb = join(home, '.pki', 'nssdb');
      if (findExecutable('certutil')) {
        expect(installed.stores).toContain(nssdb);
        expect(
          execFileSync('certutil', ['-d', `sql:${nssdb}`, '-L'], { encoding: 'utf8' }),
        ).toMatch(/dusty-local-ca\s+C,,/);
      } else expect(installed.skipped.join()).toMatch(/certutil is not installed/);

      await expect(trust.install('garbage')).rejects.toThrow(/PEM/);

      const removed = await trust.remove();
      expect(removed.stores).toContain(join(store.local, 'dusty-local-ca.crt'));
      expect(existsSync(join(store.local, 'dusty-local-ca.crt'))).toBe(false);
      expect(readFileSync(store.bundle, 'utf8')).not.toContain(ca.pem.split('\n')[1]);
      expect(readFileSync(store.bundle, 'utf8')).toContain(bystander.split('\n')[1]);
      if (findExecutable('certutil'))
        expect(
          execFileSync('certutil', ['-d', `sql:${nssdb}`, '-L'], { encoding: 'utf8' }),
        ).not.toContain('dusty-local-ca');
    },
  );
});

describe('the programs trust.* runs: from the fixed table only, each checked', () => {
  /**
   * A root-owned folder of programs that note their name in a log, then run
   * the real one; a program of the same name on PATH is a decoy that must not run.
   */
  function programsFolder() {
    const bin = join(dir, 'bin');
    const decoys = join(dir, 'decoys');
    mkdirSync(bin, { mode: 0o755 });
    mkdirSync(decoys, { mode: 0o755 });
    const log = join(dir, 'ran.log');
    writeFileSync(log, '');
    const real = {
      'update-ca-certificates': '/usr/sbin/update-ca-certificates',
      certutil: findExecutable('certutil') ?? '/nonexistent/certutil',
      mkdir: '/usr/bin/mkdir',
    };
    const table: Record<string, string[]> = {};
    for (const [name, path] of Object.entries(real)) {
      const file = join(bin, name);
      writeFileSync(file, `#!/bin/sh\necho ${name} >> ${log}\nexec ${path} "$@"\n`, {
        mode: 0o755,
      });
      writeFileSync(join(decoys, name), `#!/bin/sh\necho decoy ${name} >> ${log}\nexit 1\n`, {
        mode: 0o755,
      });
      table[name] = [file];
    }
    const ran = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return { bin, decoys, table, ran };
  }

  async function storeWith(table: Record<string, string[]>, decoys?: string) {
    const paths = tlsPaths(join(dir, 'home-dusty'));
    const ca = await createCa(paths, hostSuffixes([]));
    const store = throwAwayStore();
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    const env = decoys ? { ...process.env, PATH: `${decoys}:${process.env.PATH}` } : process.env;
    const trust = new TrustStore({
      platform: 'linux',
      runner: new ExecRunner(env),
      localCertsDir: store.local,
      updateArgs: store.updateArgs,
      keychain: '/nonexistent',
      nssHomes: [home],
      programs: { table },
    });
    return { ca, store, trust };
  }

  it('runs update-ca-certificates, mkdir and certutil from the table, never from PATH', async () => {
    const p = programsFolder();
    const { ca, store, trust } = await storeWith(p.table, p.decoys);
    const installed = await trust.install(ca.pem);
    expect(readFileSync(store.bundle, 'utf8')).toContain(ca.pem.split('\n')[1]);
    expect(p.ran()).toContain('update-ca-certificates');
    if (findExecutable('certutil')) {
      expect(p.ran()).toEqual(expect.arrayContaining(['mkdir', 'certutil']));
      expect(installed.stores).toContain(join(dir, 'home', '.pki', 'nssdb'));
    }
    expect(p.ran().filter((r) => r.startsWith('decoy'))).toEqual([]);
    await trust.remove();
    expect(p.ran().filter((r) => r === 'update-ca-certificates').length).toBe(2);
    expect(p.ran().filter((r) => r.startsWith('decoy'))).toEqual([]);
  });

  it('refuses a program others could change, before changing anything', async () => {
    const p = programsFolder();
    execFileSync('chmod', ['0777', p.table['update-ca-certificates']![0]!]);
    const { ca, store, trust } = await storeWith(p.table);
    await expect(trust.install(ca.pem)).rejects.toThrow(
      /refusing to run .*update-ca-certificates as root: .*writable by group or others/,
    );
    expect(existsSync(join(store.local, 'dusty-local-ca.crt'))).toBe(false);
    // Installed by hand, it stays where it is rather than leave the bundle stale.
    writeFileSync(join(store.local, 'dusty-local-ca.crt'), ca.pem);
    await expect(trust.remove()).rejects.toThrow(/refusing to run/);
    expect(existsSync(join(store.local, 'dusty-local-ca.crt'))).toBe(true);
    expect(p.ran()).toEqual([]);
  });

  it('says where it looked when a program is not in the table, and skips profiles without certutil', async () => {
    const { ca, trust } = await storeWith({});
    await expect(trust.install(ca.pem)).rejects.toThrow(
      /update-ca-certificates is not installed \(looked at no path on this platform\)/,
    );
    const p = programsFolder();
    const { table } = p;
    const noCertutil = { 'update-ca-certificates': table['update-ca-certificates']! };
    const second = await storeWith(noCertutil);
    const installed = await second.trust.install(second.ca.pem);
    expect(installed.skipped.join()).toMatch(/certutil is not installed/);
    execFileSync('chmod', ['0777', table.certutil![0]!]);
    const third = await storeWith(table);
    const again = await third.trust.install(third.ca.pem);
    expect(again.skipped.join()).toMatch(/browser profiles: refusing to run .*certutil/);
    expect(p.ran()).not.toContain('certutil');
  });
});
