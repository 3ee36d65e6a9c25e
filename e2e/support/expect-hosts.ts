import { expect } from 'vitest';
import { HOSTS_BEGIN, HOSTS_END, PERSONAL_HOSTS, type DustyCli } from './dusty.js';

/**
 * The person's own hosts lines are kept byte for byte (a newline is added
 * after the last one), followed by Dusty's section listing exactly `names`.
 */
export function expectHostsKept(cli: DustyCli, names: string[]): void {
  const text = cli.hosts();
  expect(text.startsWith(PERSONAL_HOSTS), `the person's lines changed:\n${text}`).toBe(true);
  const rest = text.slice(PERSONAL_HOSTS.length);
  if (!names.length) {
    expect(rest.replace(/^\n/, '')).toBe('');
    return;
  }
  const ip = cli.ipOf(names[0]!);
  const section = [HOSTS_BEGIN, ...[...names].sort().map((n) => `${ip} ${n}`), HOSTS_END].join(
    '\n',
  );
  // The file ended without a newline; whether it still does after the section is Dusty's choice.
  expect([`\n${section}`, `\n${section}\n`]).toContain(rest);
}
