/**
 * A stand-in for @vscode/sudo-prompt: records the command it was asked to run
 * as root and answers as the real dialog does when the person cancels it.
 */
import { setImmediate } from 'node:timers';
import { standIn } from './state.mjs';

function exec(command, options, callback) {
  standIn.sudo.push({ command, name: options?.name, env: options?.env ?? {} });
  setImmediate(() => callback(new Error('User did not grant permission.'), '', ''));
}

export default { exec };
export { exec };
