/** Checking the set-up (`doctor`) and reporting it for bug reports (`dump`). */
export * from './checks.js';
export * from './doctor.js';
export * from './dump.js';
export * from './redact.js';
