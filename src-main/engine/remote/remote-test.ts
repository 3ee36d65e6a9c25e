/**
 * `dusty test` on a remote engine: a suite's containers mount the copies on
 * the engine's host, as `up`'s containers do, so the repos a suite uses are
 * copied there before its testing image is made. The watcher `up` left is not
 * touched: both copy the same folders one way, and a copy is idempotent.
 */
import { describeTarget, SshSession, type SshTarget } from '../../platform/ssh.js';
import type { RepoInfo } from '../repos/repos.js';
import { planFolders, remoteRepoPath, syncFolder } from './sync.js';

/**
 * Copies each repo to the remote host; returns where a repo is mounted from
 * there. Throws naming the host and the command when a copy fails.
 */
export async function copyReposForTest(
  remote: { target: SshTarget; root: string },
  repos: RepoInfo[],
  onStep: (message: string) => void,
): Promise<(repo: string) => string> {
  const folders = planFolders(remote.root, repos, '').filter((f) => f.kind === 'repo');
  if (folders.length) {
    onStep(`copying code to ${describeTarget(remote.target)}`);
    const session = await SshSession.open(remote.target);
    try {
      await Promise.all(folders.map((f) => syncFolder(f, remote.target, session)));
    } finally {
      await session.close();
    }
  }
  return (repo) => remoteRepoPath(remote.root, repo);
}
