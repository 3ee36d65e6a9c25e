/**
 * `dusty https ...`: the CA for tools, trusting it through the helper (or
 * the one command that does it without), and re-creating it when the specs
 * moved outside its suffixes.
 */
import { rm } from 'node:fs/promises';
import { hostSuffixes, suffixCovers } from '../../../src-shared/tls.js';
import type { HelperClient } from '../../platform/helper-client.js';
import type { Project } from '../project.js';
import { readCa, type CaInfo } from './ca-files.js';
import { tlsPaths } from './paths.js';
import { caTrusted, manualTrustCommand, recordTrust, specHostNames } from './router-tls.js';

/** The suffixes the specs need; only `localhost` and `test` when there are no readable specs. */
async function specSuffixes(project: Project): Promise<string[]> {
  try {
    return hostSuffixes(specHostNames((await project.validate()).specs));
  } catch {
    return hostSuffixes([]);
  }
}

/** The CA, made now when there is none. */
export async function currentCa(project: Project): Promise<CaInfo> {
  const { ensureCa } = await import('./ca.js');
  return (await ensureCa(tlsPaths(project.store.home), await specSuffixes(project))).ca;
}

export interface HttpsStatus {
  ca: CaInfo | undefined;
  trusted: boolean;
  /** Suffixes the specs need that the CA may not sign for. */
  outside: string[];
  caFile: string;
}

export async function httpsStatus(project: Project): Promise<HttpsStatus> {
  const paths = tlsPaths(project.store.home);
  const ca = await readCa(paths);
  const needed = await specSuffixes(project);
  return {
    ca,
    trusted: ca ? await caTrusted(paths, ca) : false,
    outside: ca ? needed.filter((s) => !ca.permitted.some((p) => suffixCovers(p, s))) : [],
    caFile: paths.caCert,
  };
}

export type TrustOutcome =
  { how: 'helper'; stores: string[]; skipped: string[] } | { how: 'manual'; command: string };

/** Trusts the CA through the helper; without it, gives the one command that does. */
export async function trustCa(
  project: Project,
  helper: Pick<HelperClient, 'available' | 'call'>,
): Promise<TrustOutcome> {
  const paths = tlsPaths(project.store.home);
  const ca = await currentCa(project);
  if (!(await helper.available()))
    return { how: 'manual', command: manualTrustCommand(paths.caCert) };
  const r = await helper.call('trust.install', { pem: ca.pem });
  await recordTrust(paths, ca);
  return { how: 'helper', ...r };
}

/** Takes Dusty's CA out of the stores through the helper. */
export async function untrustCa(
  project: Project,
  helper: Pick<HelperClient, 'available' | 'call'>,
) {
  const r = await helper.call('trust.remove', {});
  await recordTrust(tlsPaths(project.store.home), undefined);
  return r;
}

/**
 * A new CA for every suffix the specs use now. The router's certificate goes
 * with the old one (the next `up` issues another), and a CA that was trusted
 * through the helper is replaced there too.
 */
export async function recreateCa(
  project: Project,
  helper: Pick<HelperClient, 'available' | 'call'>,
): Promise<{ ca: CaInfo; trust: TrustOutcome }> {
  const paths = tlsPaths(project.store.home);
  const { createCa } = await import('./ca.js');
  const ca = await createCa(paths, await specSuffixes(project));
  await Promise.all([
    rm(paths.leafCert, { force: true }),
    rm(paths.leafKey, { force: true }),
    recordTrust(paths, undefined),
  ]);
  return { ca, trust: await trustCa(project, helper) };
}
