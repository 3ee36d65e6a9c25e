/**
 * Where `up` meets the machine: the hosts file (through the helper, directly
 * when Dusty runs as root, or by telling the person) and the engine's start.
 */
import { access, constants } from 'node:fs/promises';
import type Docker from 'dockerode';
import { HELPER_DEFAULTS } from '../../../src-shared/helper-protocol.js';
import { HelperClient } from '../../platform/helper-client.js';
import { ExecRunner } from '../../platform/command-runner.js';
import { createProvider, resolveProviderName } from '../../platform/providers.js';
import { engineDeps, forgetEngineFacts } from '../docker/engine-info.js';
import { Platform } from '../platform.js';
import type { StateStore } from '../state/store.js';
import { applyHostsSection } from '../../platform/hosts-file.js';
import { buildHostsSection } from '../compiler/hosts.js';
import type { HostsOutcome } from './up.js';

export const DEFAULT_HOSTS_FILE = HELPER_DEFAULTS.hostsFile;

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

/**
 * Makes sure the engine answers, through the configured provider (the
 * detected one when no state is given): the engine's own start command, the
 * helper, or dockerd itself when root.
 */
export function engineEnsurer(docker: Docker, helper = new HelperClient(), store?: StateStore) {
  return async (): Promise<void> => {
    if (store) return (await Platform.create(store, helper)).ensureEngine(docker);
    const up = await docker.ping().then(
      () => true,
      () => false,
    );
    if (up) return;
    const deps = engineDeps({ runner: new ExecRunner(), helper, isRoot: isRoot() });
    await createProvider(await resolveProviderName('auto', deps), deps).ensureEngine();
    forgetEngineFacts();
  };
}
