/**
 * What `up` does for HTTPS: make the CA when there is none, issue the
 * router's certificate for the active names, and say what a person must do
 * (trust the CA; re-create it when the specs moved outside its suffixes).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Specs } from '../../../src-shared/specs/schema.js';
import { shellQuote as q } from '../../../src-shared/shell-quote.js';
import { CA_STORE_NAME, hostSuffixes, uncoverable } from '../../../src-shared/tls.js';
import { writeFileAtomic } from '../state/files.js';
import {
  caUsable,
  leafCurrent,
  leafNamesFor,
  outsideSuffixes,
  readCa,
  type CaInfo,
} from './ca-files.js';
import { tlsPaths, type TlsPaths } from './paths.js';

/** Every host name of every app in the specs, active or not: the CA is made for all of them. */
export function specHostNames(specs: Specs): string[] {
  return Object.values(specs.apps).flatMap(({ spec }) =>
    spec.host_forwarding.map((f) => f.host_name),
  );
}

export interface RouterTlsResult {
  ca: CaInfo;
  caCreated: boolean;
  /** True when the router's certificate was issued anew (a running router must reload). */
  leafChanged: boolean;
  warnings: string[];
}

const trustStamp = (paths: TlsPaths) => join(paths.dir, 'trusted');

/** Debian's bundle of the system store, which `update-ca-certificates` writes. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * True when this CA was trusted through Dusty (its fingerprint recorded
 * after trust.install) or is in the system bundle (trusted by hand).
 */
export async function caTrusted(paths: TlsPaths, ca: CaInfo): Promise<boolean> {
  if ((await readFile(trustStamp(paths), 'utf8').catch(() => '')).trim() === ca.fingerprint)
    return true;
  const body = ca.pem.replace(/-----[^-]+-----|\s/g, '');
  const bundle = await readFile(SYSTEM_BUNDLE, 'utf8').catch(() => '');
  return bundle.replace(/\s/g, '').includes(body);
}

/** The one command that trusts the CA without the helper, for this platform. */
export function manualTrustCommand(caFile: string, platform = process.platform): string {
  if (platform === 'darwin')
    return `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${q(caFile)}`;
  return `sudo sh -c ${q(`cp ${q(caFile)} /usr/local/share/ca-certificates/${CA_STORE_NAME}.crt && update-ca-certificates`)}`;
}

export function untrustedMessage(paths: TlsPaths): string {
  return (
    "Dusty's local CA is not trusted yet, so browsers warn on the https URLs. Trust it with " +
    '`dusty https trust` (through the helper; `dusty setup` installs it), or run: ' +
    manualTrustCommand(paths.caCert)
  );
}

export async function recordTrust(paths: TlsPaths, ca: CaInfo | undefined): Promise<void> {
  await writeFileAtomic(trustStamp(paths), ca ? `${ca.fingerprint}\n` : '', 0o644);
}

export function outsideMessage(outside: string[], ca: CaInfo): string {
  return (
    `the specs use host names under ${outside.join(', ')}, outside what Dusty's CA may sign for ` +
    `(${ca.permitted.join(', ')}): their https URLs are served with a certificate browsers refuse. ` +
    'Run `dusty https recreate` to make a CA for every suffix and trust it again.'
  );
}

/**
 * Prepares the router's TLS files for `tlsNames` (the active names served
 * over TLS). Trusting the CA is the person's decision (`dusty https trust`):
 * until it is trusted, every `up` says how.
 */
export async function prepareRouterTls(
  home: string,
  specs: Specs,
  tlsNames: string[],
): Promise<RouterTlsResult> {
  const paths = tlsPaths(home);
  const suffixes = hostSuffixes(specHostNames(specs));
  // The X.509 library (./ca.js) is loaded only when something must be issued.
  let ca = await readCa(paths);
  let created = false;
  if (!ca || !(await caUsable(paths, ca))) {
    ca = await (await import('./ca.js')).createCa(paths, suffixes);
    created = true;
  }
  const outside = created ? [] : outsideSuffixes(ca, suffixes);
  const warnings: string[] = [];
  if (outside.length) warnings.push(outsideMessage(outside, ca));
  const single = uncoverable(tlsNames);
  if (single.length)
    warnings.push(
      `${single.join(', ')}: a single-label host name cannot have a trusted certificate (no CA may sign for a top-level name); use a name under .test or .localhost`,
    );
  const names = leafNamesFor(ca, tlsNames);
  const leafChanged = !(await leafCurrent(paths, ca, names));
  if (leafChanged) await (await import('./ca.js')).issueLeaf(paths, ca, names);
  if (!(await caTrusted(paths, ca))) warnings.push(untrustedMessage(paths));
  return { ca, caCreated: created, leafChanged, warnings };
}
