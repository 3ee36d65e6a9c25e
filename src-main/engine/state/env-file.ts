/** Parses env-file text (KEY=VALUE lines, # comments, optional quotes), naming the line of any error. */
export function parse(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected KEY=VALUE, found "${line}"`);
    let value = m[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]))
      value = value.slice(1, -1);
    out[m[1]!] = value;
  });
  return out;
}
