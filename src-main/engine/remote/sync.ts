/**
 * Code sync for a remote engine: which local folders go where on the remote
 * host, and copying one of them there. One way only: a file made on the
 * remote side is never copied back over the person's work.
 */
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { rsync } from '../../platform/rsync.js';
import type { SshSession, SshTarget } from '../../platform/ssh.js';
import { managedFolder, type RepoInfo } from '../repos/repos.js';

/** One local folder kept copied to the remote host. */
export interface SyncFolder {
  /** The repo's name as specs write it, or `assets`. */
  name: string;
  kind: 'repo' | 'state';
  local: string;
  remote: string;
}

/** Everything the sync process needs, written to a file for it to read. */
export interface SyncPlan {
  target: SshTarget;
  /** The absolute remote folder everything goes under. */
  root: string;
  folders: SyncFolder[];
}

/** The remote folder as configured: `remote_dir`, else ~/.dusty-remote/PROJECT; `~` is the remote home. */
export function remoteRoot(configured: string, project: string, remoteHome: string): string {
  const raw = configured.trim() || `~/.dusty-remote/${project}`;
  const expanded =
    raw === '~' ? remoteHome : raw.startsWith('~/') ? `${remoteHome}/${raw.slice(2)}` : raw;
  if (!expanded.startsWith('/'))
    throw new Error(
      `remote_dir "${configured}" must be an absolute path or start with ~/ (the remote home)`,
    );
  return expanded.replace(/\/+$/, '') || '/';
}

/** Where a repo's copy lives on the remote host. */
export function remoteRepoPath(root: string, repo: string): string {
  return `${root}/repos/${managedFolder(repo) || 'repo'}`;
}

/** The folders to keep copied: each repo in use (managed or overridden) and the assets. */
export function planFolders(root: string, repos: RepoInfo[], assetsDir: string): SyncFolder[] {
  const seen = new Set<string>();
  const folders: SyncFolder[] = [];
  for (const r of [...repos].sort((a, b) => a.name.localeCompare(b.name))) {
    if (seen.has(r.name)) continue;
    seen.add(r.name);
    folders.push({
      name: r.name,
      kind: 'repo',
      local: r.path,
      remote: remoteRepoPath(root, r.name),
    });
  }
  folders.push({ name: 'assets', kind: 'state', local: assetsDir, remote: `${root}/assets` });
  return folders;
}

/**
 * The paths git ignores in a checkout (exactly as git decides: nested
 * .gitignore files, negations, .git/info/exclude), folders ending in `/`.
 * Empty for a folder that is not a git checkout.
 */
export async function gitIgnored(dir: string): Promise<string[]> {
  const isRepo = await access(join(dir, '.git')).then(
    () => true,
    () => false,
  );
  if (!isRepo) return [];
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      ['-C', dir, 'ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new Error(`cannot run git in ${dir}: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`git ls-files in ${dir} failed: ${err.trim()}`));
      else resolve(Buffer.concat(out).toString().split('\0').filter(Boolean));
    });
  });
}

/**
 * Copies one folder to the remote host: what changed is sent, what is gone is
 * deleted there. `files` limits it to those paths (relative), as a watcher saw them change.
 */
export async function syncFolder(
  folder: SyncFolder,
  target: SshTarget,
  session?: SshSession,
  opts: { createRemote?: boolean; files?: readonly string[] | undefined } = {},
): Promise<void> {
  const exists = await access(folder.local).then(
    () => true,
    () => false,
  );
  if (!exists) {
    if (folder.kind === 'state') return;
    throw new Error(`${folder.name}: the local folder ${folder.local} does not exist`);
  }
  await rsync({
    target,
    local: folder.local,
    remote: folder.remote,
    exclude: folder.kind === 'repo' ? gitIgnored(folder.local) : [],
    deleteMissing: true,
    createRemote: opts.createRemote ?? true,
    session,
    ...(opts.files ? { files: opts.files } : {}),
  });
}
