/**
 * The person's local certificate authority and the router's certificate.
 *
 * The CA lives in DUSTY_HOME/tls (its key mode 600, in a folder mode 700 that
 * nothing mounts, dumps or backs up). Its certificate carries X.509 name
 * constraints: it can only sign for the specs' host-name suffixes and
 * `localhost` and `test`, and for no IP address, so a leaked key cannot
 * impersonate real sites. The router gets one leaf certificate for every
 * active host name, in a folder of its own (DUSTY_HOME/tls/router).
 */
// tsyringe, which @peculiar/x509 uses, needs the Reflect metadata API first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  NameConstraints,
  id_ce_nameConstraints,
} from '@peculiar/asn1-x509';
import { CA_COMMON_NAME_PREFIX, CA_ORGANIZATION } from '../../../src-shared/tls.js';
import { writeFileAtomic } from '../state/files.js';
import type { TlsPaths } from './paths.js';
import {
  caUsable,
  certFacts,
  DAY,
  leafCurrent,
  leafNamesFor,
  notePermitted,
  outsideSuffixes,
  readCa,
  type CaInfo,
} from './ca-files.js';

import { permittedSuffixes } from './name-constraints.js';

export { tlsPaths, type TlsPaths } from './paths.js';
export { permittedOfPem, permittedSuffixes } from './name-constraints.js';
export { readCa, type CaInfo } from './ca-files.js';

// Node's webcrypto is the standard API; only its type declarations differ from the DOM's.
x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Long enough to trust once; a CA is not limited by browsers' leaf rules. */
const CA_DAYS = 3650;
/** Browsers refuse leaves valid for more than 398 days; 90 is what public CAs move to. */
export const LEAF_DAYS = 90;

const serial = () => {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // a positive INTEGER
  return b.toString('hex');
};

const keyPem = async (key: webcrypto.CryptoKey) =>
  x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n';

function nameConstraints(suffixes: readonly string[]): x509.Extension {
  const subtree = (name: GeneralName) => new GeneralSubtree({ base: name });
  const nc = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees(
      suffixes.map((s) => subtree(new GeneralName({ dNSName: s }))),
    ),
    // No IP address at all: the router is reached by name.
    excludedSubtrees: new GeneralSubtrees([
      subtree(new GeneralName({ iPAddress: '0.0.0.0/0' })),
      subtree(new GeneralName({ iPAddress: '::/0' })),
    ]),
  });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(nc));
}

/** Makes a new CA for these suffixes, replacing any before it (and so its router certificate). */
export async function createCa(paths: TlsPaths, suffixes: readonly string[]): Promise<CaInfo> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  let who = 'unknown';
  try {
    who = `${userInfo().username}@${hostname()}`;
  } catch {
    // No passwd entry (some containers): the name is only for people to read.
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [`${CA_COMMON_NAME_PREFIX} (${who})`] }, { O: [CA_ORGANIZATION] }],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + CA_DAYS * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      nameConstraints(suffixes),
    ],
  });
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  // The key first: a certificate without its key would look like a usable CA.
  await writeFileAtomic(paths.caKey, await keyPem(keys.privateKey), 0o600);
  const pem = cert.toString('pem') + '\n';
  const { cert: _cert, ...facts } = certFacts(pem);
  const ca = { ...facts, permitted: permittedSuffixes(cert) };
  await notePermitted(paths, ca);
  await writeFileAtomic(paths.caCert, pem, 0o644);
  return ca;
}

export interface EnsureCaResult {
  ca: CaInfo;
  created: boolean;
  /** Suffixes the specs need that the existing CA's name constraints do not permit. */
  outside: string[];
}

/**
 * The CA, made when there is none (or its key is gone, or it has expired). An
 * existing CA is kept even when the specs need suffixes outside it: replacing
 * it would need trusting again, which the person decides (`dusty https
 * recreate`).
 */
export async function ensureCa(
  paths: TlsPaths,
  suffixes: readonly string[],
): Promise<EnsureCaResult> {
  const ca = await readCa(paths);
  if (ca && (await caUsable(paths, ca))) {
    return { ca, created: false, outside: outsideSuffixes(ca, suffixes) };
  }
  return { ca: await createCa(paths, suffixes), created: true, outside: [] };
}

async function loadCaKey(paths: TlsPaths): Promise<webcrypto.CryptoKey> {
  const pem = await readFile(paths.caKey, 'utf8');
  const [der] = x509.PemConverter.decode(pem);
  if (!der) throw new Error(`${paths.caKey} holds no key`);
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

export interface LeafResult {
  created: boolean;
  names: string[];
}

/**
 * The router's certificate for these host names: reused while the names and
 * the CA are unchanged, issued anew otherwise. Only names the CA may sign for
 * are given; a certificate naming others would be refused whole.
 */
export async function ensureLeaf(
  paths: TlsPaths,
  ca: CaInfo,
  hostNames: readonly string[],
): Promise<LeafResult> {
  const names = leafNamesFor(ca, hostNames);
  if (await leafCurrent(paths, ca, names)) return { created: false, names };
  await issueLeaf(paths, ca, names);
  return { created: true, names };
}

/** Issues the router's certificate for exactly these names (each one the CA may sign for). */
export async function issueLeaf(paths: TlsPaths, ca: CaInfo, names: string[]): Promise<void> {
  const caCert = new x509.X509Certificate(ca.pem);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [names[0] ?? 'dusty-router'] }, { O: [CA_ORGANIZATION] }],
    issuer: caCert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + LEAF_DAYS * DAY),
    publicKey: keys.publicKey,
    signingKey: await loadCaKey(paths),
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => ({ type: 'dns' as const, value })),
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  await mkdir(paths.routerDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.leafKey, await keyPem(keys.privateKey), 0o600);
  await writeFileAtomic(paths.leafCert, leaf.toString('pem') + '\n', 0o644);
}
