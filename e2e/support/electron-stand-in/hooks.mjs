/**
 * Module resolution hooks that put the stand-ins in place of `electron` and
 * `@vscode/sudo-prompt` (neither Electron's binary nor a password dialog can
 * exist on a CI machine). Loaded off-thread by register.mjs.
 */
import { URL } from 'node:url';

const STAND_INS = {
  electron: new URL('./electron.mjs', import.meta.url).href,
  '@vscode/sudo-prompt': new URL('./sudo-prompt.mjs', import.meta.url).href,
};

export async function resolve(specifier, context, nextResolve) {
  const url = STAND_INS[specifier];
  if (url) return { url, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
}
