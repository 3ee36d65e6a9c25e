/**
 * Entry point of the installed helper (what the systemd unit or launchd
 * plist runs): `node serve-main.js --owner UID`. Kept free of the CLI's
 * dependencies so the installed copy needs only zod.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkTrustedFile, checkTrustedFolders } from '../platform/trusted-path.js';
import { ownerFromArgv } from './serve-main-args.js';
import { helperOptionsFromEnv, serveHelper } from './server.js';

async function main(): Promise<void> {
  const owner = ownerFromArgv(process.argv.slice(2));
  if (owner === null) {
    process.stderr.write('usage: serve-main.js --owner UID\n');
    process.exit(2);
  }
  if (process.getuid?.() === 0) {
    // Root runs only a copy root alone can change (what `dusty setup` installs).
    checkTrustedFolders(path.dirname(fileURLToPath(import.meta.url)));
    checkTrustedFile(process.execPath);
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
