/** The marked section of the hosts file. */
export const HOSTS_BEGIN = '# BEGIN section for Dusty';
export const HOSTS_END = '# END section for Dusty';

/** Names that resolve to loopback without any hosts entry. */
export function needsHostsEntry(hostName: string): boolean {
  const h = hostName.toLowerCase();
  return h !== 'localhost' && !h.endsWith('.localhost');
}

/** The entries of Dusty's hosts section, one per host name, sorted. */
export function hostsEntries(
  hostNames: Iterable<string>,
  address: string,
): { ip: string; hostname: string }[] {
  return [...new Set([...hostNames].filter(needsHostsEntry))]
    .sort()
    .map((hostname) => ({ ip: address, hostname }));
}

/** The section text, markers included. */
export function buildHostsSection(entries: { ip: string; hostname: string }[]): string {
  return [HOSTS_BEGIN, ...entries.map((e) => `${e.ip} ${e.hostname}`), HOSTS_END].join('\n') + '\n';
}
