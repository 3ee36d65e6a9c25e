/**
 * The Docker Engine API client, for the engine the docker CLI would use
 * (see ./context.ts for how that endpoint is chosen).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parseSshEndpoint, SshDialAgent } from '../../platform/ssh.js';
import { resolveEndpoint, type EngineEndpoint } from '../../platform/docker-context.js';

// dockerode pulls in gRPC and protobuf; load it only when a command talks to the engine.
const requireDockerode = () => createRequire(import.meta.url)('dockerode') as typeof Docker;

/** The engine URL the docker CLI would use, or undefined when its configuration is broken. */
export function engineEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return resolveEndpoint(env).host;
  } catch {
    return undefined;
  }
}

/** Client certificate, key and CA from a TLS folder, each only when present. */
function tlsFiles(dir: string): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f));
    } catch {
      return undefined;
    }
  };
  const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

function tcpOptions(url: URL, endpoint: EngineEndpoint): Docker.DockerOptions {
  const tls = endpoint.tlsDir !== undefined;
  const base = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || (tls ? 2376 : 2375)),
  };
  if (!tls) return { ...base, protocol: 'http' };
  const files = tlsFiles(endpoint.tlsDir!);
  if (!endpoint.skipTLSVerify) {
    if (!files.ca || !files.cert || !files.key)
      throw new Error(
        `${endpoint.tlsDir} must hold ca.pem, cert.pem and key.pem (the files \`docker --tlsverify\` uses) to reach ${endpoint.host}`,
      );
    return { ...base, protocol: 'https', ...files };
  }
  // Certificates still authenticate Dusty; only the engine's certificate goes unchecked.
  const agent = new Agent({ rejectUnauthorized: false, cert: files.cert, key: files.key });
  // docker-modem passes `agent` to https.request; @types/dockerode does not list it.
  return { ...base, protocol: 'https', agent } as Docker.DockerOptions;
}

/** Builds a dockerode client for an endpoint (by default the one the docker CLI would use). */
export function createDocker(endpoint: EngineEndpoint | string = resolveEndpoint()): Docker {
  const Docker = requireDockerode();
  const e: EngineEndpoint =
    typeof endpoint === 'string'
      ? {
          context: 'default',
          source: 'DOCKER_HOST',
          host: endpoint,
          skipTLSVerify: false,
          configDir: '',
        }
      : endpoint;
  const host = e.host;
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('npipe://')) return new Docker({ socketPath: host.slice('npipe://'.length) });
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    // dockerode's own SSH client ignores ~/.ssh/config; the system ssh, as the docker CLI uses, does not.
    const target = parseSshEndpoint(host);
    // docker-modem passes `agent` to http.request; its types do not list it.
    const opts = { host: target.host, protocol: 'http', agent: new SshDialAgent(target) };
    return new Docker(opts as Docker.DockerOptions);
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(
      `the Docker endpoint ${host} is not unix://, npipe://, tcp:// or ssh://, so Dusty cannot reach it`,
    );
  return new Docker(tcpOptions(url, e));
}

/** Node's codes for a TLS handshake that failed on a certificate, either side's. */
const TLS_CODES =
  /CERT|SIGNATURE|^ERR_SSL_|^ERR_TLS_|^UNABLE_TO_(GET_ISSUER|VERIFY)|^DEPTH_ZERO|^SELF_SIGNED/;

/**
 * What to do when the engine's TLS check failed (a CA that did not sign the
 * engine's certificate, a client certificate it refused); undefined for other errors.
 */
export function tlsProblem(e: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !TLS_CODES.test(code)) return undefined;
  let where = 'the TLS folder';
  try {
    const endpoint = resolveEndpoint(env);
    if (endpoint.tlsDir) where = endpoint.tlsDir;
  } catch {
    // a broken configuration is said elsewhere
  }
  return `${where} must hold the ca.pem that signed the engine's certificate, and a cert.pem and key.pem the engine accepts (\`docker --tlsverify info\` uses the same files)`;
}

/** Turns an engine connection failure into a sentence that says what to do. */
export function explainEngineError(e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const tls = tlsProblem(e);
  if (tls) {
    // OpenSSL's own text ("...:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:...") names the reason third.
    const why = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message.trim();
    return new Error(
      `the Docker engine at ${engineEndpoint() ?? 'DOCKER_HOST'} failed the TLS check (${why}): ${tls}`,
    );
  }
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES') {
    const why =
      err.code === 'EACCES'
        ? 'permission denied on its socket (add yourself to the docker group)'
        : 'it is not running';
    return new Error(
      `cannot reach the Docker engine (${engineEndpoint() ?? 'unix:///var/run/docker.sock'}): ${why}. Start it with \`dusty up\` (which starts it through the helper) or your system's service manager.`,
    );
  }
  return err instanceof Error ? err : new Error(String(e));
}

/**
 * The engine client, made on its first use: loading dockerode (gRPC,
 * protobuf, ssh2) takes about 0.2 s, which commands that never reach the
 * engine (`bundles`, `config`, `env`, ...) should not pay.
 */
export function lazyDocker(make: () => Docker = createDocker): Docker {
  let real: Docker | undefined;
  return new Proxy({} as Docker, {
    get(_target, prop) {
      real ??= make();
      const value: unknown = Reflect.get(real, prop, real);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(real)
        : value;
    },
  });
}
