/**
 * The programs the helper runs as root, at fixed absolute paths per
 * platform. Never looked up through PATH (the caller's environment is not
 * root's to trust), and each one checked before it runs: a root-owned file
 * in root-only folders, or refused.
 */
import { lstatSync } from 'node:fs';
import type { TrustOptions } from './trusted-path.js';
import { checkTrustedFile } from './trusted-path.js';

/**
 * What the helper runs. The VM tools (colima, docker-machine) run as the
 * person, never as root; certutil and mkdir run as the owner too (in their
 * browser profiles) but come from here all the same.
 */
export type SystemProgram =
  | 'exportfs'
  | 'nfsd'
  | 'systemctl'
  | 'launchctl'
  | 'docker'
  | 'dockerd'
  | 'ss'
  | 'update-ca-certificates'
  | 'security'
  | 'certutil'
  | 'mkdir';

/** Candidate paths per program, first match wins. */
export type ProgramTable = Partial<Record<SystemProgram, readonly string[]>>;

/** Where each platform keeps them (Debian's packages; macOS's base system and Docker Desktop). */
export const SYSTEM_PROGRAMS: Readonly<Record<'linux' | 'darwin', ProgramTable>> = {
  linux: {
    exportfs: ['/usr/sbin/exportfs', '/sbin/exportfs'],
    systemctl: ['/usr/bin/systemctl', '/bin/systemctl'],
    docker: ['/usr/bin/docker'],
    dockerd: ['/usr/sbin/dockerd', '/usr/bin/dockerd'],
    ss: ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss'],
    'update-ca-certificates': ['/usr/sbin/update-ca-certificates'],
    certutil: ['/usr/bin/certutil'],
    mkdir: ['/usr/bin/mkdir', '/bin/mkdir'],
  },
  darwin: {
    nfsd: ['/sbin/nfsd'],
    launchctl: ['/bin/launchctl'],
    docker: ['/usr/local/bin/docker', '/Applications/Docker.app/Contents/Resources/bin/docker'],
    security: ['/usr/bin/security'],
    // Homebrew's nss; a Homebrew folder that is not root's is refused, and the profiles skipped.
    certutil: ['/opt/homebrew/bin/certutil', '/usr/local/bin/certutil'],
    mkdir: ['/bin/mkdir'],
  },
};

/** A program present at one of its fixed paths but failing the check. */
export class UntrustedProgramError extends Error {
  override name = 'UntrustedProgramError';
}

/** How a program is looked up: the table (tests inject one) and the trust rule. */
export interface ProgramLookup extends TrustOptions {
  platform?: NodeJS.Platform;
  table?: ProgramTable;
}

/**
 * The checked absolute path of `name`, or null when it is at none of its
 * fixed paths. Throws UntrustedProgramError when it is there but somebody
 * other than root could change it (the file or a folder above it).
 */
export function trustedProgram(name: SystemProgram, lookup: ProgramLookup = {}): string | null {
  const platform = lookup.platform ?? process.platform;
  const table = lookup.table ?? SYSTEM_PROGRAMS[platform === 'darwin' ? 'darwin' : 'linux'];
  for (const candidate of table[name] ?? []) {
    if (!lstatSync(candidate, { throwIfNoEntry: false })) continue;
    try {
      checkTrustedFile(candidate, lookup);
    } catch (err) {
      throw new UntrustedProgramError(
        `refusing to run ${candidate} as root: ${(err as Error).message}`,
      );
    }
    return candidate;
  }
  return null;
}

/** Like {@link trustedProgram}, but a missing program is an error too. */
export function requireProgram(name: SystemProgram, lookup: ProgramLookup = {}): string {
  const found = trustedProgram(name, lookup);
  if (found === null) {
    const platform = lookup.platform ?? process.platform;
    const table = lookup.table ?? SYSTEM_PROGRAMS[platform === 'darwin' ? 'darwin' : 'linux'];
    throw new Error(
      `${name} is not installed (looked at ${(table[name] ?? []).join(', ') || 'no path on this platform'})`,
    );
  }
  return found;
}
