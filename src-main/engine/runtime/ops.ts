/** The commands for living with a running environment: stop, restart, status, logs, scripts, cp. */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { LABEL } from '../compiler/index.js';
import { shQuote } from '../compiler/start-script.js';
import { ComposeRunner, detectCompose } from '../docker/compose-runner.js';
import { resolveRepoName, syncRepos } from '../repos/repos.js';
import { DustyError } from '../errors.js';
import type { Project } from '../project.js';
import { ROUTER_NAME } from '../specs/validate.js';
import { listContainers } from './containers.js';
import { stopCodeSync } from '../remote/remote-up.js';
import { findBrokenState, heal } from './heal.js';

async function lastRunner(
  project: Project,
  onChild?: (pid: number, running: boolean) => void,
): Promise<ComposeRunner | undefined> {
  const file = join(project.store.compiledDir, 'docker-compose.yml');
  const ok = await access(file).then(
    () => true,
    () => false,
  );
  return ok ? new ComposeRunner(file, await detectCompose(), onChild) : undefined;
}

/** Stops (and with `rm` removes) the named containers, or all of Dusty's. */
export async function stop(
  project: Project,
  docker: Docker,
  names: string[],
  rm: boolean,
  /** Told of each Compose process, for the operation lock. */
  onChild?: (pid: number, running: boolean) => void,
): Promise<string[]> {
  const existing = await listContainers(docker);
  const unknown = names.filter((n) => !existing.has(n));
  if (unknown.length)
    throw new DustyError(
      'not-running',
      `no container for ${unknown.join(', ')}; running: ${[...existing.keys()].join(', ') || 'none'}`,
    );
  const runner = await lastRunner(project, onChild);
  const targets = names.length ? names : [...existing.keys()];
  // The whole environment stopping ends the code sync to a remote engine; `up` starts it again.
  if (!names.length) await stopCodeSync(project.store);
  if (!targets.length) return [];
  // `down` fails on a network name that matches two networks ("ambiguous").
  if (rm && !names.length)
    await heal(
      (await findBrokenState({ docker, services: [...existing.keys()] })).filter(
        (f) => f.kind === 'duplicate-network',
      ),
    );
  if (runner) {
    if (rm && !names.length) await runner.exec(['down', '--remove-orphans']);
    else if (rm) await runner.exec(['rm', '--force', '--stop', ...names]);
    else await runner.exec(['stop', ...names]);
  } else {
    await Promise.all(
      targets.map(async (n) => {
        const c = docker.getContainer(existing.get(n)!.id);
        await c.stop().catch(() => undefined);
        if (rm) await c.remove({ force: true });
      }),
    );
  }
  return targets;
}

/** Restarts containers; with repos, pulls those repos first and restarts the apps that use them. */
export async function restart(
  project: Project,
  docker: Docker,
  names: string[],
  givenRepos: string[],
  onLine: (l: string) => void,
): Promise<string[]> {
  const existing = await listContainers(docker);
  const targets = new Set(names);
  if (givenRepos.length) {
    const compiled = await project.compile();
    // Full names or the original's short names.
    const repos = givenRepos.map((r) =>
      resolveRepoName(
        r,
        compiled.repos.map((x) => x.name),
      ),
    );
    await syncRepos(
      compiled.repos.filter((r) => repos.includes(r.name)),
      true,
      (e) => onLine(`${e.action} ${e.repo}: ${e.status}${e.message ? ` (${e.message})` : ''}`),
    );
    for (const [name, c] of existing) {
      const used = [
        c.labels[LABEL.repo],
        ...(c.labels[LABEL.libs]?.split(',') ?? []).map(
          (l) => compiled.validation.specs.libs[l]?.spec.repo,
        ),
      ];
      if (used.some((r) => r && repos.includes(r))) targets.add(name);
    }
  }
  const list = targets.size ? [...targets] : [...existing.keys()].filter((n) => n !== ROUTER_NAME);
  const missing = list.filter((n) => !existing.has(n));
  if (missing.length)
    throw new DustyError(
      'not-running',
      `no container for ${missing.join(', ')}; start it with \`dusty up\``,
    );
  await Promise.all(list.map((n) => docker.getContainer(existing.get(n)!.id).restart({ t: 5 })));
  return list;
}

export interface StatusRow {
  name: string;
  kind: 'app' | 'service' | 'lib' | 'router';
  state: string;
  health: string | null;
  container: string | null;
  urls: string[];
  usedBy?: string[];
}

/** Every app, service and lib of the active bundles, with its container's state. */
export async function status(project: Project, docker: Docker): Promise<StatusRow[]> {
  const [{ output, validation }, containers] = await Promise.all([
    project.compile(),
    listContainers(docker),
  ]);
  const rows: StatusRow[] = output.containers.map((c) => {
    const s = containers.get(c.name);
    return {
      name: c.name,
      kind: c.kind,
      state: s?.state ?? 'not created',
      health: s?.health ?? null,
      container: s?.containerName ?? null,
      urls: c.urls,
    };
  });
  for (const lib of output.closure.libs) {
    const usedBy = output.closure.apps.filter(
      (a) =>
        validation.specs.apps[a]!.spec.depends.libs.includes(lib) ||
        (containers.get(a)?.labels[LABEL.libs]?.split(',') ?? []).includes(lib),
    );
    rows.push({
      name: lib,
      kind: 'lib',
      state: usedBy.length ? `used by ${usedBy.join(', ')}` : 'unused',
      health: null,
      container: null,
      urls: [],
      usedBy,
    });
  }
  return rows;
}

/** Streams a container's logs to the writers; `done` resolves when the stream ends, `cancel` ends it. */
export async function logs(
  docker: Docker,
  name: string,
  opts: { follow: boolean; timestamps: boolean; tail?: number | undefined },
  out: Writable,
  err: Writable,
): Promise<{ done: Promise<void>; cancel: () => void }> {
  const existing = await listContainers(docker);
  const c = existing.get(name);
  if (!c)
    throw new DustyError('not-running', `${name} has no container; start it with \`dusty up\``);
  const container = docker.getContainer(c.id);
  const info = await container.inspect();
  const base = {
    stdout: true,
    stderr: true,
    timestamps: opts.timestamps,
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
  };
  if (!opts.follow) {
    const buf = await container.logs({ ...base, follow: false });
    if (info.Config.Tty) out.write(buf);
    else demuxInto(buf, out, err);
    return { done: Promise.resolve(), cancel: () => {} };
  }
  const stream = (await container.logs({ ...base, follow: true })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  if (info.Config.Tty) stream.pipe(out, { end: false });
  else docker.modem.demuxStream(stream, out, err);
  const done = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  return { done, cancel: () => stream.destroy() };
}

function demuxInto(buf: Buffer, out: Writable, err: Writable) {
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    const len = buf.readUInt32BE(i + 4);
    (type === 2 ? err : out).write(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
}

/** The shell text of an app script with extra arguments appended to its last line. */
export function scriptText(lines: string[], args: string[]): string {
  const all = [...lines];
  if (args.length && all.length) all[all.length - 1] += ' ' + args.map(shQuote).join(' ');
  return ['set -e', ...all].join('\n');
}

/** Runs a command in a container without a TTY, streaming its output; resolves with its exit code. */
export async function execIn(
  docker: Docker,
  container: Docker.Container,
  cmd: string[],
  /** Undefined: the container's own working directory. */
  workdir: string | undefined,
  out: Writable,
  err: Writable,
): Promise<number> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    ...(workdir ? { WorkingDir: workdir } : {}),
  });
  const stream = await exec.start({});
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return info.ExitCode ?? 1;
}
