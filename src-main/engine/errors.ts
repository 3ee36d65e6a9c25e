/**
 * The engine's error for the person, below everything else in the engine so
 * any part of it (repos, runtime, testing) can throw one without importing
 * the project.
 */
import type { ErrorCode, ErrorDetail } from '../../src-shared/errors.js';
import type { Problem } from '../../src-shared/specs/schema.js';

/**
 * An error written for the person: a stable code from src-shared's union,
 * the sentence, and structured facts (spec problems, a failed container).
 */
export class DustyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: ErrorDetail = {},
  ) {
    super(message);
  }

  /** The spec problems behind it, if any. */
  get problems(): Problem[] {
    return this.detail.problems ?? [];
  }
}
