/**
 * The application layer: every use case as a plain function over the ports
 * of one context, bound by one factory. The CLI, the dashboard server and the
 * Electron app are adapters over a `Dusty`; a change of behaviour is made
 * here once.
 *
 * Adding a use case: write `(ctx: ServiceContext, ...args) => result`
 * functions in a module of this folder and add the group to USE_CASES.
 */
import { HELPER_DEFAULTS } from '../../src-shared/helper-protocol.js';
import { lazyDocker } from '../engine/docker/client.js';
import { Platform } from '../engine/platform.js';
import { DEFAULT_HOSTS_FILE, hostsApplier, hostsFilePath } from '../engine/runtime/system.js';
import { defaultDustyHome, StateStore } from '../engine/state/store.js';
import { HelperClient } from '../platform/helper-client.js';
import { dustyVersion } from '../version.js';
import { containers } from './containers.js';
import {
  createContext,
  type DoorPolicy,
  type ServiceContext,
  type ServicePorts,
} from './context.js';
import { diskUse, doctor, tests } from './diagnose.js';
import { https } from './https.js';
import { repos } from './repos.js';
import { assets, bundles, config, env, specs } from './specs.js';
import { engine, stack } from './stack.js';

export type { DoorPolicy, ServiceContext, ServicePorts } from './context.js';

const USE_CASES = {
  specs,
  bundles,
  config,
  env,
  assets,
  repos,
  stack,
  engine,
  https,
  containers,
  tests,
  disk: diskUse,
  doctor,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any use case's own arguments
type UseCase = (ctx: ServiceContext, ...args: any[]) => unknown;
type Bound<G> = {
  [K in keyof G]: G[K] extends (ctx: ServiceContext, ...args: infer A) => infer R
    ? (...args: A) => R
    : G[K];
};

export type Dusty = { readonly ctx: ServiceContext } & {
  readonly [G in keyof typeof USE_CASES]: Bound<(typeof USE_CASES)[G]>;
};

function bind<G extends Record<string, unknown>>(ctx: ServiceContext, group: G): Bound<G> {
  return Object.fromEntries(
    Object.entries(group).map(([name, fn]) => [
      name,
      typeof fn === 'function' ? (...args: unknown[]) => (fn as UseCase)(ctx, ...args) : fn,
    ]),
  ) as Bound<G>;
}

/** Dusty over the given ports: the one factory every front door and test uses. */
export function createDusty(ports: ServicePorts): Dusty {
  const ctx = createContext(ports);
  const groups = Object.fromEntries(
    Object.entries(USE_CASES).map(([name, group]) => [name, bind(ctx, group)]),
  );
  return { ctx, ...groups } as Dusty;
}

/** The same ports for another front door (the dashboard's server over the CLI's Dusty). */
export function forDoor(dusty: Dusty, door: DoorPolicy): Dusty {
  const { project: _project, lock: _lock, ...ports } = dusty.ctx;
  return createDusty({ ...ports, door });
}

/**
 * The real ports for this person, from the environment: DUSTY_HOME,
 * DUSTY_HOSTS_FILE, DUSTY_SOCKET_PATH, DOCKER_HOST and the configured
 * `vm_provider`.
 */
export function realPorts(
  env: NodeJS.ProcessEnv = process.env,
  door: DoorPolicy = { name: 'terminal' },
): ServicePorts {
  const store = new StateStore(defaultDustyHome(env));
  const helper = new HelperClient();
  const docker = lazyDocker();
  const hostsPath = hostsFilePath(env);
  let provider: Promise<Platform> | undefined;
  return {
    store,
    docker,
    helper,
    provider: () => (provider ??= Platform.create(store, helper)),
    applyHosts: hostsApplier(helper, hostsPath),
    hostsFile: { path: hostsPath, custom: hostsPath !== DEFAULT_HOSTS_FILE },
    auditLog: env.DUSTY_HELPER_AUDIT_LOG || HELPER_DEFAULTS.auditLog,
    version: dustyVersion(),
    door,
  };
}

/** Dusty for this person, on the real engine, helper and provider. */
export function openDusty(
  env: NodeJS.ProcessEnv = process.env,
  door: DoorPolicy = { name: 'terminal' },
): Dusty {
  return createDusty(realPorts(env, door));
}
