/**
 * Tests of apps and libs, for the CLI and the dashboard: list what can be
 * tested (with each suite's last result), run a suite with live output, and
 * clean up after runs.
 */
import type { ImageSource } from '../compiler/index.js';
import type { Project } from '../project.js';
import { DustyError } from '../errors.js';
import { scopeValidation } from '../specs/validate.js';
import { resolveTarget, testableNames, testReach, type SuiteResult } from './plan.js';
import { TestResultsStore } from './results.js';

export {
  runTests,
  sweepStaleTestRuns,
  sweepTestRun,
  type TestDeps,
  type TestEvent,
  type TestOptions,
  type TestRunResult,
} from './runner.js';
export { formatDuration, TEST_LABEL, testingRepo, type SuiteResult } from './plan.js';
export { TestResultsStore } from './results.js';

/** One suite as a list shows it. */
export interface SuiteSummary {
  name: string;
  description: string;
  services: string[];
  defaultArgs?: string | undefined;
  last?: SuiteResult | undefined;
}

/** An app or lib with tests. */
export interface TestTargetSummary {
  name: string;
  kind: 'app' | 'lib';
  image: ImageSource;
  suites: SuiteSummary[];
}

/** The suites of one app or lib, or of every testable one, with their last results. */
export async function listSuites(project: Project, target?: string): Promise<TestTargetSummary[]> {
  const full = await project.validate();
  // Listing one target needs only what it uses; listing all needs each one's.
  const names = target ? [target] : testableNames(full.specs);
  const reach = new Set(names.flatMap((n) => [...testReach(full.specs, n)]));
  const validation = scopeValidation(full, reach);
  if (!validation.ok)
    throw new DustyError('invalid-specs', 'the specs are invalid', {
      problems: validation.problems.filter((p) => p.severity === 'error'),
    });
  const results = await new TestResultsStore(project.store.home).all();
  return names.map((n) => {
    const t = resolveTarget(validation.specs, n);
    return {
      name: t.name,
      kind: t.kind,
      image: t.test.image
        ? { kind: 'pull', ref: t.test.image }
        : { kind: 'build', build: t.test.build },
      suites: t.test.suites.map((s) => ({
        name: s.name,
        description: s.description,
        services: s.services,
        defaultArgs: s.default_args,
        last: results[`${t.name}/${s.name}`],
      })),
    };
  });
}
