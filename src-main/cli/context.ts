/** The CLI's one Dusty, built once per command from the environment. */
import { openDusty, type Dusty } from '../service/index.js';
import { dim } from './output.js';

let dusty: Dusty | undefined;

export function getDusty(): Dusty {
  dusty ??= openDusty(process.env, {
    name: 'terminal',
    onWait: (m) => console.error(dim(`${m}…`)),
  });
  return dusty;
}
