/** Quoting words for a POSIX shell: the one implementation behind every command line Dusty writes or prints. */

/** A word a POSIX shell reads back unchanged without quotes. */
const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * The word as one POSIX shell word: bare when it is safe, else in single
 * quotes with each `'` written `'\''`. An empty word becomes `''`. With
 * `always`, safe words are quoted too (the line root runs through sudo-prompt
 * reads the same for every word).
 */
export function shellQuote(word: string, always = false): string {
  return !always && SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed. */
export const shellJoin = (words: readonly string[]): string =>
  words.map((w) => shellQuote(w)).join(' ');
