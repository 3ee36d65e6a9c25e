/** Docker's disk use and Dusty's share of it, clean-ups, and backup/restore of Dusty's data. */
export * from './usage.js';
export * from './backup.js';
