/**
 * The Docker Engine API client. Honours DOCKER_HOST, then the current Docker
 * context (as the docker CLI does), then the local socket.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import { parseSshEndpoint, SshDialAgent } from '../../platform/ssh.js';

// dockerode pulls in gRPC and protobuf; load it only when a command talks to the engine.
const requireDockerode = () => createRequire(import.meta.url)('dockerode') as typeof Docker;

/** The engine endpoint the docker CLI would use: DOCKER_HOST, else the current context's. */
export function engineEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DOCKER_HOST) return env.DOCKER_HOST;
  const configDir = env.DOCKER_CONFIG || join(homedir(), '.docker');
  try {
    const cfg = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as {
      currentContext?: string;
    };
    const ctx = env.DOCKER_CONTEXT || cfg.currentContext;
    if (!ctx || ctx === 'default') return undefined;
    const id = createHash('sha256').update(ctx).digest('hex');
    const meta = JSON.parse(
      readFileSync(join(configDir, 'contexts', 'meta', id, 'meta.json'), 'utf8'),
    ) as {
      Endpoints?: { docker?: { Host?: string } };
    };
    return meta.Endpoints?.docker?.Host;
  } catch {
    return undefined;
  }
}

/** Builds a dockerode client for an endpoint such as unix:///var/run/docker.sock or tcp://host:2376. */
export function createDocker(
  endpoint = engineEndpoint(),
  env: NodeJS.ProcessEnv = process.env,
): Docker {
  const Docker = requireDockerode();
  if (!endpoint) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (endpoint.startsWith('unix://'))
    return new Docker({ socketPath: endpoint.slice('unix://'.length) });
  if (endpoint.startsWith('npipe://'))
    return new Docker({ socketPath: endpoint.slice('npipe://'.length) });
  const url = new URL(endpoint);
  if (url.protocol === 'ssh:') {
    // dockerode's own SSH client ignores ~/.ssh/config; the system ssh, as the docker CLI uses, does not.
    const target = parseSshEndpoint(endpoint);
    // docker-modem passes `agent` to http.request; its types do not list it.
    const opts = { host: target.host, protocol: 'http', agent: new SshDialAgent(target) };
    return new Docker(opts as Docker.DockerOptions);
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || url.port === '2376';
  return new Docker({
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    protocol: tls ? 'https' : 'http',
    ...(tls ? tlsMaterial(env) : {}),
  });
}

/** The client certificate and CA the docker CLI would use: DOCKER_CERT_PATH, else ~/.docker. */
export function tlsMaterial(env: NodeJS.ProcessEnv = process.env): {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
} {
  const dir = env.DOCKER_CERT_PATH || join(env.DOCKER_CONFIG || join(homedir(), '.docker'));
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f));
    } catch {
      return undefined;
    }
  };
  const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
  if (env.DOCKER_CERT_PATH && (!ca || !cert || !key))
    throw new Error(
      `DOCKER_CERT_PATH=${env.DOCKER_CERT_PATH} must hold ca.pem, cert.pem and key.pem (the files \`docker --tlsverify\` uses)`,
    );
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** Turns an engine connection failure into a sentence that says what to do. */
export function explainEngineError(e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
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
