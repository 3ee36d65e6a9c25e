/** Argument parsing of serve-main, apart so it can be tested without starting a helper. */

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
