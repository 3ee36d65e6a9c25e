/** A standalone entry for `dusty ui` while it is not yet wired into the CLI: node dist/src-main/web/ui-main.js [--port N] [--no-open]. */
import { Command } from 'commander';
import { registerUiCommand } from '../cli/commands/ui.js';

const program = new Command('dusty').exitOverride();
registerUiCommand(program);
await program.parseAsync(['node', 'dusty', 'ui', ...process.argv.slice(2)]);
