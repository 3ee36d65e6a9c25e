/** The CLI's root command and its command groups, with the names each registers (so `main` loads only the one it needs). */
import { Command } from 'commander';
import { dustyVersion } from '../version.js';

export type Register = (program: Command) => void;

/**
 * Each group of commands lives in its own module; only the group of the
 * command being run is loaded, because loading them all (dockerode, ws, tar)
 * costs more than a no-op `dusty up` spends on everything else.
 */
export const COMMAND_GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
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

/** The root `dusty` command, before any group is registered. */
export function newProgram(): Command {
  return new Command('dusty')
    .description('Docker-based development environments from a specs repo')
    .version(dustyVersion())
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
}
