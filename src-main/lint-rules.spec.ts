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

let results: Map<string, string[]>;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const eslint = new ESLint({ cwd: root });
  const out = await eslint.lintFiles(Object.keys(files).map((f) => join(dir, f)));
  results = new Map(
    out.map((r) => [
      r.filePath.slice(dir.length + 1),
      r.messages.map((m) => m.ruleId ?? m.message),
    ]),
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
});
