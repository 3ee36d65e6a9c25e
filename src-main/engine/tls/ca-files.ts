/**
 * Reading the CA and the router's certificate with node:crypto alone, so a
 * no-op `up` (and `dusty https status`, the dashboard, `dump`) checks them
 * without loading the X.509 library (@peculiar/x509 and its dependencies
 * take a few hundred milliseconds to import); `./ca.js` and
 * `./name-constraints.js`, which have it, are imported only when needed.
 *
 * node:crypto cannot read name constraints, so the suffixes a CA permits are
 * kept beside it (ca-permitted.json) under the CA's fingerprint when it is
 * made; a CA without that note (made by an older Dusty) is read once with
 * the library and the note written.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suffixCovers } from '../../../src-shared/tls.js';
import { writeFileAtomic } from '../state/files.js';
import type { TlsPaths } from './paths.js';

/** What a person (and `dump`) may know about the CA. */
export interface CaInfo {
  pem: string;
  subject: string;
  /** SHA-256 of the DER certificate, hex. */
  fingerprint: string;
  /** The dNSName suffixes the name constraints permit. */
  permitted: string[];
  notAfter: Date;
}

export const DAY = 86_400_000;
/** A certificate this close to its end is replaced at the next `up`. */
export const RENEW_DAYS = 30;

export const readText = (path: string): Promise<string | undefined> =>
  readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });

const permittedNote = (paths: TlsPaths) => join(paths.dir, 'ca-permitted.json');

/** Notes the suffixes a CA permits, under its fingerprint. */
export async function notePermitted(paths: TlsPaths, ca: CaInfo): Promise<void> {
  const text = JSON.stringify({ fingerprint: ca.fingerprint, permitted: ca.permitted });
  await writeFileAtomic(permittedNote(paths), text + '\n', 0o644);
}

async function notedPermitted(paths: TlsPaths, fingerprint: string) {
  try {
    const note = JSON.parse((await readText(permittedNote(paths))) ?? '{}') as {
      fingerprint?: unknown;
      permitted?: unknown;
    };
    const ok =
      note.fingerprint === fingerprint &&
      Array.isArray(note.permitted) &&
      note.permitted.every((p) => typeof p === 'string');
    return ok ? (note.permitted as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The facts of a certificate that node:crypto reads, in the form `CaInfo` gives them. */
export function certFacts(pem: string): Omit<CaInfo, 'permitted'> & { cert: X509Certificate } {
  const cert = new X509Certificate(pem);
  return {
    cert,
    pem,
    subject: cert.subject.replace(/\n/g, ', '),
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    notAfter: new Date(cert.validTo),
  };
}

/** The CA as it is on disk, or undefined when there is none yet. */
export async function readCa(paths: TlsPaths): Promise<CaInfo | undefined> {
  const pem = await readText(paths.caCert);
  if (!pem) return undefined;
  const { cert: _cert, ...facts } = certFacts(pem);
  let permitted = await notedPermitted(paths, facts.fingerprint);
  if (!permitted) {
    // A CA from before the note: read once with the library.
    const { permittedOfPem } = await import('./name-constraints.js');
    permitted = permittedOfPem(pem);
    await notePermitted(paths, { ...facts, permitted }).catch(() => undefined);
  }
  return { ...facts, permitted };
}

/** The DNS names a certificate is for, from node:crypto's `DNS:a, DNS:b` form. */
export function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
}

const sameNames = (a: readonly string[], b: readonly string[]) => {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((n, i) => n === sb[i]);
};

/** True when the router's certificate is for exactly these names, from this CA, with its key, and not near its end. */
export async function leafCurrent(
  paths: TlsPaths,
  ca: CaInfo,
  names: readonly string[],
  now = Date.now(),
): Promise<boolean> {
  const [pem, key] = await Promise.all([readText(paths.leafCert), readText(paths.leafKey)]);
  if (!pem || !key) return false;
  try {
    const leaf = new X509Certificate(pem);
    const caCert = new X509Certificate(ca.pem);
    return (
      // A crash between writing the key and the certificate leaves a pair that does not match.
      leaf.checkPrivateKey(createPrivateKey(key)) &&
      sameNames(dnsNames(leaf), names) &&
      new Date(leaf.validFrom).getTime() <= now &&
      new Date(leaf.validTo).getTime() > now + RENEW_DAYS * DAY &&
      leaf.checkIssued(caCert) &&
      leaf.verify(caCert.publicKey)
    );
  } catch {
    return false;
  }
}

/** True when this CA can go on signing: its key is there and it is not near its end. */
export async function caUsable(paths: TlsPaths, ca: CaInfo, now = Date.now()): Promise<boolean> {
  const key = await readText(paths.caKey);
  return !!key && ca.notAfter.getTime() > now + RENEW_DAYS * DAY;
}

/** The host names the router's certificate is for: each one the CA may sign for, once, sorted. */
export function leafNamesFor(ca: CaInfo, hostNames: readonly string[]): string[] {
  return [...new Set(hostNames.map((n) => n.toLowerCase()))]
    .filter((n) => ca.permitted.some((p) => suffixCovers(p, n)))
    .sort();
}

/** The suffixes the specs need that the CA may not sign for. */
export function outsideSuffixes(ca: CaInfo, suffixes: readonly string[]): string[] {
  return suffixes.filter((s) => !ca.permitted.some((p) => suffixCovers(p, s)));
}
