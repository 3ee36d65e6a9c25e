/** Doctor's checks of the compiled stack: assets, host names, ports and the router, repos. */
import { access, readFile } from 'node:fs/promises';
import { readSection } from '../../platform/section-text.js';
import { buildHostsSection } from '../compiler/hosts.js';
import type { CompiledProject } from '../project.js';
import { syncRepos, type RepoInfo } from '../repos/repos.js';
import { listContainers, type ContainerState } from '../runtime/containers.js';
import { ROUTER_NAME } from '../specs/validate.js';
import {
  defaultResolve,
  gitReachable,
  message,
  routerPorts,
  sectionMaps,
  tcpAnswers,
  tryBind,
  type CheckResult,
  type DoctorCheck,
  type DoctorContext,
  type DoctorDeps,
} from './checks.js';

/** The specs check ran first and compiled the project (the runner skips these otherwise). */
const compiledOf = (ctx: DoctorContext): CompiledProject => ctx.compiled!;

export const assetsCheck: DoctorCheck = {
  name: 'assets',
  needsSpecs: true,
  async run(ctx) {
    const missing = compiledOf(ctx).output.missingAssets;
    if (!missing.length)
      return [
        {
          title: 'required assets are set',
          status: 'ok',
          found: 'every required asset of the active bundles has a value',
        },
      ];
    return missing.map((a) => ({
      title: `required asset ${a.asset} is set`,
      status: 'fail',
      found: `not set (needed by ${a.owner} at ${a.path})`,
      fix: `dusty assets set ${a.asset} FILE`,
    }));
  },
};

type HostsEntry = { ip: string; hostname: string };

/** With DUSTY_HOSTS_FILE set, that file's section is read instead of resolving names. */
async function hostsFileResults(
  deps: DoctorDeps,
  entries: HostsEntry[],
  repair: CheckResult['repair'],
): Promise<CheckResult[]> {
  let section: string[] = [];
  let readError = '';
  try {
    section = readSection(await readFile(deps.hostsFile.path, 'utf8'));
  } catch (e) {
    readError = message(e);
  }
  return entries.map((e) => {
    const ok = sectionMaps(section, e.hostname, e.ip);
    return {
      title: `${e.hostname} maps to ${e.ip} in Dusty's section of ${deps.hostsFile.path} (DUSTY_HOSTS_FILE is set, so that file is checked instead of resolving)`,
      status: ok ? 'ok' : 'fail',
      found: ok ? 'present' : readError || 'missing from the section',
      ...(ok
        ? {}
        : {
            fix: `run \`dusty up\` or \`dusty doctor --fix\`, or add to its section: ${buildHostsSection([e]).split('\n')[1]}`,
            repair,
          }),
    };
  });
}

/** Each name resolves (dns.lookup honours the hosts file) to the engine's address. */
async function resolveResults(
  deps: DoctorDeps,
  entries: HostsEntry[],
  repair: CheckResult['repair'],
): Promise<CheckResult[]> {
  const resolveName = deps.resolve ?? defaultResolve;
  const out: CheckResult[] = [];
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
            repair,
          }),
    });
  }
  return out;
}

export const hostNamesCheck: DoctorCheck = {
  name: 'host names',
  needsSpecs: true,
  async run(ctx) {
    const { deps } = ctx;
    const entries = compiledOf(ctx).output.hostsEntries;
    if (!entries.length)
      return [
        {
          title: 'host names resolve',
          status: 'skip',
          found: 'the active bundles forward no host names that need a hosts entry',
        },
      ];
    const repair = deps.applyHosts
      ? {
          description: `rewrite Dusty's section of ${deps.hostsFile.path}`,
          run: async () => {
            await deps.applyHosts!(entries);
            return `wrote ${entries.length} host name(s) to ${deps.hostsFile.path}`;
          },
        }
      : undefined;
    return deps.hostsFile.custom
      ? hostsFileResults(deps, entries, repair)
      : resolveResults(deps, entries, repair);
  },
};

/** Whether each forwarded host port is free, or taken by Dusty's own router. */
async function portResults(
  bindHost: string,
  ports: number[],
  router: ContainerState | undefined,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const port of ports) {
    const title = `port ${port} is free or Dusty's own`;
    const r = await tryBind(bindHost, port);
    if (r === 'free') out.push({ title, status: 'ok', found: `free on ${bindHost}` });
    else if (r === 'in-use') {
      const ours = router?.state === 'running' && router.ports.some((p) => p.public === port);
      out.push(
        ours
          ? { title, status: 'ok', found: `in use by Dusty's router (${router.containerName})` }
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
  return out;
}

/** Whether the running router accepts connections on each host port. */
async function routerResults(
  address: string,
  ports: number[],
  router: ContainerState | undefined,
): Promise<CheckResult[]> {
  const title = 'the router answers on each host port';
  if (!ports.length) return [{ title, status: 'skip', found: 'no host ports are forwarded' }];
  if (!router || router.state !== 'running')
    return [
      {
        title,
        status: 'skip',
        found: `the router is ${router?.state ?? 'not created'}`,
        fix: 'start it with `dusty up`',
      },
    ];
  const out: CheckResult[] = [];
  for (const port of ports) {
    const ok = await tcpAnswers(address, port);
    out.push({
      title: `the router answers on ${address}:${port}`,
      status: ok ? 'ok' : 'fail',
      found: ok ? 'accepts connections' : 'no answer',
      ...(ok ? {} : { fix: `see \`dusty logs ${ROUTER_NAME}\`; \`dusty restart ${ROUTER_NAME}\`` }),
    });
  }
  return out;
}

export const portsCheck: DoctorCheck = {
  name: 'ports and router',
  needsSpecs: true,
  async run(ctx) {
    const compiled = compiledOf(ctx);
    const { platform } = compiled;
    const ports = routerPorts(compiled);
    const router = ctx.engineUp
      ? await listContainers(ctx.deps.docker).then(
          (all) => all.get(ROUTER_NAME),
          () => undefined,
        )
      : undefined;
    // A remote engine's ports are on its host: whether they are free cannot be tried from here.
    const bindHost = platform.publishAddress || '127.0.0.1';
    return [
      ...(await portResults(bindHost, platform.remote ? [] : ports, router)),
      ...(await routerResults(platform.engineAddress, ports, router)),
    ];
  },
};

/** A repo Dusty does not manage: its folder must exist. */
async function localRepoResult(r: RepoInfo): Promise<CheckResult> {
  const ok = await access(r.path).then(
    () => true,
    () => false,
  );
  return {
    title: `the ${r.mode} folder of repo ${r.name} exists`,
    status: ok ? 'ok' : 'fail',
    found: ok ? r.path : `${r.path} does not exist`,
    ...(ok
      ? {}
      : {
          fix: `\`dusty repos manage ${r.name}\` to let Dusty clone it, or \`dusty repos override ${r.name} PATH\``,
        }),
  };
}

/** A managed repo: reachable with git, and cloned (or a repair that clones it). */
async function managedRepoResult(r: RepoInfo, timeout: number): Promise<CheckResult> {
  const res = await gitReachable(r.cloneUrl, timeout);
  const cloned = await access(`${r.path}/.git`).then(
    () => true,
    () => false,
  );
  const found =
    (res.ok ? 'reachable' : `unreachable: ${res.output}`) +
    (cloned ? `; cloned at ${r.path}` : '; not cloned yet');
  const title = `managed repo ${r.name} is reachable (git ls-remote ${r.cloneUrl})`;
  if (!res.ok)
    return {
      title,
      status: 'fail',
      found,
      fix: `check the network, your SSH key or credentials for it, or use a local checkout: \`dusty repos override ${r.name} PATH\``,
    };
  if (cloned) return { title, status: 'ok', found };
  return {
    title,
    status: 'warn',
    found,
    fix: 'run `dusty up` or `dusty doctor --fix` to clone it',
    repair: {
      description: `clone ${r.name} into ${r.path}`,
      run: async () => {
        await syncRepos([r], false, () => {});
        return `cloned ${r.name}`;
      },
    },
  };
}

export const reposCheck: DoctorCheck = {
  name: 'repos',
  needsSpecs: true,
  async run(ctx) {
    const timeout = ctx.deps.gitTimeout ?? 8;
    // Checked in parallel (each may wait for the network), reported in the specs' order.
    return Promise.all(
      compiledOf(ctx).repos.map((r) =>
        r.mode !== 'managed' ? localRepoResult(r) : managedRepoResult(r, timeout),
      ),
    );
  },
};
