/** Leaving secrets out of what people paste into bug reports. */

export const REDACTED = '<redacted>';

/** Removes credentials from URLs (`https://user:token@host` → `https://<redacted>@host`) and secret query parameters. */
export function redactUrls(text: string): string {
  return text
    .replace(
      /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(:[^\s/@]*)?@/gi,
      (_m, scheme: string) => `${scheme}${REDACTED}@`,
    )
    .replace(
      /([?&;](?:access_token|token|auth|password|passwd|pwd|secret|key|api_key|apikey|private_token)=)[^&\s#;]+/gi,
      `$1${REDACTED}`,
    );
}

/** Removes `NAME=value` assignments whose name says they hold a secret. */
export function redactSecretAssignments(text: string): string {
  return text.replace(
    /\b([A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIALS?)[A-Za-z0-9_]*)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi,
    `$1$2${REDACTED}`,
  );
}

/** Removes PEM private-key blocks (the CA's or the router's key pasted into a log or an asset). */
export function redactPrivateKeys(text: string): string {
  return text.replace(
    /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    `-----BEGIN $1PRIVATE KEY----- ${REDACTED}`,
  );
}

/**
 * Everything a dump prints goes through this: URL credentials, secret-looking
 * assignments, and every known secret value (env override values, asset
 * contents) wherever it appears. Values shorter than 4 characters are not
 * searched for, since they would blank out unrelated text.
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const values = [...new Set([...secrets].map((s) => s.trim()).filter((s) => s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  for (const v of values) out = out.split(v).join(REDACTED);
  return redactSecretAssignments(redactUrls(redactPrivateKeys(out)));
}
