/**
 * The absolute folder on the remote host that code is copied to. `~` means
 * the remote user's home, which only that host knows: asked once over ssh and
 * remembered per host in DUSTY_HOME, so `compile` and `status` do not connect.
 */
import { join } from 'node:path';
import { describeTarget, runSshChecked, type SshTarget } from '../../platform/ssh.js';
import { readJson, writeFileAtomic } from '../state/files.js';
import { remoteRoot } from './sync.js';

export async function remoteHome(home: string, target: SshTarget): Promise<string> {
  const cache = join(home, 'sync', 'remote-homes.json');
  const key = describeTarget(target);
  const known: Record<string, string> = await readJson<Record<string, string>>(cache, {}).catch(
    () => ({}),
  );
  if (known[key]) return known[key];
  const out = await runSshChecked(target, ['sh', '-c', 'printf %s "$HOME"'], {
    timeoutMs: 30_000,
  });
  const dir = out.trim();
  if (!dir.startsWith('/'))
    throw new Error(`on ${key}, the home folder is "${dir}", not an absolute path`);
  await writeFileAtomic(cache, JSON.stringify({ ...known, [key]: dir }, null, 2) + '\n');
  return dir;
}

export async function resolveRemoteRoot(
  home: string,
  target: SshTarget,
  configured: string,
  project: string,
): Promise<string> {
  const raw = configured.trim();
  if (raw.startsWith('/')) return remoteRoot(raw, project, '/');
  return remoteRoot(raw, project, await remoteHome(home, target));
}
