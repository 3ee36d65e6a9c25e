/**
 * The Docker Compose file. It must be accepted by Compose v2 and by Debian's
 * docker-compose 1.29, so it uses the Compose Specification without a
 * top-level `name:` (the project name is given with `-p`).
 */
import { posix } from 'node:path';
import type { App, Specs } from '../../../src-shared/specs/schema.js';
import type { SshTarget } from '../../platform/ssh.js';
import { ROUTER_NAME } from '../specs/validate.js';
import { libsInInstallOrder, type Closure } from './closure.js';
import {
  ROUTER_CONF_DIR,
  ROUTER_TLS_DIR,
  routerCommand,
  type Forward,
  type TlsForward,
} from './nginx.js';
import { ASSETS_IN_CONTAINER, buildStartScript } from './start-script.js';

export const NETWORK = 'dusty';
export const LABEL = {
  kind: 'dev.dusty.kind',
  name: 'dev.dusty.name',
  repo: 'dev.dusty.repo',
  libs: 'dev.dusty.libs',
  urls: 'dev.dusty.urls',
} as const;

/** Facts about where the engine runs, as the compiler needs them. */
export interface PlatformFacts {
  /** The address host names point at (127.0.0.1 natively, the VM's otherwise). */
  engineAddress: string;
  /** Address the router's ports are published on; undefined publishes on all. */
  publishAddress?: string | undefined;
  /** Dusty's state folder as the engine sees it (cp folders, assets, router config). */
  dustyDir: string;
  /** Where legacy `/persist/...` volume paths of old specs are placed. */
  persistDir: string;
  /** How repos reach the engine: bind mounts, or NFS volumes from this server address. */
  repoMount: { type: 'bind' } | { type: 'nfs'; server: string };
  /**
   * A remote engine whose host gets copies of the code (not read by the
   * compiler: the repo paths it is given are already the copies').
   */
  remote?: { target: SshTarget; root: string } | undefined;
}

export interface ComposeInput {
  specs: Specs;
  closure: Closure;
  envOverrides: Record<string, Record<string, string>>;
  /** Local folder of each repo (keyed by the spec's `repo` value). */
  repoPaths: Record<string, string>;
  /** Names of assets that have a value. */
  setAssets: ReadonlySet<string>;
  nginxImage: string;
  platform: PlatformFacts;
  forwards: Forward[];
  /** The Compose project name; containers are named `<project>_<name>_1` under Compose v1 and v2. */
  project?: string | undefined;
  /** Forwardings also served over TLS (none when https is off). */
  tls: TlsForward[];
}

type Service = Record<string, unknown>;

/** Compose interpolates `$`; text Dusty writes must reach the container literally. */
const literal = (s: string) => s.replace(/\$/g, '$$$$');

function normalizeEnv(env: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(env)) {
    for (const item of env) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = null;
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (env && typeof env === 'object') {
    for (const [k, v] of Object.entries(env))
      out[k] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

/** Translates Compose file format 1 keys of old specs to their modern form. */
function translateLegacy(
  def: Service,
  name: string,
  file: string,
  closureNames: ReadonlySet<string>,
  warn: (file: string, path: string, message: string) => void,
  prefix: string,
): { def: Service; dependsOn: string[] } {
  const out: Service = { ...def };
  const dependsOn: string[] = [];
  if (typeof out.net === 'string') {
    const net = out.net;
    delete out.net;
    const m = /^container:(.+)$/.exec(net);
    if (m && closureNames.has(m[1]!)) {
      out.network_mode = `service:${m[1]}`;
      dependsOn.push(m[1]!);
      warn(
        file,
        `${prefix}net`,
        `legacy "net: ${net}" translated to "network_mode: service:${m[1]}": ${name} shares ${m[1]}'s network and gets no host name of its own`,
      );
    } else {
      out.network_mode = net;
      warn(file, `${prefix}net`, `legacy "net" translated to "network_mode: ${net}"`);
    }
  }
  if ('log_driver' in out || 'log_opt' in out) {
    out.logging = { driver: out.log_driver, ...(out.log_opt ? { options: out.log_opt } : {}) };
    delete out.log_driver;
    delete out.log_opt;
    warn(file, `${prefix}log_driver`, 'legacy log_driver/log_opt translated to logging');
  }
  if ('dockerfile' in out) {
    const ctx = typeof out.build === 'string' ? out.build : '.';
    out.build = { context: ctx, dockerfile: out.dockerfile };
    delete out.dockerfile;
    warn(file, `${prefix}dockerfile`, 'legacy dockerfile translated to build.dockerfile');
  }
  if ('links' in out) {
    for (const l of (out.links as unknown[]) ?? []) {
      const target = String(l).split(':')[0]!;
      if (closureNames.has(target)) dependsOn.push(target);
    }
    delete out.links;
  }
  return { def: out, dependsOn };
}

/** Old specs mount `/persist/...`, boot2docker's persistent disk; place it where the platform keeps such data. */
function translateVolume(v: unknown, persistDir: string): unknown {
  if (typeof v !== 'string') return v;
  if (v === '/persist' || v.startsWith('/persist/') || v.startsWith('/persist:'))
    return persistDir + v.slice('/persist'.length);
  return v;
}

/** Builds the compose document as a plain object (serialised by the caller). */
export function buildCompose(
  input: ComposeInput,
  warn: (file: string, path: string, message: string) => void,
): {
  doc: Record<string, unknown>;
} {
  const { specs, closure, platform } = input;
  const closureNames = new Set([...closure.apps, ...closure.services]);
  const services: Record<string, Service> = {};
  const volumes: Record<string, unknown> = {};
  let nfsCount = 0;
  const repoVolume = (repo: string, target: string, ro = false): string => {
    const local = input.repoPaths[repo] ?? repo;
    if (platform.repoMount.type === 'bind') return `${local}:${target}${ro ? ':ro' : ''}`;
    const vol = `dusty_nfs_${(nfsCount++).toString().padStart(3, '0')}`;
    volumes[vol] = {
      driver: 'local',
      driver_opts: {
        type: 'nfs',
        o: `addr=${platform.repoMount.server},rw,nolock,vers=3,actimeo=1`,
        device: `:${local}`,
      },
    };
    return `${vol}:${target}`;
  };

  const hostNames = new Set(input.forwards.map((f) => f.host_name));
  const routerPorts = [
    ...new Set([...input.forwards.map((f) => f.host_port), ...input.tls.map((t) => t.port)]),
  ].sort((a, b) => a - b);
  services[ROUTER_NAME] = {
    image: input.nginxImage,
    command: routerCommand().map(literal),
    labels: { [LABEL.kind]: 'router', [LABEL.name]: ROUTER_NAME },
    networks: { [NETWORK]: { aliases: [...hostNames].sort() } },
    ports: routerPorts.map((p) =>
      platform.publishAddress ? `${platform.publishAddress}:${p}:${p}` : `${p}:${p}`,
    ),
    volumes: [
      `${platform.dustyDir}/compiled:${ROUTER_CONF_DIR}:ro`,
      // Only the router's certificate and key: the CA's key stays out of every container.
      ...(input.tls.length ? [`${platform.dustyDir}/tls/router:${ROUTER_TLS_DIR}:ro`] : []),
    ],
  };

  for (const name of closure.apps) {
    const { file, spec } = specs.apps[name]!;
    services[name] = appService(name, file, spec, input, closureNames, repoVolume, warn);
  }
  for (const name of closure.services) {
    const { file, spec } = specs.services[name]!;
    const { def, dependsOn } = translateLegacy(spec, name, file, closureNames, warn, '');
    const env = { ...normalizeEnv(def.environment), ...literalEnv(input.envOverrides[name]) };
    const svc: Service = { ...def };
    if (Object.keys(env).length) svc.environment = env;
    svc.labels = { ...labelsOf(def.labels), [LABEL.kind]: 'service', [LABEL.name]: name };
    svc.volumes = [
      ...((def.volumes as unknown[] | undefined) ?? []).map((v) =>
        translateVolume(v, platform.persistDir),
      ),
      `${platform.dustyDir}/cp/${name}:/cp`,
    ];
    if (!svc.network_mode) svc.networks = [NETWORK];
    if (dependsOn.length) svc.depends_on = [...new Set(dependsOn)];
    services[name] = svc;
  }

  const project = input.project ?? 'dusty';
  for (const [name, svc] of Object.entries(services)) {
    // The original's names, so `docker exec dusty_web_1 ...` keeps working.
    svc.container_name ??= `${project}_${name}_1`;
    for (const v of namedVolumes(svc.volumes)) volumes[v] ??= {};
  }
  const doc: Record<string, unknown> = {
    services,
    networks: { [NETWORK]: { driver: 'bridge' } },
  };
  if (Object.keys(volumes).length)
    doc.volumes = Object.fromEntries(Object.entries(volumes).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { doc };
}

/**
 * Named volumes a service mounts (`data:/var/lib/x`, or the long form with
 * `type: volume`): Compose refuses a file that does not declare them.
 */
export function namedVolumes(vols: unknown): string[] {
  const out: string[] = [];
  for (const v of Array.isArray(vols) ? (vols as unknown[]) : []) {
    if (typeof v === 'string') {
      const parts = v.split(':');
      const src = parts[0]!;
      if (parts.length > 1 && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(src)) out.push(src);
    } else if (v && typeof v === 'object') {
      const { type, source } = v as { type?: unknown; source?: unknown };
      if ((type ?? 'volume') === 'volume' && typeof source === 'string' && source) out.push(source);
    }
  }
  return out;
}

function labelsOf(labels: unknown): Record<string, string> {
  if (Array.isArray(labels)) return normalizeEnv(labels) as Record<string, string>;
  if (labels && typeof labels === 'object')
    return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
  return {};
}

function literalEnv(env: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, literal(v)]));
}

/**
 * Every place an app's assets go: its own and its libs', each relative path
 * made relative to the mount of the spec that declares it. The same asset
 * declared twice at one path is placed once.
 */
export function placedAssets(
  app: App,
  libs: readonly { mount: string; assets: App['assets'] }[],
): { name: string; path: string }[] {
  const out = new Map<string, { name: string; path: string }>();
  const add = (name: string, path: string) => out.set(`${name}\0${path}`, { name, path });
  for (const a of app.assets) add(a.name, a.path);
  for (const l of libs)
    for (const a of l.assets)
      add(a.name, a.path.startsWith('/') ? a.path : posix.join(l.mount, a.path));
  return [...out.values()];
}

/** The assets with a value that an app's container gets: its own and its libs', where they go. */
export function appAssets(
  specs: Specs,
  spec: App,
  setAssets: ReadonlySet<string>,
): { name: string; path: string }[] {
  const libs = libsInInstallOrder(specs, spec.depends.libs).map((l) => specs.libs[l]!.spec);
  return placedAssets(spec, libs).filter((a) => setAssets.has(a.name));
}

function appService(
  name: string,
  file: string,
  spec: App,
  input: ComposeInput,
  closureNames: ReadonlySet<string>,
  repoVolume: (repo: string, target: string) => string,
  warn: (file: string, path: string, message: string) => void,
): Service {
  const { specs, platform } = input;
  const { def: compose, dependsOn: legacyDeps } = translateLegacy(
    spec.compose,
    name,
    file,
    closureNames,
    warn,
    'compose.',
  );
  delete compose.command;
  delete compose.entrypoint;
  const mount = spec.repo && spec.mount ? spec.mount : undefined;
  // Without a mount the image's (or the spec's) working directory stays, as in the original.
  if (mount) delete compose.working_dir;
  const libs = libsInInstallOrder(specs, spec.depends.libs);
  const libSpecs = libs.map((l) => ({ name: l, ...specs.libs[l]!.spec }));
  const assets = placedAssets(spec, libSpecs).filter((a) => input.setAssets.has(a.name));
  const script = buildStartScript({
    name,
    mount,
    assets,
    libs: libSpecs.map((l) => ({ name: l.name, mount: l.mount, install: l.install })),
    once: spec.commands.once,
    always: spec.commands.always,
  });

  const svc: Service = {};
  if (spec.image) svc.image = spec.image;
  else if (spec.build) {
    const repoPath = spec.repo ? (input.repoPaths[spec.repo] ?? spec.repo) : '';
    svc.build = spec.build.startsWith('/')
      ? spec.build
      : `${repoPath}/${spec.build}`.replace(/\/\.$/, '');
  }
  Object.assign(svc, compose);
  svc.entrypoint = [];
  svc.command = ['/bin/sh', '-c', literal(script)];
  if (mount) svc.working_dir = mount;
  // The original ran every app as root whatever USER its image declares; a spec may still choose.
  svc.user ??= 'root';
  const env = { ...normalizeEnv(compose.environment), ...literalEnv(input.envOverrides[name]) };
  if (Object.keys(env).length) svc.environment = env;
  const urls = spec.host_forwarding.map(
    (f) =>
      `${f.type === 'http' ? 'http' : 'tcp'}://${f.host_name}${f.type === 'http' && f.host_port === 80 ? '' : `:${f.host_port}`}`,
  );
  svc.labels = {
    ...labelsOf(compose.labels),
    [LABEL.kind]: 'app',
    [LABEL.name]: name,
    ...(spec.repo ? { [LABEL.repo]: spec.repo } : {}),
    ...(libs.length ? { [LABEL.libs]: libs.join(',') } : {}),
    ...(urls.length ? { [LABEL.urls]: urls.join(' ') } : {}),
  };
  const vols: unknown[] = ((compose.volumes as unknown[] | undefined) ?? []).map((v) =>
    translateVolume(v, platform.persistDir),
  );
  if (spec.repo && spec.mount) vols.push(repoVolume(spec.repo, spec.mount));
  for (const l of libSpecs) vols.push(repoVolume(l.repo, l.mount));
  vols.push(`${platform.dustyDir}/cp/${name}:/cp`);
  for (const asset of new Set(assets.map((a) => a.name)))
    vols.push(`${platform.dustyDir}/assets/${asset}:${ASSETS_IN_CONTAINER}/${asset}:ro`);
  svc.volumes = vols;
  if (!svc.network_mode) svc.networks = [NETWORK];
  const links = [
    ...spec.depends.apps,
    ...spec.depends.services,
    ...spec.conditional_links.apps.filter((a) => closureNames.has(a)),
    ...spec.conditional_links.services.filter((s) => closureNames.has(s)),
    ...legacyDeps,
  ];
  if (links.length) svc.depends_on = [...new Set(links)];
  return svc;
}
