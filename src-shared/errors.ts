/**
 * The error every layer speaks: a stable `code` from one union, a sentence
 * for the person (`message`), and structured facts (`detail`) so no layer
 * has to parse another's prose.
 */
import type { Problem } from './specs/schema.js';

export const ERROR_CODES = [
  // input and lookups
  'invalid-input',
  'unknown-call',
  'usage',
  'unknown-bundle',
  'unknown-app',
  'unknown-app-or-service',
  'unknown-script',
  'unknown-repo',
  'ambiguous-repo',
  'import-failed',
  'unknown-config-key',
  'invalid-config-value',
  'invalid-variable',
  'unreadable-file',
  'not-a-folder',
  'not-found',
  'not-confirmed',
  'forbidden',
  // specs
  'no-specs-repo',
  'invalid-specs',
  'missing-assets',
  'folders-not-shared',
  // running
  'busy',
  'cancelled',
  'failed',
  'not-running',
  'container-failed',
  'timeout',
  'pull-failed',
  'engine',
  'no-session',
  'copy-failed',
  // tests
  'unknown-target',
  'unknown-suite',
  'unknown-service',
  'no-suites',
  'no-tests',
  'no-image',
  'no-test-image',
  'service-image',
  'build-failed',
  'once-failed',
  'service-failed',
  'interrupted',
  // disk
  'bad-backup',
  'volume-in-use',
  // the helper (see helper-protocol.ts)
  'unreachable',
  'bad_response',
  // the dashboard lost its connection
  'disconnected',
  // anything else
  'error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(code: unknown): code is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code);
}

/** Structured facts about an error, for views that show more than the sentence. */
export interface ErrorDetail {
  /** The spec problems behind `invalid-specs`. */
  problems?: Problem[];
  /** For `container-failed`: which container, why, and its last log lines. */
  container?: string;
  reason?: string;
  logs?: string[];
  /** For lookups by name: the names that exist. */
  known?: string[];
}
