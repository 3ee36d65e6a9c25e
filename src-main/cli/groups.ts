/** The CLI's root command and its command groups, with the names each registers (so `main` loads only the one it needs). */
import { Command } from 'commander';
import { dustyVersion } from '../version.js';

export type Register = (program: Command) => void;

/**
 * Each group of commands lives in its own module (commands/NAME.ts); only the
 * group of the command being run is loaded, because loading them all
 * (dockerode, ws, tar) costs more than a no-op `dusty up` spends on
 * everything else.
 */
export const COMMAND_GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  {
    commands: ['validate', 'compile'],
    load: async () => (await import('./commands/specs.js')).registerSpecCommands,
  },
  {
    commands: ['config', 'version'],
    load: async () => (await import('./commands/config.js')).registerConfigCommands,
  },
  {
    commands: ['bundles'],
    load: async () => (await import('./commands/bundles.js')).registerBundleCommands,
  },
  { commands: ['env'], load: async () => (await import('./commands/env.js')).registerEnvCommands },
  {
    commands: ['assets'],
    load: async () => (await import('./commands/assets.js')).registerAssetCommands,
  },
  {
    commands: ['up', 'stop', 'restart', 'status'],
    load: async () => (await import('./commands/stack.js')).registerStackCommands,
  },
  {
    commands: ['logs', 'shell', 'scripts', 'cp'],
    load: async () => (await import('./commands/containers.js')).registerContainerCommands,
  },
  {
    commands: ['repos'],
    load: async () => (await import('./commands/repos.js')).registerRepoCommands,
  },
  {
    commands: ['test'],
    load: async () => (await import('./commands/test.js')).registerTestCommand,
  },
  {
    commands: ['disk'],
    load: async () => (await import('./commands/disk.js')).registerDiskCommands,
  },
  {
    commands: ['doctor', 'dump'],
    load: async () => (await import('./commands/doctor.js')).registerDoctorCommands,
  },
  { commands: ['ui'], load: async () => (await import('./commands/ui.js')).registerUiCommand },
  {
    commands: ['https'],
    load: async () => (await import('./commands/https.js')).registerHttpsCommands,
  },
  {
    commands: ['helper', 'setup', 'shutdown'],
    load: async () => (await import('./commands/helper.js')).registerHelperCommands,
  },
];

/** The root `dusty` command, before any group is registered. */
export function newProgram(): Command {
  return new Command('dusty')
    .description('Docker-based development environments from a specs repo')
    .version(dustyVersion(), '-v, --version', 'print the version')
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
}
