/**
 * Dusty's version, read from its package.json. The same code runs from the
 * source tree, from dist/, from the helper's installed copy and from a packaged
 * app, so the file is looked for in the folders above this one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function dustyVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      // The helper's installed copy names itself dusty-helper.
      if ((pkg.name === 'dusty' || pkg.name === 'dusty-helper') && typeof pkg.version === 'string')
        return (cached = pkg.version);
    } catch {
      // not here; look one folder up
    }
    dir = dirname(dir);
  }
  return (cached = 'unknown');
}
