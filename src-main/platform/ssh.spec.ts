import { describe, expect, it } from 'vitest';
import { filesToSend, rsyncArgs, rsyncShell } from './rsync.js';
import { describeTarget, parseSshEndpoint, sshArgs, SshError } from './ssh.js';

describe('ssh targets', () => {
  it('reads user, host and port from an ssh:// DOCKER_HOST', () => {
    expect(parseSshEndpoint('ssh://dev@box.example:2222')).toEqual({
      host: 'box.example',
      user: 'dev',
      port: 2222,
    });
    expect(parseSshEndpoint('ssh://devbox')).toEqual({
      host: 'devbox',
      user: undefined,
      port: undefined,
    });
    expect(parseSshEndpoint('ssh://[fd00::2]:22').host).toBe('fd00::2');
  });

  it('refuses what is not an ssh:// address, saying what it expected', () => {
    expect(() => parseSshEndpoint('tcp://box:2376')).toThrow(/ssh:\/\/\[USER@\]HOST\[:PORT\]/);
    expect(() => parseSshEndpoint('ssh://box/var/run')).toThrow(/no path/);
  });

  it('passes user and port as the docker CLI does, leaving the rest to ~/.ssh/config', () => {
    const t = { host: 'box', user: 'dev', port: 2222 };
    expect(sshArgs(t, ['-T'])).toEqual(['-l', 'dev', '-p', '2222', '-T', '--', 'box']);
    expect(sshArgs({ host: 'alias' })).toEqual(['--', 'alias']);
    expect(describeTarget(t)).toBe('dev@box:2222');
  });

  it('names the host and the command in its errors, and says what to try when ssh cannot connect', () => {
    const e = new SshError({ host: 'box', user: 'dev', port: 2222 }, 'rsync a/ to box:b/', {
      code: 255,
      stdout: '',
      stderr: 'dev@box: Permission denied (publickey).',
    });
    expect(e.message).toMatch(/^on dev@box:2222, `rsync a\/ to box:b\/` failed \(exit 255\)/);
    expect(e.message).toContain('Permission denied');
    expect(e.message).toContain('`ssh dev@box -p 2222`');
  });
});

describe('rsync arguments', () => {
  const job = {
    target: { host: 'box', user: 'dev', port: 2222 },
    local: '/src/app/',
    remote: '/r/app',
  };

  it('copies the contents one way, skipping .git and the excluded paths, deleting only with deleteMissing', () => {
    const args = rsyncArgs({ ...job, deleteMissing: true });
    expect(args).toContain('--exclude=.git/');
    expect(args).toContain('--exclude-from=-');
    expect(args).toContain('--delete');
    expect(args).not.toContain('--delete-excluded');
    expect(args.slice(-2)).toEqual(['/src/app/', 'box:/r/app/']);
    expect(rsyncArgs(job)).not.toContain('--delete');
  });

  it('creates the remote folder and runs ssh with the same user and port', () => {
    const args = rsyncArgs(job);
    expect(args).toContain('--rsync-path=mkdir -p /r/app && rsync');
    expect(rsyncShell(job)).toBe('ssh -o BatchMode=yes -o ConnectTimeout=15 -p 2222 -l dev');
  });
});

describe('rsync of the paths a watcher saw change', () => {
  const job = { target: { host: 'box' }, local: '/src/app', remote: '/r/app' };

  it('sends each listed path whatever its size and time, and deletes what is gone', () => {
    const args = rsyncArgs(job, '/tmp/list');
    expect(args).toContain('--files-from=/tmp/list');
    // Same size and same second as the last copy must not mean "unchanged".
    expect(args).toContain('--checksum');
    expect(args).toContain('--delete-missing-args');
    // --files-from turns off -a's -r: a new folder must go whole.
    expect(args).toContain('--recursive');
    expect(rsyncArgs(job)).not.toContain('--checksum');
  });

  it('drops paths in excluded folders, excluded files, .git and duplicates', () => {
    expect(
      filesToSend(
        [
          'index.html',
          'node_modules/x/i.js',
          'node_modules',
          'sub/gen/out.txt',
          'a.log',
          '.git/HEAD',
          'sub/keep.txt',
          'index.html',
        ],
        ['node_modules/', 'sub/gen/', 'a.log'],
      ),
    ).toEqual(['index.html', 'sub/keep.txt']);
  });
});
