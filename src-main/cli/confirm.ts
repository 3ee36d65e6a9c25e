/** The one yes/no question of the CLI: `--yes` answers it, and off a terminal it refuses. */
import { createInterface } from 'node:readline/promises';
import { DustyError } from '../engine/errors.js';

/**
 * Asks a yes/no question on the terminal. `--yes` answers it; without a
 * terminal to ask on, the command refuses rather than guessing.
 */
export async function confirm(
  question: string,
  yes: boolean | undefined,
  refusal = `${question.replace(/\?$/, '')}: not confirmed; nothing was changed. Run it on a terminal to be asked, or add --yes.`,
): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new DustyError('not-confirmed', refusal);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
