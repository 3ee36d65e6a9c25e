/**
 * `dusty dump`: what a bug report needs, with secrets left out: no asset
 * contents, no environment override values, no credentials in URLs.
 */
import { readFile } from 'node:fs/promises';
import { release, type as osType, arch } from 'node:os';
import type Docker from 'dockerode';
import { HELPER_DEFAULTS } from '../../../src-shared/helper-protocol.js';
import { readSection } from '../../platform/section-text.js';
import { detectCompose, projectName } from '../docker/compose-runner.js';
import type { Project } from '../project.js';
import { listContainers } from '../runtime/containers.js';
import { dustyVersion } from '../../version.js';
import { REDACTED, redactText } from './redact.js';
import { readCa, tlsPaths } from '../tls/ca.js';
import { caTrusted } from '../tls/router-tls.js';

export const DEFAULT_AUDIT_LOG = HELPER_DEFAULTS.auditLog;

export interface DumpDeps {
  project: Project;
  docker: Docker;
  hostsFile: string;
  auditLog?: string | undefined;
  auditLines?: number;
}

async function osName(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1];
  return `${pretty ? `${pretty}, ` : ''}${osType()} ${release()} ${arch()}`;
}

const attempt = async <T>(f: () => Promise<T>, fallback: (e: unknown) => T): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    return fallback(e);
  }
};
const why = (e: unknown) =>
  `unavailable (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;

/** The report as text; every line has been through {@link redactText}. */
export async function buildDump(deps: DumpDeps): Promise<string> {
  const { project, docker } = deps;
  const store = project.store;
  const lines: string[] = [];
  const section = (title: string) => lines.push('', `## ${title}`);
  const secrets: string[] = [];

  section('Versions');
  lines.push(`dusty: ${dustyVersion()}`);
  lines.push(`node: ${process.version}`);
  lines.push(`os: ${await osName()}`);
  lines.push(
    `engine: ${await attempt(async () => {
      const v = await docker.version();
      return `Docker ${v.Version} (API ${v.ApiVersion}, ${v.Os}/${v.Arch}, kernel ${v.KernelVersion})`;
    }, why)}`,
  );
  lines.push(`compose: ${await attempt(async () => (await detectCompose()).label, why)}`);

  section('Environment');
  lines.push(`DUSTY_HOME: ${store.home}`);
  lines.push(`project: ${projectName()}`);
  for (const k of [
    'DUSTY_PROJECT',
    'DUSTY_HOSTS_FILE',
    'DOCKER_HOST',
    'DOCKER_CONTEXT',
    'DUSTY_SOCKET_PATH',
  ])
    if (process.env[k]) lines.push(`${k}: ${process.env[k]}`);

  section('Config');
  const config = await attempt(
    () => store.config(),
    (e) => {
      lines.push(`config: ${why(e)}`);
      return undefined;
    },
  );
  if (config) for (const [k, v] of Object.entries(config)) lines.push(`${k}: ${JSON.stringify(v)}`);

  section('Active bundles');
  const bundles = await attempt(
    () => store.activeBundles(),
    () => [],
  );
  lines.push(bundles.length ? bundles.join(', ') : '(none)');

  section('Assets (names only)');
  const assets = await attempt(
    () => store.setAssets(),
    () => new Set<string>(),
  );
  for (const name of [...assets].sort()) {
    lines.push(`${name} (set)`);
    const content = await attempt(
      async () => (await store.readAsset(name)).toString('utf8'),
      () => '',
    );
    secrets.push(content, ...content.split('\n'));
  }
  if (!assets.size) lines.push('(none set)');

  section('Environment overrides (values left out)');
  const env = await attempt<Record<string, Record<string, string>>>(
    () => store.envOverrides(),
    () => ({}),
  );
  const apps = Object.keys(env).sort();
  for (const app of apps) {
    for (const [k, v] of Object.entries(env[app] ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`${app}: ${k}=${REDACTED}`);
      secrets.push(v);
    }
  }
  if (!apps.length) lines.push('(none)');

  section('Repo overrides');
  const overrides = await attempt<Record<string, string>>(
    () => store.repoOverrides(),
    () => ({}),
  );
  for (const [repo, path] of Object.entries(overrides)) lines.push(`${repo} -> ${path}`);
  if (!Object.keys(overrides).length) lines.push('(none)');

  section('Containers');
  await attempt(
    async () => {
      const cs = [...(await listContainers(docker)).values()].sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      for (const c of cs)
        lines.push(`${c.name}: ${c.state}${c.health ? ` (${c.health})` : ''} ${c.containerName}`);
      if (!cs.length) lines.push('(none)');
    },
    (e) => lines.push(why(e)),
  );

  section('HTTPS (the CA key is never read here)');
  await attempt(
    async () => {
      const paths = tlsPaths(store.home);
      const ca = await readCa(paths);
      if (!ca) return lines.push('(no local CA yet)');
      lines.push(`CA: ${ca.subject}`, `CA SHA-256: ${ca.fingerprint}`);
      lines.push(
        `CA permits: ${ca.permitted.join(', ')}`,
        `CA valid until: ${ca.notAfter.toISOString()}`,
      );
      lines.push(`trusted: ${(await caTrusted(paths, ca)) ? 'yes' : 'no'}`);
    },
    (e) => lines.push(why(e)),
  );

  section(`Hosts section of ${deps.hostsFile}`);
  await attempt(
    async () => {
      const s = readSection(await readFile(deps.hostsFile, 'utf8'));
      lines.push(...(s.length ? s : ['(no Dusty section)']));
    },
    (e) => lines.push(why(e)),
  );

  const audit = deps.auditLog ?? DEFAULT_AUDIT_LOG;
  section(`Helper audit log (last ${deps.auditLines ?? 30} lines of ${audit})`);
  await attempt(
    async () => {
      const text = await readFile(audit, 'utf8');
      const tail = text
        .trimEnd()
        .split('\n')
        .slice(-(deps.auditLines ?? 30));
      lines.push(...(tail.length && tail[0] ? tail : ['(empty)']));
    },
    (e) => lines.push(`not readable: ${(e as NodeJS.ErrnoException).code ?? why(e)}`),
  );

  return redactText(['# Dusty dump', ...lines].join('\n') + '\n', secrets);
}
