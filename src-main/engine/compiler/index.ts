/**
 * The compiler: specs, per-user state and platform facts in, the three
 * documents `up` applies out. Pure and deterministic: the same input gives
 * byte-identical output.
 */
import { dump } from 'js-yaml';
import type { Problem, Specs } from '../../../src-shared/specs/schema.js';
import { ROUTER_NAME } from '../specs/validate.js';
import { computeClosure, type Closure } from './closure.js';
import { appAssets, buildCompose, LABEL, type PlatformFacts } from './compose.js';
import { buildHostsSection, hostsEntries } from './hosts.js';
import { buildNginxConf, tlsForwards, type Forward, type TlsForward } from './nginx.js';

export { LABEL, NETWORK, type PlatformFacts } from './compose.js';
export { computeClosure, type Closure } from './closure.js';

export interface CompileInput {
  specs: Specs;
  activeBundles: readonly string[];
  envOverrides: Record<string, Record<string, string>>;
  repoPaths: Record<string, string>;
  setAssets: ReadonlySet<string>;
  nginxImage: string;
  platform: PlatformFacts;
  /** The Compose project name (default `dusty`), which names the containers. */
  project?: string | undefined;
  /** Serve http forwardings over TLS too (config `https`). */
  https?: boolean;
}

/** What one container will be, for people and for the engine. */
/** Where a container's image comes from: a tag to use (pulled when missing) or a build. */
export type ImageSource = { kind: 'pull'; ref: string } | { kind: 'build'; build: unknown };

/** The image as a person reads it: the tag, or `built from CONTEXT`. */
export function imageLabel(image: ImageSource): string {
  return image.kind === 'pull' ? image.ref : `built from ${JSON.stringify(image.build)}`;
}

export interface ContainerPlan {
  name: string;
  kind: 'app' | 'service' | 'router';
  image: ImageSource;
  urls: string[];
  dependsOn: string[];
  mounts: string[];
  /** The assets mounted into the container (apps only). */
  assets: string[];
}

export interface CompileOutput {
  compose: string;
  nginx: string;
  hosts: string;
  hostsEntries: { ip: string; hostname: string }[];
  /** Host names the router serves over TLS: its certificate must name each. */
  tlsNames: string[];
  closure: Closure;
  containers: ContainerPlan[];
  /** Required assets without a value, as `{asset, app}`; `up` refuses to start with any. */
  missingAssets: { asset: string; owner: string; path: string }[];
  warnings: Problem[];
}

const httpsUrls = (tls: TlsForward[], app: string) =>
  tls
    .filter((t) => t.forward.app === app)
    .map((t) => `https://${t.forward.host_name}${t.port === 443 ? '' : `:${t.port}`}`);

/** Compiles the active bundles into docker-compose.yml, nginx.conf and the hosts section. */
export function compile(input: CompileInput): CompileOutput {
  const warnings: Problem[] = [];
  const warn = (file: string, path: string, message: string) =>
    warnings.push({ severity: 'warning', file, path, message });
  const closure = computeClosure(input.specs, input.activeBundles);
  const forwards: Forward[] = closure.apps.flatMap((app) =>
    input.specs.apps[app]!.spec.host_forwarding.map((f) => ({ ...f, app })),
  );
  const { tls, skipped } = input.https ? tlsForwards(forwards) : { tls: [], skipped: [] };
  for (const f of skipped)
    warn(
      input.specs.apps[f.app]!.file,
      'host_forwarding',
      `${f.host_name} is not served over TLS on 443: port 443 is a plain host_port; give it an https_port`,
    );
  const { doc } = buildCompose({ ...input, closure, forwards, tls }, warn);
  const entries = hostsEntries(
    forwards.map((f) => f.host_name),
    input.platform.engineAddress,
  );
  const services = doc.services as Record<string, Record<string, unknown>>;
  const containers: ContainerPlan[] = Object.entries(services).map(([name, svc]) => {
    const labels = svc.labels as Record<string, string>;
    return {
      name,
      kind: labels[LABEL.kind] as ContainerPlan['kind'],
      image:
        typeof svc.image === 'string'
          ? { kind: 'pull', ref: svc.image }
          : { kind: 'build', build: svc.build },
      urls:
        name === ROUTER_NAME
          ? []
          : [...(labels[LABEL.urls]?.split(' ') ?? []), ...httpsUrls(tls, name)],
      dependsOn: (svc.depends_on as string[] | undefined) ?? [],
      mounts: ((svc.volumes as unknown[] | undefined) ?? []).map(String),
      assets: input.specs.apps[name]
        ? appAssets(input.specs, input.specs.apps[name].spec, input.setAssets).map((a) => a.name)
        : [],
    };
  });
  const missingAssets: CompileOutput['missingAssets'] = [];
  const owners = [
    ...closure.apps.map((a) => ({ owner: `app ${a}`, assets: input.specs.apps[a]!.spec.assets })),
    ...closure.libs.map((l) => ({ owner: `lib ${l}`, assets: input.specs.libs[l]!.spec.assets })),
  ];
  for (const { owner, assets } of owners)
    for (const a of assets)
      if (
        a.required &&
        !input.setAssets.has(a.name) &&
        !missingAssets.some((m) => m.owner === owner && m.asset === a.name)
      )
        missingAssets.push({ asset: a.name, owner, path: a.path });
  return {
    compose: dump(doc, { lineWidth: -1, noRefs: true, quotingType: '"' }),
    nginx: buildNginxConf(forwards, tls),
    hosts: buildHostsSection(entries),
    hostsEntries: entries,
    tlsNames: [...new Set(tls.map((t) => t.forward.host_name))].sort(),
    closure,
    containers,
    missingAssets,
    warnings,
  };
}
