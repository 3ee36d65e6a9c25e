/** `dusty ui`: the dashboard in a browser, served on 127.0.0.1. */
import type { Command } from 'commander';
import { openBrowser, runUi } from '../../web/ui.js';
import { getDusty } from '../context.js';

export function registerUiCommand(program: Command): void {
  program
    .command('ui')
    .description('serve the dashboard on 127.0.0.1 and print its URL (with a token for this run)')
    .option('--port <n>', 'port to listen on (default: a free one)', (v) => Number(v))
    .option('--no-open', 'do not open a browser')
    .action(async (opts: { port?: number; open: boolean }) => {
      if (
        opts.port !== undefined &&
        (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)
      )
        throw new Error(`--port: expected a port number, got ${String(opts.port)}`);
      const ui = await runUi(getDusty(), opts.port ? { port: opts.port } : {});
      console.log(`Dusty dashboard: ${ui.url}`);
      console.log(
        'Anyone with this URL can open shells in your containers; it works only on this machine. Ctrl-C stops it.',
      );
      if (opts.open) openBrowser(ui.url);
      await new Promise<void>((resolve) => {
        const stop = () => void ui.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
