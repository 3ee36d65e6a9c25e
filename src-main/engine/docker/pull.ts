/** Pulling an image with the person's registry credentials, and saying what to do when refused. */
import type Docker from 'dockerode';
import { credentialsFor, isAuthRefusal, loginName, registryOf } from './credentials.js';

/** Pulls `image`, sending the credentials `docker login` left for its registry, if any. */
export async function pullImage(docker: Docker, image: string): Promise<void> {
  const authconfig = await credentialsFor(image);
  const stream = await docker.pull(image, authconfig ? { authconfig } : {});
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

/**
 * The reason a pull failed, for a person: the engine's words, and when the
 * registry refused (or the spec says the image needs a login), the
 * `docker login` to run.
 */
export function pullFailureReason(image: string, e: unknown, requiresLogin = false): string {
  const why = ((e as Error).message || String(e))
    .replace(/^\(HTTP code \d+\)\s*[\w ]*-\s*/, '')
    .trim();
  if (!requiresLogin && !isAuthRefusal(why)) return why;
  const login = `docker login ${loginName(registryOf(image))}`.trim();
  return `${why} (the registry needs your credentials: run \`${login}\`, then try again)`;
}
