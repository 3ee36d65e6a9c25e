/** The `dusty` command line. */
import { Command, CommanderError } from 'commander';
import { DustyError } from '../engine/project.js';
import { registerExtraCommands } from './commands/extra.js';
import { registerHelperCommands } from './commands/helper.js';
import { registerRuntimeCommands } from './commands/runtime.js';
import { registerSpecCommands } from './commands/specs.js';
import { registerUiCommand } from './commands/ui.js';
import { printProblems, red } from './output.js';

const program = new Command('dusty')
  .description('Docker-based development environments from a specs repo')
  .version('0.1.0')
  .enablePositionalOptions()
  .showHelpAfterError()
  .exitOverride();

registerSpecCommands(program);
registerRuntimeCommands(program);
registerExtraCommands(program);
registerUiCommand(program);
registerHelperCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof DustyError) printProblems(e.problems);
  process.stderr.write(red(`dusty: ${e instanceof Error ? e.message : String(e)}`) + '\n');
  process.exit(1);
}
