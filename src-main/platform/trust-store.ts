/**
 * Trusting Dusty's local CA, as root: the system store (Debian's local CA
 * folder and `update-ca-certificates`; macOS's System keychain through
 * `security`) and the NSS databases of the owner's Chromium and Firefox
 * profiles, where `certutil` exists. Only a certificate that is Dusty's CA is
 * accepted: self-signed, a CA, Dusty's subject, and critical name constraints
 * that permit only DNS suffixes no wider than a registrable name.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import {
  CA_COMMON_NAME_PREFIX,
  CA_ORGANIZATION,
  CA_STORE_NAME,
  permittedSuffixProblem,
} from '../../src-shared/tls.js';
import type { CommandRunner } from './command-runner.js';
import {
  requireProgram,
  trustedProgram,
  type ProgramLookup,
  type SystemProgram,
} from './system-programs.js';

/** Where the trust goes; every path injectable so tests use a throw-away store. */
export interface TrustStoreOptions {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  /** Debian: the folder `update-ca-certificates` reads local CAs from. */
  localCertsDir: string;
  /** Debian: the arguments `update-ca-certificates` rebuilds the system bundle with. */
  updateArgs: string[];
  /** Where the programs are (the helper's fixed table; tests inject one). */
  programs?: ProgramLookup | undefined;
  /** macOS: the keychain the CA is added to as a trusted root. */
  keychain: string;
  /** Homes whose NSS databases get the CA (the owner's). */
  nssHomes: string[];
  /** Runs certutil as the owner, so their databases stay theirs. */
  nssUser?: { uid: number; gid: number } | undefined;
  /** Makes a throw-away store's folders before each use. */
  prepare?: () => Promise<void>;
}

export const DEFAULT_LOCAL_CERTS_DIR = '/usr/local/share/ca-certificates';
export const DEFAULT_KEYCHAIN = '/Library/Keychains/System.keychain';

/**
 * The helper's trust store: the machine's own, or, when `storeDir` is given
 * (tests), a throw-away Debian store under it whose bundle is
 * `storeDir/certs/ca-certificates.crt` and holds only what was added there.
 */
export function trustStoreOptions(o: {
  platform: NodeJS.Platform;
  runner: CommandRunner;
  storeDir?: string | undefined;
  nssHomes: string[];
  nssUser?: { uid: number; gid: number } | undefined;
  programs?: ProgramLookup | undefined;
}): TrustStoreOptions {
  const base = {
    platform: o.platform,
    runner: o.runner,
    nssHomes: o.nssHomes,
    nssUser: o.nssUser,
    programs: o.programs,
  };
  if (!o.storeDir)
    return {
      ...base,
      localCertsDir: DEFAULT_LOCAL_CERTS_DIR,
      updateArgs: [],
      keychain: DEFAULT_KEYCHAIN,
    };
  const d = (name: string) => path.join(o.storeDir!, name);
  return {
    ...base,
    platform: 'linux',
    localCertsDir: d('local'),
    updateArgs: [
      ...['--certsconf', d('ca-certificates.conf'), '--certsdir', d('share')],
      ...['--localcertsdir', d('local'), '--etccertsdir', d('certs'), '--hooksdir', d('hooks')],
    ],
    keychain: d('keychain'),
    prepare: () => prepareThrowAwayStore(o.storeDir!),
  };
}

/** Makes the folders and files a throw-away store's update command expects. */
export async function prepareThrowAwayStore(storeDir: string): Promise<void> {
  for (const name of ['local', 'share', 'certs', 'hooks'])
    await mkdir(path.join(storeDir, name), { recursive: true, mode: 0o755 });
  await writeFile(path.join(storeDir, 'ca-certificates.conf'), '', { flag: 'a' });
}

/** The checked facts of a Dusty CA. */
export interface DustyCa {
  pem: string;
  subject: string;
  fingerprint: string;
  permitted: string[];
}

/** Why `pem` is not Dusty's CA certificate, as a thrown Error; its facts otherwise. */
export function checkDustyCa(pem: string): DustyCa {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1)
    throw new Error(`expected exactly one PEM certificate, got ${blocks.length}`);
  if (/PRIVATE KEY/.test(pem)) throw new Error('the text holds a private key; send only the CA');
  const cert = new X509Certificate(blocks[0]);
  const subject = Object.fromEntries(
    cert.subject.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  if (subject.O !== CA_ORGANIZATION || !subject.CN?.startsWith(CA_COMMON_NAME_PREFIX))
    throw new Error(`not Dusty's CA: its subject is ${cert.subject.replace(/\n/g, ', ')}`);
  if (!cert.ca) throw new Error('not a CA certificate');
  if (!cert.checkIssued(cert) || !cert.verify(cert.publicKey))
    throw new Error('not a self-signed certificate');
  const asn = AsnConvert.parse(cert.raw, Certificate);
  const ext = asn.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_nameConstraints);
  if (!ext?.critical) throw new Error('it has no critical name constraints');
  const nc = AsnConvert.parse(ext.extnValue.buffer, NameConstraints);
  const permitted = nc.permittedSubtrees ?? [];
  if (!permitted.length) throw new Error('its name constraints permit every name');
  const names: string[] = [];
  for (const t of permitted) {
    if (t.base.dNSName === undefined)
      throw new Error('its name constraints permit something other than DNS names');
    const problem = permittedSuffixProblem(t.base.dNSName);
    if (problem) throw new Error(`its name constraints are too wide: ${problem}`);
    names.push(t.base.dNSName);
  }
  return {
    pem: blocks[0] + '\n',
    subject: cert.subject.replace(/\n/g, ', '),
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    permitted: names,
  };
}

/** A fresh folder for a copy of the CA that certutil or security reads (the owner may need to). */
async function tempCopy(pem: string): Promise<{ file: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dusty-ca-'));
  await chmod(dir, 0o755);
  const file = path.join(dir, `${CA_STORE_NAME}.pem`);
  await writeFile(file, pem, { mode: 0o644, flag: 'wx' });
  return { file, done: () => rm(dir, { recursive: true, force: true }) };
}

/** A whole file or none, readable by everyone (certificates only). */
async function writePublic(file: string, text: string) {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode: 0o644, flag: 'wx' });
  await chmod(tmp, 0o644);
  await rename(tmp, file);
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * NSS databases of the owner's browsers: Chromium's shared one (made when
 * missing, since Chromium reads it from its first start) and every Firefox
 * profile's (also the snap's).
 */
export async function nssDatabases(home: string, platform: NodeJS.Platform): Promise<string[]> {
  const dbs = [path.join(home, '.pki', 'nssdb')];
  const firefox =
    platform === 'darwin'
      ? [path.join(home, 'Library', 'Application Support', 'Firefox', 'Profiles')]
      : [
          path.join(home, '.mozilla', 'firefox'),
          path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
        ];
  for (const dir of firefox) {
    const profiles = await readdir(dir).catch(() => [] as string[]);
    for (const p of profiles.sort())
      if (await exists(path.join(dir, p, 'cert9.db'))) dbs.push(path.join(dir, p));
  }
  return dbs;
}

export interface TrustResult {
  /** What holds the CA now (files, keychains, NSS databases). */
  stores: string[];
  /** What was not done and why (no certutil, an unreadable profile). */
  skipped: string[];
}

export class TrustStore {
  constructor(private readonly o: TrustStoreOptions) {}

  /** The checked path of a program from the fixed table, never from PATH. */
  private program(name: SystemProgram): string {
    return requireProgram(name, { platform: this.o.platform, ...this.o.programs });
  }

  private async run(name: SystemProgram, args: string[], asOwner = false) {
    const command = this.program(name);
    const r = await this.o.runner.run(command, args, asOwner ? { ...this.o.nssUser } : {});
    if (r.code !== 0)
      throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r;
  }

  /** Adds the CA (checked to be Dusty's) to the system store and the owner's NSS databases. */
  async install(pem: string): Promise<TrustResult> {
    const ca = checkDustyCa(pem);
    // A missing or untrusted program is found before anything changes.
    this.program(this.o.platform === 'darwin' ? 'security' : 'update-ca-certificates');
    await this.o.prepare?.();
    const out: TrustResult = { stores: [], skipped: [] };
    if (this.o.platform === 'darwin') {
      await this.removeFromKeychain();
      const copy = await tempCopy(ca.pem);
      try {
        await this.run('security', [
          'add-trusted-cert',
          '-d',
          '-r',
          'trustRoot',
          '-k',
          this.o.keychain,
          copy.file,
        ]);
      } finally {
        await copy.done();
      }
      out.stores.push(this.o.keychain);
    } else {
      const file = path.join(this.o.localCertsDir, `${CA_STORE_NAME}.crt`);
      await mkdir(this.o.localCertsDir, { recursive: true, mode: 0o755 });
      await writePublic(file, ca.pem);
      await this.run('update-ca-certificates', this.o.updateArgs);
      out.stores.push(file);
    }
    await this.eachNssDb(
      out,
      async (certutil, db, file) => {
        await this.nssDelete(certutil, db);
        await this.run(
          'certutil',
          ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', CA_STORE_NAME, '-i', file],
          true,
        );
      },
      ca.pem,
    );
    return out;
  }

  /** Takes Dusty's CA out of every store it was put in. */
  async remove(): Promise<TrustResult> {
    await this.o.prepare?.();
    const out: TrustResult = { stores: [], skipped: [] };
    if (this.o.platform === 'darwin') {
      if (await this.removeFromKeychain()) out.stores.push(this.o.keychain);
    } else {
      const file = path.join(this.o.localCertsDir, `${CA_STORE_NAME}.crt`);
      if (await exists(file)) {
        this.program('update-ca-certificates');
        await rm(file, { force: true });
        await this.run('update-ca-certificates', [...this.o.updateArgs, '--fresh']);
        out.stores.push(file);
      }
    }
    await this.eachNssDb(out, async (certutil, db) => {
      if (await this.nssDelete(certutil, db)) out.stores.push(db);
    });
    return out;
  }

  /** Deletes every certificate nicknamed Dusty's from one database; true when there was one. */
  private async nssDelete(certutil: string, db: string): Promise<boolean> {
    let any = false;
    for (let i = 0; i < 10; i++) {
      const r = await this.o.runner.run(certutil, ['-d', `sql:${db}`, '-D', '-n', CA_STORE_NAME], {
        ...this.o.nssUser,
      });
      if (r.code !== 0) break;
      any = true;
    }
    return any;
  }

  private async eachNssDb(
    out: TrustResult,
    step: (certutil: string, db: string, file: string) => Promise<void>,
    pem?: string,
  ) {
    let certutil: string | null;
    try {
      certutil = trustedProgram('certutil', { platform: this.o.platform, ...this.o.programs });
    } catch (e) {
      out.skipped.push(`browser profiles: ${(e as Error).message}`);
      return;
    }
    if (!certutil) {
      out.skipped.push(
        'browser profiles: certutil is not installed (Debian: libnss3-tools; macOS: nss)',
      );
      return;
    }
    const copy = await tempCopy(pem ?? '');
    const file = copy.file;
    try {
      for (const home of this.o.nssHomes) {
        for (const db of await nssDatabases(home, this.o.platform)) {
          try {
            if (!(await exists(db))) {
              if (!pem) continue;
              await this.run('mkdir', ['-p', db], true);
              await this.run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], true);
            }
            await step(certutil, db, file);
            if (pem) out.stores.push(db);
          } catch (e) {
            out.skipped.push(`${db}: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      await copy.done();
    }
  }

  /** Deletes Dusty's CAs from the keychain, found by name; true when there was one. */
  private async removeFromKeychain(): Promise<boolean> {
    const found = await this.o.runner.run(this.program('security'), [
      'find-certificate',
      '-a',
      '-c',
      CA_COMMON_NAME_PREFIX,
      '-Z',
      this.o.keychain,
    ]);
    const hashes = [...found.stdout.matchAll(/SHA-1 hash:\s*([0-9A-F]{40})/gi)].map((m) => m[1]!);
    for (const h of hashes)
      await this.run('security', ['delete-certificate', '-Z', h, '-t', this.o.keychain]);
    return hashes.length > 0;
  }
}

/** The owner's home from the passwd file (the helper runs as root, with root's HOME). */
export function homeOfUid(uid: number, passwd = '/etc/passwd'): string | undefined {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && Number(f[2]) === uid) return f[5];
  }
  return undefined;
}
