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
import { readCa } from '../tls/ca-files.js';
import { tlsPaths } from '../tls/paths.js';
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

/** One part of the report: its heading and its lines; values it must never show go to `secrets`. */
interface DumpSection {
  title: (deps: DumpDeps) => string;
  lines: (deps: DumpDeps, secrets: string[]) => Promise<string[]>;
}

/** The lines `f` gives, or one line saying why it could not. */
const orWhy = async (f: () => Promise<string[]>, say = why): Promise<string[]> =>
  attempt(f, (e) => [say(e)]);

const versions: DumpSection = {
  title: () => 'Versions',
  lines: async ({ docker }) => [
    `dusty: ${dustyVersion()}`,
    `node: ${process.version}`,
    `os: ${await osName()}`,
    `engine: ${await attempt(async () => {
      const v = await docker.version();
      return `Docker ${v.Version} (API ${v.ApiVersion}, ${v.Os}/${v.Arch}, kernel ${v.KernelVersion})`;
    }, why)}`,
    `compose: ${await attempt(async () => (await detectCompose()).label, why)}`,
  ],
};

const ENV_KEYS = [
  'DUSTY_PROJECT',
  'DUSTY_HOSTS_FILE',
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  'DUSTY_SOCKET_PATH',
];

const environment: DumpSection = {
  title: () => 'Environment',
  lines: async ({ project }) => [
    `DUSTY_HOME: ${project.store.home}`,
    `project: ${projectName()}`,
    ...ENV_KEYS.filter((k) => process.env[k]).map((k) => `${k}: ${process.env[k]}`),
  ],
};

const config: DumpSection = {
  title: () => 'Config',
  lines: ({ project }) =>
    orWhy(
      async () =>
        Object.entries(await project.store.config()).map(([k, v]) => `${k}: ${JSON.stringify(v)}`),
      (e) => `config: ${why(e)}`,
    ),
};

const bundles: DumpSection = {
  title: () => 'Active bundles',
  lines: async ({ project }) => {
    const active = await attempt(
      () => project.store.activeBundles(),
      () => [],
    );
    return [active.length ? active.join(', ') : '(none)'];
  },
};

const assets: DumpSection = {
  title: () => 'Assets (names only)',
  lines: async ({ project }, secrets) => {
    const store = project.store;
    const names = await attempt(
      () => store.setAssets(),
      () => new Set<string>(),
    );
    const out: string[] = [];
    for (const name of [...names].sort()) {
      out.push(`${name} (set)`);
      const content = await attempt(
        async () => (await store.readAsset(name)).toString('utf8'),
        () => '',
      );
      secrets.push(content, ...content.split('\n'));
    }
    return names.size ? out : ['(none set)'];
  },
};

const envOverrides: DumpSection = {
  title: () => 'Environment overrides (values left out)',
  lines: async ({ project }, secrets) => {
    const env = await attempt<Record<string, Record<string, string>>>(
      () => project.store.envOverrides(),
      () => ({}),
    );
    const apps = Object.keys(env).sort();
    const out: string[] = [];
    for (const app of apps)
      for (const [k, v] of Object.entries(env[app] ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
        out.push(`${app}: ${k}=${REDACTED}`);
        secrets.push(v);
      }
    return apps.length ? out : ['(none)'];
  },
};

const repoOverrides: DumpSection = {
  title: () => 'Repo overrides',
  lines: async ({ project }) => {
    const overrides = await attempt<Record<string, string>>(
      () => project.store.repoOverrides(),
      () => ({}),
    );
    const out = Object.entries(overrides).map(([repo, path]) => `${repo} -> ${path}`);
    return out.length ? out : ['(none)'];
  },
};

const containers: DumpSection = {
  title: () => 'Containers',
  lines: ({ docker }) =>
    orWhy(async () => {
      const cs = [...(await listContainers(docker)).values()].sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      const out = cs.map(
        (c) => `${c.name}: ${c.state}${c.health ? ` (${c.health})` : ''} ${c.containerName}`,
      );
      return out.length ? out : ['(none)'];
    }),
};

const https: DumpSection = {
  title: () => 'HTTPS (the CA key is never read here)',
  lines: ({ project }) =>
    orWhy(async () => {
      const paths = tlsPaths(project.store.home);
      const ca = await readCa(paths);
      if (!ca) return ['(no local CA yet)'];
      return [
        `CA: ${ca.subject}`,
        `CA SHA-256: ${ca.fingerprint}`,
        `CA permits: ${ca.permitted.join(', ')}`,
        `CA valid until: ${ca.notAfter.toISOString()}`,
        `trusted: ${(await caTrusted(paths, ca)) ? 'yes' : 'no'}`,
      ];
    }),
};

const hostsSection: DumpSection = {
  title: (deps) => `Hosts section of ${deps.hostsFile}`,
  lines: (deps) =>
    orWhy(async () => {
      const s = readSection(await readFile(deps.hostsFile, 'utf8'));
      return s.length ? s : ['(no Dusty section)'];
    }),
};

const auditLog: DumpSection = {
  title: (deps) =>
    `Helper audit log (last ${deps.auditLines ?? 30} lines of ${deps.auditLog ?? DEFAULT_AUDIT_LOG})`,
  lines: (deps) =>
    orWhy(
      async () => {
        const text = await readFile(deps.auditLog ?? DEFAULT_AUDIT_LOG, 'utf8');
        const tail = text
          .trimEnd()
          .split('\n')
          .slice(-(deps.auditLines ?? 30));
        return tail.length && tail[0] ? tail : ['(empty)'];
      },
      (e) => `not readable: ${(e as NodeJS.ErrnoException).code ?? why(e)}`,
    ),
};

/** The report's sections, in order. */
const SECTIONS: readonly DumpSection[] = [
  versions,
  environment,
  config,
  bundles,
  assets,
  envOverrides,
  repoOverrides,
  containers,
  https,
  hostsSection,
  auditLog,
];

/** The report as text; every line has been through {@link redactText}. */
export async function buildDump(deps: DumpDeps): Promise<string> {
  const lines: string[] = [];
  const secrets: string[] = [];
  for (const s of SECTIONS)
    lines.push('', `## ${s.title(deps)}`, ...(await s.lines(deps, secrets)));
  return redactText(['# Dusty dump', ...lines].join('\n') + '\n', secrets);
}
