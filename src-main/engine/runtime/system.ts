/**
 * Where `up` meets the machine: the hosts file (through the helper, directly
 * when Dusty runs as root, or by telling the person) and the engine's start.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import type Docker from 'dockerode';
import { HelperClient } from '../../helper/client.js';
import { applyHostsSection } from '../../platform/hosts-file.js';
import { buildHostsSection } from '../compiler/hosts.js';
import { engineEndpoint, explainEngineError } from '../docker/client.js';
import type { HostsOutcome } from './up.js';

export const DEFAULT_HOSTS_FILE = '/etc/hosts';

export function hostsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DUSTY_HOSTS_FILE || DEFAULT_HOSTS_FILE;
}

const isRoot = () => process.getuid?.() === 0;
const writable = (p: string) =>
  access(p, constants.W_OK).then(
    () => true,
    () => false,
  );

/** Applies Dusty's hosts section by the best means available. */
export function hostsApplier(helper = new HelperClient(), file = hostsFilePath()) {
  return async (entries: { ip: string; hostname: string }[]): Promise<HostsOutcome> => {
    // A chosen hosts file (tests, containers) is written directly; the helper only edits its own.
    const custom = file !== DEFAULT_HOSTS_FILE;
    if (!custom && (await helper.available())) {
      const r = entries.length
        ? await helper.call('hosts.apply', { entries })
        : await helper.call('hosts.clear', {});
      return { how: 'helper', message: JSON.stringify(r) };
    }
    if (isRoot() || (custom && (await writable(file)))) {
      const change = await applyHostsSection(file, entries);
      return { how: change.changed ? 'direct' : 'unchanged' };
    }
    if (!entries.length) return { how: 'unchanged' };
    return {
      how: 'manual',
      message:
        `the privileged helper is not installed, so ${file} was not changed. Add these lines to it by hand ` +
        '(or run `dusty setup` once), or use host names under .localhost, which need no entry:\n' +
        buildHostsSection(entries).trimEnd(),
    };
  };
}

/** Makes sure the engine answers: starting it through the helper, or itself when root. */
export function engineEnsurer(docker: Docker, helper = new HelperClient()) {
  return async (): Promise<void> => {
    const ping = () =>
      docker.ping().then(
        () => true,
        () => false,
      );
    if (await ping()) return;
    const local = !engineEndpoint() || engineEndpoint()!.startsWith('unix://');
    if (!local)
      throw explainEngineError(Object.assign(new Error('unreachable'), { code: 'ECONNREFUSED' }));
    if (await helper.available()) await helper.call('engine.start', {});
    else if (isRoot()) {
      const child = spawn('dockerd', [], { detached: true, stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
    } else
      throw explainEngineError(Object.assign(new Error('unreachable'), { code: 'ECONNREFUSED' }));
    for (let i = 0; i < 120; i++) {
      if (await ping()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(
      'the Docker engine did not start within 60 s; see its log (journalctl -u docker, or /var/log/dusty-dockerd.log)',
    );
  };
}
