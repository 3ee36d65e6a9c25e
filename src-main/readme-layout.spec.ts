/** The README's layout table is the map a newcomer reads first: it must name every folder there is, and none that is gone. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folders the "## Layout" table lists, as written in its first column (`src-main/engine/`). */
function layoutTableFolders(readme: string): string[] {
  const section = readme.split(/^## Layout$/m)[1]?.split(/^## /m)[0] ?? '';
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => /^\| `([^`]+)`/.exec(l)![1]!.replace(/\/$/, ''));
}

/** Sub-folders of `dir` (relative to the root) that git does not ignore. */
function folders(dir: string): string[] {
  const names = readdirSync(join(root, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== '.git')
    .map((e) => (dir ? `${dir}/${e.name}` : e.name));
  if (!names.length) return [];
  // `git check-ignore` prints the ignored ones (node_modules, dist, a test's leftovers); exit 1 means none.
  let ignored: string;
  try {
    ignored = execFileSync('git', ['check-ignore', ...names], { cwd: root, encoding: 'utf8' });
  } catch (e) {
    ignored = (e as { stdout?: string }).stdout ?? '';
  }
  const skip = new Set(ignored.split('\n').filter(Boolean));
  return names.filter((n) => !skip.has(n));
}

describe('README layout table', () => {
  it('lists every top-level folder and every src-main folder, and nothing else', () => {
    const listed = layoutTableFolders(readFileSync(join(root, 'README.md'), 'utf8'));
    const actual = [...folders(''), ...folders('src-main')];
    expect(listed.length).toBeGreaterThan(10);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...actual].sort());
  });

  it('reads the folders out of the table and stops at the next section', () => {
    const md = [
      '## Layout',
      '| folder | job |',
      '| --- | --- |',
      '| `a/` | x |',
      '| `a/b/` | y |',
      '## Next',
      '| `c/` | z |',
    ].join('\n');
    expect(layoutTableFolders(md)).toEqual(['a', 'a/b']);
  });
});
