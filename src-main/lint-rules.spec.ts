/**
 * The lint step's structural rules can fail: real files are planted in the
 * tree and run through ESLint with the project's own configuration.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside engine/ so the files fall under the project's tsconfig and the engine's layer rule.
const dir = join(root, 'src-main', 'engine', `zz-lint-probe-${process.pid}`);

const files: Record<string, string> = {
  'a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n",
  'b.ts':
    "import { a } from './a.js';\nexport const b = (): number => (Date.now() < 0 ? a() : 0);\n",
  'long.ts': `export function long(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(99)}  return n;\n}\n`,
  'short.ts': `export function short(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(96)}  return n;\n}\n`,
  'upward.ts': "import * as program from '../../cli/output.js';\nexport const p = program;\n",
};

// The lowest layer, platform, reaching up into engine (the one layer the engine probe cannot show).
const platformDir = join(root, 'src-main', 'platform', `zz-lint-probe-${process.pid}`);
const platformFiles: Record<string, string> = {
  'into-engine.ts':
    "import { DustyError } from '../../engine/errors.js';\nexport const e = new DustyError('error', 'x');\n",
};

let results: Map<string, string[]>;
let platformResults: Map<string, string[]>;

beforeAll(async () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (folder: string, planted: Record<string, string>) => {
    mkdirSync(folder, { recursive: true });
    for (const [name, text] of Object.entries(planted)) writeFileSync(join(folder, name), text);
    const out = await eslint.lintFiles(Object.keys(planted).map((f) => join(folder, f)));
    return new Map(
      out.map((r) => [
        r.filePath.slice(folder.length + 1),
        r.messages.map((m) => m.ruleId ?? m.message),
      ]),
    );
  };
  results = await lint(dir, files);
  platformResults = await lint(platformDir, platformFiles);
}, 120_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(platformDir, { recursive: true, force: true });
});

describe('lint rules', () => {
  it('fails on an import cycle, in both files of the loop', () => {
    expect(results.get('a.ts')).toContain('import-x/no-cycle');
    expect(results.get('b.ts')).toContain('import-x/no-cycle');
  });

  it('fails on a function over 100 lines, and not on one of 100', () => {
    expect(results.get('long.ts')).toContain('max-lines-per-function');
    expect(results.get('short.ts')).toEqual([]);
  });

  it('fails on an import against the layers (engine reaching up into cli)', () => {
    expect(results.get('upward.ts')).toContain('no-restricted-imports');
  });

  it('fails on platform importing engine: platform is the lowest layer, with no exception', () => {
    expect(platformResults.get('into-engine.ts')).toContain('no-restricted-imports');
  });
});
