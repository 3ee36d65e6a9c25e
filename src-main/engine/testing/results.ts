/** The last result of each suite, kept in DUSTY_HOME for the dashboard and `dusty test` listings. */
import { join } from 'node:path';
import { readJson, writeFileAtomic } from '../state/files.js';
import type { SuiteResult } from './plan.js';

export class TestResultsStore {
  constructor(readonly home: string) {}

  get path(): string {
    return join(this.home, 'test-results.json');
  }

  /** Every stored result, keyed `TARGET/SUITE`. */
  async all(): Promise<Record<string, SuiteResult>> {
    const raw = await readJson<Record<string, SuiteResult>>(this.path, {});
    return raw && typeof raw === 'object' ? raw : {};
  }

  /** The last result of one suite, if it ever ran. */
  async last(target: string, suite: string): Promise<SuiteResult | undefined> {
    return (await this.all())[`${target}/${suite}`];
  }

  async record(results: readonly SuiteResult[]): Promise<void> {
    const all = await this.all();
    for (const r of results) all[`${r.target}/${r.suite}`] = r;
    await writeFileAtomic(this.path, JSON.stringify(all, null, 2) + '\n', 0o644);
  }
}
