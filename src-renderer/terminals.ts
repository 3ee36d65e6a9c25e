/** Opening terminal tabs from anywhere in the dashboard. */
import { call } from './api.js';
import { setState } from './store.js';

/** Opens a shell (or runs a script) in a container in a new terminal tab and shows it. */
export async function openTerminal(
  name: string,
  script?: { name: string; args: string[] },
): Promise<void> {
  const { id, title } = await call('terminal:open', {
    name,
    cols: 100,
    rows: 30,
    ...(script ? { script } : {}),
  });
  setState((s) => ({
    terminals: [...s.terminals, { id, title }],
    activeTerminal: id,
    view: 'terminal',
  }));
}
