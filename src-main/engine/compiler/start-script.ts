/**
 * The shell script each app container runs as its command, laid out as the
 * original Dusty laid it out: one `set -e` script of lib installs, `cd` to
 * the mount (on PATH too), assets, `once` on the first start, `always`. It
 * has to work in any image with a POSIX sh, so it uses nothing beyond sh,
 * mkdir, cp and chmod.
 */

import { shellQuote } from '../../../src-shared/shell-quote.js';

/**
 * Quotes a string for POSIX sh with the shared quoting, every word quoted so
 * the script (and so each container's configuration) reads as it always did.
 */
export const shQuote = (s: string): string => shellQuote(s, true);

/** In /tmp so that an app whose `compose` block sets a non-root `user` can write it too. */
export const ONCE_MARKER = '/tmp/.dusty_once_done';
export const ASSETS_IN_CONTAINER = '/run/dusty/assets';

export interface StartScriptInput {
  name: string;
  /** The app's mount; undefined starts in the image's working directory. */
  mount?: string | undefined;
  /** Where each asset goes; a relative path is relative to the mount (the shell is there). */
  assets: { name: string; path: string }[];
  libs: { name: string; mount: string; install: string[] }[];
  once: string[];
  always: string[];
}

function placeAsset(a: { name: string; path: string }): string {
  const cut = a.path.lastIndexOf('/');
  const dir = cut < 0 ? '.' : a.path.slice(0, cut) || '/';
  // One command a line: under `set -e` a failure inside an `&&` list would pass unnoticed.
  return `mkdir -p ${shQuote(dir)}\ncp ${shQuote(`${ASSETS_IN_CONTAINER}/${a.name}`)} ${shQuote(a.path)}\nchmod 600 ${shQuote(a.path)}`;
}

/**
 * `once` is a shell function called in the script's own shell (not a
 * subshell, not a pipeline), so its `export`s and `cd`s are still in effect
 * for `always`. Its output goes straight to the container's log: a `tee`
 * would either hold back `always` or lose the last lines of a failure.
 */
function onceBlock(name: string, once: string[]): string[] {
  if (!once.length) return [];
  return [
    'dusty_once_fn () {',
    ...once.map((l) => `  ${l}`),
    '}',
    `if [ ! -e ${ONCE_MARKER} ]; then`,
    `  echo ${shQuote('[dusty] running once commands')}`,
    `  dusty_once_failed=${shQuote(`[dusty] once commands of ${name} failed`)}`,
    `  trap 'echo "$dusty_once_failed" >&2' EXIT`,
    '  dusty_once_fn',
    '  trap - EXIT',
    `  : > ${ONCE_MARKER}`,
    // Read back by `up`'s timeline (see runtime/timeline.ts).
    `  echo ${shQuote('[dusty] once commands done')}`,
    'fi',
  ];
}

/** Builds the start script: libs, mount, assets, `once` on first start, then `always`. */
export function buildStartScript(input: StartScriptInput): string {
  const out: string[] = ['set -e'];
  const libs = input.libs.filter((l) => l.install.length);
  // Lib installs `cd` away; an app without a mount comes back to the image's working directory.
  if (libs.length && !input.mount) out.push('dusty_workdir=$(pwd)');
  for (const lib of libs) {
    out.push(`echo ${shQuote(`[dusty] installing lib ${lib.name}`)}`);
    out.push(`cd ${shQuote(lib.mount)}`, ...lib.install);
  }
  if (input.mount)
    out.push(`cd ${shQuote(input.mount)}`, `export PATH=$PATH:${shQuote(input.mount)}`);
  else if (libs.length) out.push('cd "$dusty_workdir"');
  out.push(...input.assets.map(placeAsset));
  out.push(...onceBlock(input.name, input.once));
  const always = input.always.length ? input.always : ['tail -f /dev/null'];
  out.push(...always.slice(0, -1));
  // The main process runs as a child so the script (PID 1) can pass on the
  // stop signal: sh ignores SIGTERM as PID 1, which would make every stop wait
  // for the engine's kill timeout.
  out.push(
    'set +e',
    "trap 'kill -TERM $dusty_main 2>/dev/null' TERM INT",
    '{',
    always[always.length - 1]!,
    '} &',
    'dusty_main=$!',
    'wait $dusty_main; dusty_status=$?',
    'if [ $dusty_status -gt 128 ]; then wait $dusty_main; dusty_status=$?; fi',
    'exit $dusty_status',
  );
  return out.join('\n') + '\n';
}
