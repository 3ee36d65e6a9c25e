/**
 * Entry point of the installed helper (what the systemd unit or launchd
 * plist runs): `node serve-main.js --owner UID`. Kept free of the CLI's
 * dependencies so the installed copy needs only zod.
 */
import { helperOptionsFromEnv, serveHelper } from './server.js';

/** Reads `--owner UID` (or `--owner=UID`) from argv; null when absent or not a uid. */
export function ownerFromArgv(argv: readonly string[]): number | null {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const value = arg.startsWith('--owner=')
      ? arg.slice(8)
      : arg === '--owner'
        ? argv[i + 1]
        : undefined;
    if (value !== undefined) return /^\d+$/.test(value) ? Number(value) : null;
  }
  return null;
}

async function main(): Promise<void> {
  const owner = ownerFromArgv(process.argv.slice(2));
  if (owner === null) {
    process.stderr.write('usage: serve-main.js --owner UID\n');
    process.exit(2);
  }
  const helper = await serveHelper(helperOptionsFromEnv(process.env, owner));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void helper.close());
  }
  await helper.closed;
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`dusty-helper: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
