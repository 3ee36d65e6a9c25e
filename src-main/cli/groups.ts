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
    commands: ['config', 'version', 'upgrade'],
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

/**
 * The original Dusty's `dusty -d` ran its root daemon; here that is the
 * privileged helper (`helper serve`), and its `--preflight-only` check of
 * what Dusty needs is `doctor`. `--suppress-warnings` has nothing to quiet.
 * Every other command line is left as it is.
 */
export function translateOriginalArgs(args: readonly string[]): string[] {
  if (args[0] !== '-d') return [...args];
  const rest = args.slice(1).filter((a) => a !== '--suppress-warnings');
  if (rest.includes('--preflight-only'))
    return ['doctor', ...rest.filter((a) => a !== '--preflight-only')];
  return ['helper', 'serve', ...rest];
}

/**
 * With DUSTY_PARSE_ONLY set, a command line is parsed and checked (unknown
 * commands and options, missing arguments are refused as usual) and the
 * command it names is printed instead of run: how the test of the original's
 * documented command lines checks the ones it cannot run here.
 */
export function parseOnlyHook(program: Command): void {
  if (!process.env.DUSTY_PARSE_ONLY) return;
  program.hook('preAction', (_root, action) => {
    const path: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) path.unshift(c.name());
    console.log(
      `parsed: dusty ${path.join(' ')} ${JSON.stringify({ args: action.args, options: action.opts() })}`,
    );
    process.exit(0);
  });
}

/** The root `dusty` command, before any group is registered. */
export function newProgram(): Command {
  return new Command('dusty')
    .description('Docker-based development environments from a specs repo')
    .version(dustyVersion(), '-v, --version', 'print the version')
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();
}
