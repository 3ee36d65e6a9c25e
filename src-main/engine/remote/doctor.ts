/**
 * `doctor`'s checks for a remote engine: ssh, rsync on both ends, the
 * engine's version, free disk where the code is copied, and clock skew.
 * Each says how to fix what it finds.
 */
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import {
  describeTarget,
  runSsh,
  SshError,
  SshSession,
  type SshTarget,
} from '../../platform/ssh.js';
import { tlsProblem } from '../docker/client.js';
import type { CheckResult } from '../doctor/checks.js';

const first = (s: string) => s.trim().split('\n')[0] ?? '';

function localRsync(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('rsync', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? first(out) : undefined));
  });
}

/** Free space below `root` (or its nearest existing parent) in bytes, from `df -Pk`. */
export function parseDfAvailable(text: string): number | undefined {
  const line = text.trim().split('\n')[1];
  const avail = Number(line?.trim().split(/\s+/)[3]);
  return Number.isFinite(avail) ? avail * 1024 : undefined;
}

/** Remote clock minus local clock in ms, judged at the middle of the round trip. */
export function clockSkew(sentMs: number, receivedMs: number, remoteSeconds: number): number {
  return remoteSeconds * 1000 - (sentMs + receivedMs) / 2;
}

const GB = 1024 ** 3;

/** The engine's host: where ssh goes, and the folder the copies go to (asking the host may be needed). */
export interface RemoteEndpoint {
  target: SshTarget;
  root: () => Promise<string>;
}

/** How to make ssh to the engine's host work, with the command a person would try. */
export function sshFix(target: SshTarget): string {
  const sshTry = `\`ssh ${target.port ? `-p ${target.port} ` : ''}${target.user ? `${target.user}@` : ''}${target.host} true\``;
  return `make ${sshTry} work without a prompt: check the host and port, load your key (\`ssh-add\`), copy it there (\`ssh-copy-id\`), or set HostName/Port/User/IdentityFile for it in ~/.ssh/config`;
}

export async function remoteChecks(remote: RemoteEndpoint, docker: Docker): Promise<CheckResult[]> {
  const { target } = remote;
  const host = describeTarget(target);
  const out: CheckResult[] = [];
  let session: SshSession;
  try {
    session = await SshSession.open(target);
    out.push({
      title: `ssh connects to ${host}`,
      status: 'ok',
      found: 'connected without a prompt',
    });
  } catch (e) {
    out.push({
      title: `ssh connects to ${host}`,
      status: 'fail',
      found: (e as Error).message,
      fix: sshFix(target),
    });
    return out;
  }
  try {
    const here = await localRsync();
    out.push(
      here
        ? { title: 'rsync is installed here', status: 'ok', found: here }
        : {
            title: 'rsync is installed here',
            status: 'fail',
            found: 'no rsync command',
            fix: 'install rsync (`sudo apt-get install rsync`, `brew install rsync`)',
          },
    );
    const there = await runSsh(target, ['rsync', '--version'], { session, timeoutMs: 30_000 });
    out.push(
      there.code === 0
        ? {
            title: `rsync is installed on ${target.host}`,
            status: 'ok',
            found: first(there.stdout),
          }
        : {
            title: `rsync is installed on ${target.host}`,
            status: 'fail',
            found: first(there.stderr) || `exit ${there.code}`,
            fix: `install rsync on ${target.host} (e.g. \`sudo apt-get install rsync\` there)`,
          },
    );
    out.push(await engineVersion(docker, host));
    out.push(await freeDisk(target, remote.root, session));
    out.push(await skew(target, session));
  } finally {
    await session.close();
  }
  return out;
}

async function engineVersion(docker: Docker, host: string): Promise<CheckResult> {
  const title = `the engine on ${host} is Docker 18.09 or later`;
  try {
    const v = await docker.version();
    const [major = 0, minor = 0] = v.Version.split('.').map(Number);
    const okVersion = major > 18 || (major === 18 && minor >= 9);
    return okVersion
      ? { title, status: 'ok', found: `Docker ${v.Version} (API ${v.ApiVersion})` }
      : {
          title,
          status: 'fail',
          found: `Docker ${v.Version}`,
          fix: `upgrade Docker on ${host}`,
        };
  } catch (e) {
    return {
      title,
      status: 'fail',
      found: (e as Error).message.split('\n')[0]!,
      fix:
        e instanceof SshError && e.result.code === 255
          ? sshFix(e.target)
          : (tlsProblem(e) ??
            `check Docker runs on ${host}; over ssh://, \`docker system dial-stdio\` (Docker 18.09 or later) must work there for your user (the docker group)`),
    };
  }
}

async function freeDisk(
  target: SshTarget,
  rootOf: () => Promise<string>,
  session: SshSession,
): Promise<CheckResult> {
  let root: string;
  try {
    root = await rootOf();
  } catch (e) {
    const title = `free disk on ${target.host} where code is copied`;
    return { title, status: 'warn', found: `cannot tell: ${first((e as Error).message)}` };
  }
  const title = `free disk on ${target.host} where code is copied (${root})`;
  // The folder may not exist before the first `up`: ask about its nearest existing parent.
  const script = 'd="$1"; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pk "$d"';
  const r = await runSsh(target, ['sh', '-c', script, 'sh', root], { session, timeoutMs: 30_000 });
  const free = r.code === 0 ? parseDfAvailable(r.stdout) : undefined;
  if (free === undefined)
    return { title, status: 'warn', found: `cannot tell: ${first(r.stderr) || 'no df output'}` };
  const found = `${(free / GB).toFixed(1)} GB free`;
  if (free >= 5 * GB) return { title, status: 'ok', found };
  return {
    title,
    status: free < GB ? 'fail' : 'warn',
    found,
    fix: `free space on ${target.host}: \`dusty disk cleanup_images\`, \`docker system prune\` there, or set remote_dir to a larger disk`,
  };
}

async function skew(target: SshTarget, session: SshSession): Promise<CheckResult> {
  const title = `the clocks here and on ${target.host} agree`;
  const sent = Date.now();
  const r = await runSsh(target, ['date', '+%s'], { session, timeoutMs: 30_000 });
  const received = Date.now();
  const remote = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isFinite(remote))
    return { title, status: 'warn', found: `cannot tell: ${first(r.stderr) || r.stdout}` };
  // `date +%s` has whole seconds: anything within a second and a half is agreement.
  const ms = clockSkew(sent, received, remote);
  const found = `${ms >= 0 ? 'ahead' : 'behind'} by ${(Math.abs(ms) / 1000).toFixed(1)} s`;
  if (Math.abs(ms) <= 1500 + (received - sent) / 2) return { title, status: 'ok', found };
  return {
    title,
    status: Math.abs(ms) > 60_000 ? 'fail' : 'warn',
    found: `${target.host} is ${found}`,
    fix: `turn on time sync on both machines (\`sudo timedatectl set-ntp true\` on Linux; System Settings › Date & Time on macOS): Dusty compares file times with container start times`,
  };
}
