/**
 * What makes a certificate authority Dusty's: the facts the CLI uses to make
 * it and the privileged helper uses to refuse any other certificate.
 */

/** The subject's organisation of every Dusty CA. */
export const CA_ORGANIZATION = 'Dusty';
/** The start of the subject's common name of every Dusty CA. */
export const CA_COMMON_NAME_PREFIX = 'Dusty local CA';
/** Suffixes every Dusty CA may sign for, whatever the specs say (RFC 6761 names). */
export const ALWAYS_PERMITTED = ['localhost', 'test'] as const;
/** The file name the CA gets in system stores, and the nickname in NSS databases. */
export const CA_STORE_NAME = 'dusty-local-ca';

const lower = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** True when a dNSName name constraint `suffix` permits `name` (RFC 5280: the name itself or below it). */
export function suffixCovers(suffix: string, name: string): boolean {
  const s = lower(suffix);
  const n = lower(name);
  return n === s || n.endsWith(`.${s}`);
}

/**
 * Why a permitted suffix is not acceptable for a Dusty CA, or null: a single
 * label other than `localhost` and `test` (a top-level domain such as `com`)
 * would let the CA sign for a whole part of the real internet.
 */
export function permittedSuffixProblem(suffix: string): string | null {
  const s = lower(suffix);
  if (!s) return 'an empty name constraint permits every name';
  if ((ALWAYS_PERMITTED as readonly string[]).includes(s)) return null;
  if (!s.includes('.')) return `"${s}" is a top-level name`;
  if (!/^[a-z0-9.-]+$/.test(s) || s.split('.').some((l) => !l)) return `"${s}" is not a DNS name`;
  return null;
}

/**
 * The suffixes a CA needs for these host names: a name of three or more
 * labels gives its parent domain (`local.app.com` gives `app.com`, so the
 * app's other names need no new CA), a two-label name gives itself. Names
 * under `localhost` and `test` need nothing more; single-label names cannot
 * be covered safely and are left out (see {@link uncoverable}).
 */
export function hostSuffixes(hostNames: Iterable<string>): string[] {
  const out = new Set<string>(ALWAYS_PERMITTED);
  for (const raw of hostNames) {
    const name = lower(raw);
    if ([...out].some((s) => suffixCovers(s, name))) continue;
    const labels = name.split('.');
    if (labels.length < 2) continue;
    out.add(labels.length >= 3 ? labels.slice(1).join('.') : name);
  }
  // A suffix below another one adds nothing.
  return [...out]
    .filter((s) => ![...out].some((t) => t !== s && suffixCovers(t, s)))
    .sort((a, b) => a.localeCompare(b));
}

/** Host names no Dusty CA can sign for (single labels such as `myapp`). */
export function uncoverable(hostNames: Iterable<string>): string[] {
  return [...new Set([...hostNames].map(lower))].filter(
    (n) => !n.includes('.') && !(ALWAYS_PERMITTED as readonly string[]).includes(n),
  );
}
