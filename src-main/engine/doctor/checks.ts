/**
 * `dusty doctor`: each check says what it checked, what it found and how to
 * fix it; where a safe repair exists, the check carries it.
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { access, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import net from 'node:net';
import type Docker from 'dockerode';
import { HELPER_PROTOCOL_VERSION } from '../../../src-shared/helper-protocol.js';
import { readSection } from '../../platform/section-text.js';
import { buildHostsSection } from '../compiler/hosts.js';
import { ExecRunner } from '../../platform/command-runner.js';
import { detectCompose } from '../docker/compose-runner.js';
import { describeEngine } from '../docker/engine-info.js';
import type { CompiledProject, Project } from '../project.js';
import { syncRepos, type RepoInfo } from '../repos/repos.js';
import { listContainers } from '../runtime/containers.js';
import { ROUTER_NAME } from '../specs/validate.js';
import { remoteChecks } from '../remote/doctor.js';
import { engineStateChecks } from './engine-state.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** What was checked, e.g. `port 80 is free or Dusty's`. */
  title: string;
  status: CheckStatus;
  /** What was found. */
  found: string;
  /** How to fix it, for a person. */
  fix?: string | undefined;
  /** A safe repair `doctor --fix` may run; resolves with what it did. */
  repair?: { description: string; run: () => Promise<string> } | undefined;
}

/** The part of the helper client doctor needs. */
export interface HelperLike {
  available(): Promise<boolean>;
  call(
    op: 'version',
    params: Record<string, never>,
  ): Promise<{ version: string; protocol: number }>;
}

export interface DoctorDeps {
  project: Project;
  docker: Docker;
  dustyVersion: string;
  helper?: HelperLike | undefined;
  /** The hosts file Dusty writes; `custom` when DUSTY_HOSTS_FILE chose it. */
  hostsFile: { path: string; custom: boolean };
  /** Resolves a host name to its addresses (dns.lookup honours /etc/hosts). */
  resolve?: (name: string) => Promise<string[]>;
  /** Writes Dusty's hosts section, for the repair. */
  applyHosts?: (entries: { ip: string; hostname: string }[]) => Promise<unknown>;
  /** Starts the engine, for the repair. */
  ensureEngine?: () => Promise<void>;
  /** Describes the engine Dusty uses (tests hand in a stand-in); defaults to asking it. */
  describeEngine?: typeof describeEngine;
  /** Seconds `git ls-remote` may take per repo. */
  gitTimeout?: number;
}

const defaultResolve = async (name: string) =>
  (await lookup(name, { all: true })).map((a) => a.address);

/** Tries to listen on host:port; resolves `free`, `in-use`, or the error code. */
export function tryBind(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'EADDRINUSE' ? 'in-use' : (e.code ?? e.message)),
    );
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve('free')));
  });
}

/** Whether something accepts TCP connections on host:port within the timeout. */
export function tcpAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** `git ls-remote` with a deadline and no prompts. */
export function gitReachable(
  url: string,
  timeoutS: number,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', ['ls-remote', '--heads', url], {
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_SSH_COMMAND: `ssh -o BatchMode=yes -o ConnectTimeout=${timeoutS}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, output: `no answer within ${timeoutS}s` });
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `cannot run git: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output: output.trim().split('\n').pop() ?? '' });
    });
  });
}

/** Whether a hosts file's Dusty section maps `hostname` to `ip`. */
export function sectionMaps(
  sectionLines: readonly string[],
  hostname: string,
  ip: string,
): boolean {
  return sectionLines.some((l) => {
    const [addr, ...names] = l.trim().split(/\s+/);
    return addr === ip && names.some((n) => n.toLowerCase() === hostname.toLowerCase());
  });
}

/** The host ports the compiled project publishes (its router's), sorted. */
export function routerPorts(compiled: CompiledProject): number[] {
  const specs = compiled.validation.specs;
  const ports = compiled.output.closure.apps.flatMap(
    (a) => specs.apps[a]?.spec.host_forwarding.map((f) => f.host_port) ?? [],
  );
  return [...new Set(ports)].sort((a, b) => a - b);
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Which engine Dusty uses (and whether vm_provider agrees), and whether it answers. */
async function engineChecks(deps: DoctorDeps): Promise<{ results: CheckResult[]; up: boolean }> {
  const config = await deps.project.store.config().catch(() => undefined);
  const info = await (deps.describeEngine ?? describeEngine)(config?.vm_provider ?? 'auto', {
    runner: new ExecRunner(),
  });
  const which: CheckResult = info.error
    ? {
        title: 'the docker CLI configuration names an engine',
        status: 'fail',
        found: info.error,
        fix: 'fix or remove that setting (`docker context use default` goes back to the local engine)',
      }
    : info.mismatch
      ? {
          title: 'vm_provider agrees with the engine the docker CLI uses',
          status: 'warn',
          found: `vm_provider is ${info.configured}, but the docker CLI's engine is a ${info.detectedLabel}: ${info.description}`,
          fix: info.mismatch,
        }
      : {
          title: 'the engine Dusty uses is the one the docker CLI uses',
          status: 'ok',
          found: `${info.label}${info.version ? ` ${info.version}` : ''}, ${info.description}; code reaches it by ${info.mountsWhy}`,
        };
  try {
    await deps.docker.ping();
    const v = await deps.docker.version();
    const found = `Docker ${v.Version} (API ${v.ApiVersion}, ${v.Os}/${v.Arch})`;
    return {
      results: [which, { title: 'the Docker engine answers', status: 'ok', found }],
      up: true,
    };
  } catch (e) {
    const start =
      info.kind === 'native'
        ? 'start it: `systemctl start docker` (or your system’s service manager), or `dusty up`, which starts it through the helper'
        : info.startHow
          ? `start ${info.label}: \`${info.startHow}\`, or \`dusty up\`, which starts it`
          : `Dusty cannot start a ${info.label}: start the engine on ${info.endpoint}`;
    const repair =
      deps.ensureEngine && info.canStart
        ? {
            repair: {
              description: `start ${info.label}`,
              run: async () => {
                await deps.ensureEngine!();
                return 'the engine answers now';
              },
            },
          }
        : {};
    const failed: CheckResult = {
      title: 'the Docker engine answers',
      status: 'fail',
      found: message(e),
      fix: start,
      ...repair,
    };
    return { results: [which, failed], up: false };
  }
}

/** Runs every check; never throws. */
export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const { docker, project } = deps;

  // The engine.
  const engine = await engineChecks(deps);
  out.push(...engine.results);
  const engineUp = engine.up;

  // Compose.
  try {
    const c = await detectCompose();
    out.push({ title: 'Docker Compose is installed', status: 'ok', found: c.label });
  } catch (e) {
    out.push({
      title: 'Docker Compose is installed',
      status: 'fail',
      found: message(e),
      fix: 'install the docker compose plugin (v2) or docker-compose (v1)',
    });
  }

  // The helper.
  const helperTitle = "the privileged helper answers and matches Dusty's version";
  if (!deps.helper)
    out.push({ title: helperTitle, status: 'skip', found: 'no helper client on this platform' });
  else if (!(await deps.helper.available().catch(() => false))) {
    out.push(
      deps.hostsFile.custom
        ? {
            title: helperTitle,
            status: 'ok',
            found: `not running, and not needed: DUSTY_HOSTS_FILE=${deps.hostsFile.path} is written directly`,
          }
        : process.getuid?.() === 0
          ? {
              title: helperTitle,
              status: 'warn',
              found: 'not running; Dusty runs as root and edits the hosts file itself',
              fix: 'install it with `dusty setup` to use Dusty without root',
            }
          : {
              title: helperTitle,
              status: 'fail',
              found: 'not running: host names and the engine cannot be managed without it',
              fix: 'install it with `dusty setup`',
            },
    );
  } else {
    try {
      const v = await deps.helper.call('version', {});
      const same = v.version === deps.dustyVersion && v.protocol === HELPER_PROTOCOL_VERSION;
      out.push({
        title: helperTitle,
        status: same ? 'ok' : 'fail',
        found: `helper ${v.version} (protocol ${v.protocol}); Dusty ${deps.dustyVersion} (protocol ${HELPER_PROTOCOL_VERSION})`,
        ...(same
          ? {}
          : { fix: 'reinstall the helper with `dusty setup` so it matches this Dusty' }),
      });
    } catch (e) {
      out.push({
        title: helperTitle,
        status: 'fail',
        found: message(e),
        fix: 'reinstall the helper with `dusty setup`',
      });
    }
  }

  // The specs.
  let compiled: CompiledProject | undefined;
  try {
    const v = await project.validate();
    const errors = v.problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      out.push({
        title: 'the specs validate',
        status: 'fail',
        found: `${errors.length} error(s), first: ${errors[0]!.file}: ${errors[0]!.path ? `${errors[0]!.path}: ` : ''}${errors[0]!.message}`,
        fix: 'run `dusty validate` to see every problem, and fix the specs',
      });
    } else {
      const warnings = v.problems.length;
      out.push({
        title: 'the specs validate',
        status: 'ok',
        found: `valid${warnings ? ` with ${warnings} warning(s) (see \`dusty validate\`)` : ''}`,
      });
      compiled = await project.compile();
    }
  } catch (e) {
    out.push({
      title: 'the specs validate',
      status: 'fail',
      found: message(e),
      fix: 'set the specs repo with `dusty config set specs_repo PATH_OR_URL`',
    });
  }
  if (!compiled) {
    out.push({
      title: 'required assets, host names, ports and repos',
      status: 'skip',
      found: 'skipped: the specs do not compile',
    });
    return out;
  }
  const { output, platform } = compiled;
  if (platform.remote) out.push(...(await remoteChecks(platform.remote, docker)));

  // Assets.
  if (output.missingAssets.length)
    for (const a of output.missingAssets)
      out.push({
        title: `required asset ${a.asset} is set`,
        status: 'fail',
        found: `not set (needed by ${a.owner} at ${a.path})`,
        fix: `dusty assets set ${a.asset} FILE`,
      });
  else
    out.push({
      title: 'required assets are set',
      status: 'ok',
      found: 'every required asset of the active bundles has a value',
    });

  // Host names.
  const entries = output.hostsEntries;
  const hostsRepair = deps.applyHosts
    ? {
        description: `rewrite Dusty's section of ${deps.hostsFile.path}`,
        run: async () => {
          await deps.applyHosts!(entries);
          return `wrote ${entries.length} host name(s) to ${deps.hostsFile.path}`;
        },
      }
    : undefined;
  if (!entries.length)
    out.push({
      title: 'host names resolve',
      status: 'skip',
      found: 'the active bundles forward no host names that need a hosts entry',
    });
  if (deps.hostsFile.custom && entries.length) {
    let section: string[] = [];
    let readError = '';
    try {
      section = readSection(await readFile(deps.hostsFile.path, 'utf8'));
    } catch (e) {
      readError = message(e);
    }
    for (const e of entries) {
      const ok = sectionMaps(section, e.hostname, e.ip);
      out.push({
        title: `${e.hostname} maps to ${e.ip} in Dusty's section of ${deps.hostsFile.path} (DUSTY_HOSTS_FILE is set, so that file is checked instead of resolving)`,
        status: ok ? 'ok' : 'fail',
        found: ok ? 'present' : readError || 'missing from the section',
        ...(ok
          ? {}
          : {
              fix: `run \`dusty up\` or \`dusty doctor --fix\`, or add to its section: ${buildHostsSection([e]).split('\n')[1]}`,
              repair: hostsRepair,
            }),
      });
    }
  } else {
    const resolveName = deps.resolve ?? defaultResolve;
    for (const e of entries) {
      let found: string;
      let ok = false;
      try {
        const addrs = await resolveName(e.hostname);
        ok = addrs.includes(e.ip);
        found = `resolves to ${addrs.join(', ')}`;
      } catch (err) {
        found = `does not resolve (${(err as NodeJS.ErrnoException).code ?? message(err)})`;
      }
      out.push({
        title: `${e.hostname} resolves to the engine's address ${e.ip}`,
        status: ok ? 'ok' : 'fail',
        found,
        ...(ok
          ? {}
          : {
              fix: `run \`dusty up\` or \`dusty doctor --fix\` to write the hosts section of ${deps.hostsFile.path}`,
              repair: hostsRepair,
            }),
      });
    }
  }

  // Ports and the router.
  const ports = routerPorts(compiled);
  let router: Awaited<ReturnType<typeof listContainers>> extends Map<string, infer C>
    ? C | undefined
    : never;
  try {
    router = engineUp ? (await listContainers(docker)).get(ROUTER_NAME) : undefined;
  } catch {
    router = undefined;
  }
  const bindHost = platform.publishAddress || '127.0.0.1';
  // A remote engine's ports are on its host: whether they are free cannot be tried from here.
  for (const port of platform.remote ? [] : ports) {
    const title = `port ${port} is free or Dusty's own`;
    const r = await tryBind(bindHost, port);
    if (r === 'free') out.push({ title, status: 'ok', found: `free on ${bindHost}` });
    else if (r === 'in-use') {
      const ours = router?.state === 'running' && router.ports.some((p) => p.public === port);
      out.push(
        ours
          ? { title, status: 'ok', found: `in use by Dusty's router (${router!.containerName})` }
          : {
              title,
              status: 'fail',
              found: `taken by another program on ${bindHost}:${port}`,
              fix: `find it with \`ss -ltnp 'sport = :${port}'\` and stop it, or change host_port in the specs`,
            },
      );
    } else
      out.push({
        title,
        status: 'warn',
        found: `cannot test it (${r})`,
        fix: r === 'EACCES' ? 'ports below 1024 need root or the helper' : undefined,
      });
  }
  if (!ports.length)
    out.push({
      title: 'the router answers on each host port',
      status: 'skip',
      found: 'no host ports are forwarded',
    });
  else if (!router || router.state !== 'running')
    out.push({
      title: 'the router answers on each host port',
      status: 'skip',
      found: `the router is ${router?.state ?? 'not created'}`,
      fix: 'start it with `dusty up`',
    });
  else
    for (const port of ports) {
      const ok = await tcpAnswers(platform.engineAddress, port);
      out.push({
        title: `the router answers on ${platform.engineAddress}:${port}`,
        status: ok ? 'ok' : 'fail',
        found: ok ? 'accepts connections' : 'no answer',
        ...(ok
          ? {}
          : { fix: `see \`dusty logs ${ROUTER_NAME}\`; \`dusty restart ${ROUTER_NAME}\`` }),
      });
    }

  if (engineUp)
    out.push(
      ...(await engineStateChecks(docker, compiled, {
        file: deps.hostsFile.path,
        apply: deps.applyHosts,
      })),
    );

  // Repos.
  const timeout = deps.gitTimeout ?? 8;
  await Promise.all(
    compiled.repos.map(async (r: RepoInfo) => {
      if (r.mode !== 'managed') {
        const ok = await access(r.path).then(
          () => true,
          () => false,
        );
        out.push({
          title: `the ${r.mode} folder of repo ${r.name} exists`,
          status: ok ? 'ok' : 'fail',
          found: ok ? r.path : `${r.path} does not exist`,
          ...(ok
            ? {}
            : {
                fix: `\`dusty repos manage ${r.name}\` to let Dusty clone it, or \`dusty repos override ${r.name} PATH\``,
              }),
        });
        return;
      }
      const res = await gitReachable(r.cloneUrl, timeout);
      const cloned = await access(`${r.path}/.git`).then(
        () => true,
        () => false,
      );
      out.push({
        title: `managed repo ${r.name} is reachable (git ls-remote ${r.cloneUrl})`,
        status: res.ok ? (cloned ? 'ok' : 'warn') : 'fail',
        found:
          (res.ok ? 'reachable' : `unreachable: ${res.output}`) +
          (cloned ? `; cloned at ${r.path}` : '; not cloned yet'),
        ...(res.ok
          ? cloned
            ? {}
            : {
                fix: 'run `dusty up` or `dusty doctor --fix` to clone it',
                repair: {
                  description: `clone ${r.name} into ${r.path}`,
                  run: async () => {
                    await syncRepos([r], false, () => {});
                    return `cloned ${r.name}`;
                  },
                },
              }
          : {
              fix:
                'check the network, your SSH key or credentials for it, or use a local checkout: `dusty repos override ' +
                r.name +
                ' PATH`',
            }),
      });
    }),
  );
  return out;
}
