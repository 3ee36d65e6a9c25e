/** helper serve, setup, shutdown: the privileged helper and the engine's VM. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { defaultDustyHome, StateStore } from '../../engine/state/store.js';
import { HelperClient } from '../../platform/helper-client.js';
import {
  buildInstallArgv,
  defaultInstallPlan,
  describeInstall,
  installHelper,
  uninstallHelper,
} from '../../helper/install.js';
import { helperOptionsFromEnv, serveHelper } from '../../helper/server.js';
import { ExecRunner } from '../../platform/command-runner.js';
import { createProvider, resolveProviderName } from '../../platform/providers.js';
import { checkTrustedFile, checkTrustedFolders } from '../../platform/trusted-path.js';
import { confirm } from '../confirm.js';
import { getDusty } from '../context.js';

/** The person Dusty works for: the sudo caller when run through sudo, else this process's user. */
function personUid(): number {
  const sudoUid = process.env.SUDO_UID;
  if (sudoUid && /^\d+$/.test(sudoUid)) return Number(sudoUid);
  return process.getuid?.() ?? 0;
}

function runInherit(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * Root must not run code its owner can change: as root, `helper serve`
 * runs only from folders root alone can write (an installed copy), never
 * from a checkout in somebody's home.
 */
function refuseUntrustedCode(): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  try {
    checkTrustedFolders(here);
    checkTrustedFile(process.execPath);
  } catch (err) {
    throw new Error(
      `not running this copy as root: ${(err as Error).message}. Install the helper with \`dusty setup\` instead.`,
      { cause: err },
    );
  }
}

/** The original Dusty's `setup` flags, which set configuration. */
interface OriginalSetup {
  default_specs_repo?: string;
  vm_memory?: string;
  mac_username?: string;
}

/**
 * The original's `dusty setup --default_specs_repo=... --vm_memory=...`
 * configured Dusty (its daemon came from the installer), so with those
 * flags setup does that and nothing else; true when it did.
 */
async function originalSetup(opts: OriginalSetup): Promise<boolean> {
  const { default_specs_repo: repo, vm_memory: memory, mac_username: user } = opts;
  if (repo === undefined && memory === undefined && user === undefined) return false;
  const config = getDusty().config;
  if (repo !== undefined)
    console.log(`specs_repo = ${String(await config.set('specs_repo', repo))}`);
  if (memory !== undefined)
    console.log(`vm_memory_size = ${String(await config.set('vm_memory_size', memory))}`);
  if (user !== undefined)
    console.log(`mac_username: not needed, Dusty runs as you (${user} not stored)`);
  console.log('to install the privileged helper, run `dusty setup` without these options');
  return true;
}

/** `dusty setup [--uninstall]`: installs (or removes) the helper as root, through sudo when needed. */
async function setup(opts: { uninstall?: boolean; yes?: boolean } & OriginalSetup): Promise<void> {
  if (await originalSetup(opts)) return;
  const owner = personUid();
  const plan = defaultInstallPlan(owner);
  if (opts.uninstall) {
    console.log(
      `This removes the helper (${plan.installDir}, ${plan.unitFile}, ${plan.socketPath})\n` +
        `and Dusty's sections of ${plan.hostsFile} and ${plan.exportsFile}.`,
    );
  } else {
    console.log(describeInstall(plan));
  }
  const refusal = 'Nothing was changed (not a terminal: pass --yes to go ahead).';
  if (!(await confirm('Continue?', opts.yes, refusal))) {
    console.log(
      'Nothing was changed. Dusty keeps working without the helper, but cannot edit /etc/hosts or start the engine for you.',
    );
    process.exitCode = 1;
    return;
  }
  const runner = new ExecRunner();
  if (process.getuid?.() === 0) {
    const messages = opts.uninstall
      ? await uninstallHelper(plan, { runner })
      : (await installHelper(plan, { runner })).messages;
    for (const m of messages) console.log(m);
    return;
  }
  const [node, ...args] = buildInstallArgv({ ownerUid: owner, uninstall: opts.uninstall });
  console.log('Asking for your password (sudo) to do this as root.');
  const code = await runInherit('sudo', ['--', node ?? process.execPath, ...args]);
  if (code !== 0) throw new Error(`the privileged step failed (exit ${code})`);
  if (!opts.uninstall) {
    const ok = await new HelperClient(plan.socketPath).available();
    console.log(ok ? 'The helper is running.' : 'The helper is installed but not running yet.');
  }
}

/** Adds `helper serve`, `setup` and `shutdown` to the `dusty` program. */
export function registerHelperCommands(program: Command): void {
  const helper = program.command('helper').description('the privileged helper (runs as root)');
  helper
    .command('serve')
    .description(
      'run a helper in the foreground, for development; to have one run as root, use `dusty setup`',
    )
    .option('--owner <uid>', 'the uid allowed to use the helper (default: you)')
    .action(async (opts: { owner?: string }) => {
      const owner = opts.owner ?? String(personUid());
      if (!/^\d+$/.test(owner)) throw new Error(`--owner ${owner} is not a uid`);
      if (process.getuid?.() === 0) refuseUntrustedCode();
      else {
        process.stderr.write(
          'note: this helper runs as you, so it can edit only files you can write; `dusty setup` installs the one that runs as root\n',
        );
      }
      const running = await serveHelper(helperOptionsFromEnv(process.env, Number(owner)));
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.on(signal, () => void running.close());
      }
      await running.closed;
    });

  program
    .command('setup')
    .description('install the privileged helper (asks for your password once), or remove it')
    .option('--uninstall', "remove the helper and Dusty's sections of /etc/hosts and /etc/exports")
    .option('-y, --yes', 'do not ask for confirmation')
    .option(
      '--default_specs_repo <repo>',
      "the original's setup: set specs_repo (and nothing else)",
    )
    .option('--vm_memory <mb>', "the original's setup: set vm_memory_size (and nothing else)")
    .option('--mac_username <name>', "the original's setup: accepted; Dusty runs as you")
    .action(setup);

  program
    .command('shutdown')
    .description("stop the engine's VM (docker-machine, colima); nothing to do for a native engine")
    .option('--provider <name>', 'override the vm_provider config key')
    .action(async (opts: { provider?: string }) => {
      const runner = new ExecRunner();
      const configured =
        opts.provider ??
        (await new StateStore(defaultDustyHome())
          .config()
          .then((c) => c.vm_provider)
          .catch(() => 'auto'));
      const deps = { runner, helper: new HelperClient() };
      const name = await resolveProviderName(configured, deps);
      if (name === 'native' || name === 'remote') {
        console.log(
          name === 'native'
            ? 'The engine runs natively on this machine: there is no VM to stop.'
            : 'The engine is remote: there is no VM here to stop.',
        );
        return;
      }
      if (name !== 'docker-machine' && name !== 'colima') {
        console.log(
          `Dusty does not quit ${name}, which you started; quit it yourself if you like.`,
        );
        return;
      }
      await createProvider(name, deps).shutdown();
      console.log(`Stopped the ${name} VM.`);
    });
}
