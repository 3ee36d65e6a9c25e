/**
 * The shell script each app container runs as its command. It has to work in
 * any image with a POSIX sh, so it uses nothing beyond sh, mkdir, cp and tee.
 */

/** Quotes a string for POSIX sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export const ONCE_MARKER = '/.dusty_once_done';
export const ONCE_LOG = '/var/log/dusty_once_fn.log';
export const ASSETS_IN_CONTAINER = '/run/dusty/assets';

export interface StartScriptInput {
  name: string;
  workdir: string;
  assets: { name: string; path: string }[];
  libs: { name: string; mount: string; install: string[] }[];
  once: string[];
  always: string[];
}

/** Builds the start script: assets, libs, `once` on first start, then `always`. */
export function buildStartScript(input: StartScriptInput): string {
  const out: string[] = ['set -e'];
  const say = (msg: string) => out.push(`echo ${shQuote(`[dusty] ${msg}`)}`);
  for (const a of input.assets) {
    const dir = a.path.slice(0, a.path.lastIndexOf('/')) || '/';
    out.push(
      `mkdir -p ${shQuote(dir)} && cp ${shQuote(`${ASSETS_IN_CONTAINER}/${a.name}`)} ${shQuote(a.path)} && chmod 600 ${shQuote(a.path)}`,
    );
  }
  for (const lib of input.libs) {
    if (!lib.install.length) continue;
    say(`installing lib ${lib.name}`);
    out.push(`cd ${shQuote(lib.mount)}`, ...lib.install);
  }
  out.push(`cd ${shQuote(input.workdir)}`);
  if (input.once.length) {
    // The marker lives in the container's own file system, so `once` runs
    // again exactly when the container is recreated.
    out.push(
      `if [ ! -e ${ONCE_MARKER} ]; then`,
      `  ${`echo ${shQuote('[dusty] running once commands')}`}`,
      '  mkdir -p /var/log; rm -f /tmp/.dusty_once_ok',
      '  ( set -e',
      ...input.once.map((l) => `    ${l}`),
      '    : > /tmp/.dusty_once_ok ) 2>&1 | tee ' + ONCE_LOG,
      `  [ -e /tmp/.dusty_once_ok ] || { echo ${shQuote(`[dusty] once commands of ${input.name} failed; see ${ONCE_LOG}`)} >&2; exit 1; }`,
      `  : > ${ONCE_MARKER}`,
      'fi',
      `cd ${shQuote(input.workdir)}`,
    );
  }
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
