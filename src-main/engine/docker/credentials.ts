/**
 * Registry credentials the way the docker CLI finds them: Docker's
 * config.json (`$DOCKER_CONFIG`, default `~/.docker`), first a registry's
 * `credHelpers` entry, then `credsStore`, then the `auths` entry written by
 * `docker login`. Helpers are the `docker-credential-NAME` programs, asked
 * with `get` and the server address on stdin.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Docker Hub's key in config.json, as `docker login` writes it. */
export const DOCKER_HUB = 'https://index.docker.io/v1/';

/** The Engine API's X-Registry-Auth content. */
export type RegistryAuth =
  | { username: string; password: string; serveraddress: string }
  | { identitytoken: string; serveraddress: string };

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The registry an image reference names (`docker.io` when it names none). */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** What `docker login` takes for a registry. */
export function loginName(registry: string): string {
  return registry === 'docker.io' ? '' : registry;
}

const configDir = (env: NodeJS.ProcessEnv) => env.DOCKER_CONFIG || join(homedir(), '.docker');

/** Runs `docker-credential-NAME get`; undefined when it has nothing for the server. */
function askHelper(
  helper: string,
  server: string,
  env: NodeJS.ProcessEnv,
): Promise<{ Username: string; Secret: string } | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) =>
      reject(
        new Error(
          `cannot run docker-credential-${helper} (from Docker's config.json): ${e.message}`,
        ),
      ),
    );
    child.on('close', (code) => {
      // Helpers answer "credentials not found in native keychain" when they have none.
      if (code !== 0) return resolve(undefined);
      try {
        resolve(JSON.parse(out) as { Username: string; Secret: string });
      } catch {
        reject(new Error(`docker-credential-${helper} answered something that is not JSON`));
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(server);
  });
}

function fromAuths(cfg: DockerConfigFile, keys: string[]): RegistryAuth | undefined {
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (!keys.includes(key) && !keys.includes(host)) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: key };
    if (!entry.auth) continue;
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0)
      return {
        username: plain.slice(0, colon),
        password: plain.slice(colon + 1),
        serveraddress: key,
      };
  }
  return undefined;
}

/** The person's credentials for the registry of `image`, or undefined when they have none. */
export async function credentialsFor(
  image: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryAuth | undefined> {
  let cfg: DockerConfigFile;
  try {
    cfg = JSON.parse(
      await readFile(join(configDir(env), 'config.json'), 'utf8'),
    ) as DockerConfigFile;
  } catch {
    return undefined;
  }
  const registry = registryOf(image);
  const server = registry === 'docker.io' ? DOCKER_HUB : registry;
  const keys = registry === 'docker.io' ? [DOCKER_HUB, 'docker.io', 'index.docker.io'] : [registry];
  const helper = cfg.credHelpers?.[registry] ?? cfg.credsStore;
  if (helper) {
    const got = await askHelper(helper, server, env);
    if (got)
      return got.Username === '<token>'
        ? { identitytoken: got.Secret, serveraddress: server }
        : { username: got.Username, password: got.Secret, serveraddress: server };
    if (cfg.credHelpers?.[registry]) return undefined;
  }
  return fromAuths(cfg, keys);
}

/** Whether a failed pull was the registry refusing us (not a network or name problem). */
export function isAuthRefusal(message: string): boolean {
  return /unauthori[sz]ed|authentication required|denied|401|403|no basic auth credentials/i.test(
    message,
  );
}
