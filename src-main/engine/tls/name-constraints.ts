/**
 * Reading a CA certificate's name constraints, which node:crypto cannot:
 * with the X.509 library, so ca-files.ts imports this module lazily (and
 * ca.ts, which issues certificates, imports it outright).
 */
// tsyringe, which @peculiar/x509 uses, needs the Reflect metadata API first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';

x509.cryptoProvider.set(webcrypto as never);

/** The dNSName suffixes a certificate's name constraints permit (empty when it has none). */
export function permittedSuffixes(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(id_ce_nameConstraints);
  if (!ext) return [];
  const nc = AsnConvert.parse(ext.value, NameConstraints);
  return (nc.permittedSubtrees ?? []).flatMap((t) => (t.base.dNSName ? [t.base.dNSName] : []));
}

/** The dNSName suffixes the name constraints of a PEM certificate permit. */
export function permittedOfPem(pem: string): string[] {
  return permittedSuffixes(new x509.X509Certificate(pem));
}
