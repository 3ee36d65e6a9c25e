/** The `dusty` command line. */
import { CommanderError } from 'commander';
import { DustyError } from '../engine/errors.js';
import {
  COMMAND_GROUPS as groups,
  newProgram,
  parseOnlyHook,
  translateOriginalArgs,
} from './groups.js';
import { printProblems, red } from './output.js';

const program = newProgram();

try {
  const argv = [...process.argv.slice(0, 2), ...translateOriginalArgs(process.argv.slice(2))];
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  const group = groups.find((g) => name !== undefined && g.commands.includes(name));
  // Help, a typo or no command at all: register everything so commander can list and suggest.
  for (const g of group ? [group] : groups) (await g.load())(program);
  parseOnlyHook(program);
  await program.parseAsync(argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof DustyError) printProblems(e.problems);
  process.stderr.write(red(`dusty: ${e instanceof Error ? e.message : String(e)}`) + '\n');
  process.exit(1);
}
