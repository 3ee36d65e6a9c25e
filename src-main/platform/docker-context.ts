/**
 * Which Docker engine Dusty talks to: the one the docker CLI would use.
 * DOCKER_HOST first (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), else the
 * context named by DOCKER_CONTEXT, else `currentContext` in
 * $DOCKER_CONFIG/config.json (default ~/.docker), each context resolved
 * through its metadata (contexts/meta/<sha256 of name>/meta.json) and TLS
 * material (contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem).
 *
 * The result goes to dockerode and, as environment, to Compose and any docker
 * command Dusty runs, so all of them reach the same engine.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The local engine's socket when nothing says otherwise (the docker CLI's default). */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Where the endpoint came from, as doctor and status say it. */
export type EndpointSource = 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'config.json' | 'default';

export interface EngineEndpoint {
  /** The context's name; `default` when DOCKER_HOST or nothing chose one (as `docker context ls` says). */
  context: string;
  source: EndpointSource;
  /** unix://, tcp://, ssh:// or npipe:// URL. */
  host: string;
  /** A folder holding ca.pem, cert.pem and key.pem, when the endpoint uses TLS. */
  tlsDir?: string;
  /** Use TLS but do not verify the engine's certificate (a context's SkipTLSVerify, DOCKER_TLS_VERIFY unset). */
  skipTLSVerify: boolean;
  /** The docker CLI configuration folder the context was read from. */
  configDir: string;
}

type Env = Record<string, string | undefined>;

export function dockerConfigDir(env: Env = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

/** The folder name the docker CLI stores a context under: the sha256 of its name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${what} ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** The current context named in config.json, or undefined when there is none. */
function currentContext(configDir: string): string | undefined {
  const file = join(configDir, 'config.json');
  const cfg = readJson(file, 'the docker CLI configuration') as
    { currentContext?: unknown } | undefined;
  if (cfg === undefined) return undefined;
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg))
    throw new Error(`the docker CLI configuration ${file} is not a JSON object`);
  const name = cfg.currentContext;
  if (name !== undefined && typeof name !== 'string')
    throw new Error(`${file}: key currentContext must be a string, not ${JSON.stringify(name)}`);
  return name || undefined;
}

interface ContextMeta {
  Name?: string;
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

/** Reads one context's endpoint from its metadata; throws when the context does not exist. */
export function readContext(
  configDir: string,
  name: string,
  source: EndpointSource,
): EngineEndpoint {
  const id = contextId(name);
  const file = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson(file, `the metadata of docker context "${name}"`) as
    ContextMeta | undefined;
  const origin = source === 'DOCKER_CONTEXT' ? 'DOCKER_CONTEXT' : join(configDir, 'config.json');
  if (!meta)
    throw new Error(
      `docker context "${name}" (chosen by ${origin}) does not exist: no ${file}. List contexts with \`docker context ls\` and choose one with \`docker context use NAME\`.`,
    );
  const docker = meta.Endpoints?.docker;
  if (!docker || typeof docker.Host !== 'string' || !docker.Host)
    throw new Error(`${file}: key Endpoints.docker.Host is missing; expected the engine's URL`);
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const hasTls = existsSync(join(tlsDir, 'ca.pem')) || existsSync(join(tlsDir, 'cert.pem'));
  return {
    context: name,
    source,
    host: docker.Host,
    ...(hasTls ? { tlsDir } : {}),
    skipTLSVerify: docker.SkipTLSVerify === true,
    configDir,
  };
}

/**
 * The endpoint the docker CLI would use with this environment. Throws, with
 * the file and key, when the configuration names a context that is missing
 * or broken, as the docker CLI refuses to run then too.
 */
export function resolveEndpoint(env: Env = process.env): EngineEndpoint {
  const configDir = dockerConfigDir(env);
  if (env.DOCKER_HOST) {
    // As the docker CLI: any non-empty DOCKER_TLS_VERIFY verifies, DOCKER_TLS alone encrypts
    // without verifying, and the certificates default to the configuration folder.
    const verify = !!env.DOCKER_TLS_VERIFY;
    const tls = verify || !!env.DOCKER_TLS;
    return {
      context: 'default',
      source: 'DOCKER_HOST',
      host: env.DOCKER_HOST,
      ...(tls ? { tlsDir: env.DOCKER_CERT_PATH || configDir } : {}),
      skipTLSVerify: tls && !verify,
      configDir,
    };
  }
  const fromEnv = env.DOCKER_CONTEXT;
  const name = fromEnv || currentContext(configDir);
  if (!name || name === 'default')
    return {
      context: 'default',
      source: name ? (fromEnv ? 'DOCKER_CONTEXT' : 'config.json') : 'default',
      host: DEFAULT_DOCKER_HOST,
      skipTLSVerify: false,
      configDir,
    };
  return readContext(configDir, name, fromEnv ? 'DOCKER_CONTEXT' : 'config.json');
}

/**
 * Environment that makes a docker or Compose child reach `endpoint` whatever
 * its own context handling: DOCKER_HOST and the TLS variables (DOCKER_TLS for
 * the docker CLI and Compose v2; Compose v1 reads DOCKER_CERT_PATH), with
 * DOCKER_CONTEXT removed, since DOCKER_HOST already says which engine.
 */
export function dockerEnv(endpoint: EngineEndpoint): Env {
  const tls = endpoint.tlsDir !== undefined;
  return {
    DOCKER_HOST: endpoint.host,
    DOCKER_CONTEXT: undefined,
    DOCKER_CERT_PATH: tls ? endpoint.tlsDir : undefined,
    DOCKER_TLS: tls ? '1' : undefined,
    DOCKER_TLS_VERIFY: tls && !endpoint.skipTLSVerify ? '1' : undefined,
    // Compose v1 (Python requests) lets these replace the CA of DOCKER_CERT_PATH, so an engine
    // on TLS fails "unable to get local issuer certificate" wherever they are set (they name
    // the public CAs, which never signed an engine's certificate).
    ...(tls ? { REQUESTS_CA_BUNDLE: undefined, CURL_CA_BUNDLE: undefined } : {}),
  };
}

/** `env` with {@link dockerEnv} applied: unset keys removed, so a child does not see empty values. */
export function withDockerEnv(endpoint: EngineEndpoint, env: Env = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(dockerEnv(endpoint))) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** A one-line description: `context "x" (DOCKER_CONTEXT): unix:///...`. */
export function describeEndpoint(e: EngineEndpoint): string {
  const how =
    e.source === 'default'
      ? 'no context chosen'
      : e.source === 'config.json'
        ? `current context in ${join(e.configDir, 'config.json')}`
        : e.source;
  return `context "${e.context}" (${how}): ${e.host}${e.tlsDir ? ` with TLS${e.skipTLSVerify ? ', certificate not verified' : ''}` : ''}`;
}
