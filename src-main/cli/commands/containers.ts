/** logs, shell, scripts, cp: living with running containers. */
import type { Command } from 'commander';
import { getDusty } from '../context.js';
import { dim, table } from '../output.js';

/** Registers `logs`, `shell`, `scripts` and `cp`. */
export function registerContainerCommands(program: Command): void {
  program
    .command('logs <name>')
    .description("print a container's logs")
    .option('-f, --follow', 'keep following')
    .option('-t, --timestamps', 'show timestamps')
    .option('--tail <n>', 'only the last N lines', (v) => Number(v))
    .action(
      async (name: string, opts: { follow?: boolean; timestamps?: boolean; tail?: number }) => {
        const s = await getDusty().containers.logs(
          name,
          { follow: opts.follow ?? false, timestamps: opts.timestamps ?? false, tail: opts.tail },
          process.stdout,
          process.stderr,
        );
        process.once('SIGINT', () => {
          s.cancel();
          process.exit(0);
        });
        await s.done;
      },
    );

  program
    .command('shell <name>')
    .description('open an interactive shell in a running container')
    .action(async (name: string) => {
      const stdin = process.stdin;
      const size = () => ({ cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
      const session = await getDusty().containers.shell(name, size());
      if (stdin.isTTY) stdin.setRawMode(true);
      // The shell ends the session; ending it when stdin closes would cut off its last output.
      stdin.pipe(session.stream, { end: false });
      // Input from a pipe or file ends the shell when it ends, so `echo cmd | dusty shell web`
      // runs cmd and returns instead of waiting for ever. `exit`, not Ctrl-D: line editors
      // (busybox ash) may swallow a Ctrl-D that arrives while they query the terminal.
      if (!stdin.isTTY) stdin.once('end', () => session.stream.write('\nexit\n'));
      session.stream.pipe(process.stdout);
      process.stdout.on('resize', () => void session.resize(size().cols, size().rows));
      const code = await session.exitCode();
      if (stdin.isTTY) stdin.setRawMode(false);
      process.exit(code);
    });

  program
    .command('scripts <app> [script] [args...]')
    .description(
      "list an app's scripts, or run one in its container (ARGS are appended to its last line)",
    )
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (app: string, script: string | undefined, args: string[]) => {
      const dusty = getDusty();
      if (!script) {
        const scripts = await dusty.containers.scripts(app);
        if (!scripts.length) return console.log(dim(`${app} has no scripts`));
        return console.log(
          table(
            scripts.map((s) => [s.name, s.description]),
            ['SCRIPT', 'DESCRIPTION'],
          ).trimEnd(),
        );
      }
      console.error(dim(`» running ${script} in ${app}`));
      process.exitCode = await dusty.containers.runScript(
        app,
        script,
        args,
        process.stdout,
        process.stderr,
      );
    });

  program
    .command('cp <src> <dst>')
    .description(
      'copy files: host to container, container to host, or container to container (NAME:/path names a container path)',
    )
    .action(async (src: string, dst: string) => {
      console.log(await getDusty().containers.copy(src, dst));
    });
}
