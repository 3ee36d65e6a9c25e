/** The `dusty` command line. */
import { Command, CommanderError } from 'commander';
import { DustyError } from '../engine/project.js';
import { dustyVersion } from '../version.js';
import { printProblems, red } from './output.js';

type Register = (program: Command) => void;

/**
 * Each group of commands lives in its own module; only the group of the
 * command being run is loaded, because loading them all (dockerode, ws, tar)
 * costs more than a no-op `dusty up` spends on everything else.
 */
const groups: { commands: string[]; load: () => Promise<Register> }[] = [
  {
    commands: ['validate', 'compile', 'config', 'bundles', 'env', 'assets'],
    load: async () => (await import('./commands/specs.js')).registerSpecCommands,
  },
  {
    commands: ['up', 'stop', 'restart', 'status', 'logs', 'shell', 'scripts', 'cp', 'repos'],
    load: async () => (await import('./commands/runtime.js')).registerRuntimeCommands,
  },
  {
    commands: ['test', 'disk', 'doctor', 'dump'],
    load: async () => (await import('./commands/extra.js')).registerExtraCommands,
  },
  { commands: ['ui'], load: async () => (await import('./commands/ui.js')).registerUiCommand },
  {
    commands: ['helper', 'setup', 'shutdown'],
    load: async () => (await import('./commands/helper.js')).registerHelperCommands,
  },
];

const program = new Command('dusty')
  .description('Docker-based development environments from a specs repo')
  .version(dustyVersion())
  .enablePositionalOptions()
  .showHelpAfterError()
  .exitOverride();

try {
  const name = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const group = groups.find((g) => name !== undefined && g.commands.includes(name));
  // Help, a typo or no command at all: register everything so commander can list and suggest.
  for (const g of group ? [group] : groups) (await g.load())(program);
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof DustyError) printProblems(e.problems);
  process.stderr.write(red(`dusty: ${e instanceof Error ? e.message : String(e)}`) + '\n');
  process.exit(1);
}
