/** Pulling an image with the person's registry credentials, and saying what to do when refused. */
import type Docker from 'dockerode';
import { credentialsFor, isAuthRefusal, loginName, registryOf } from './credentials.js';

/** One JSON message of the engine's pull or build progress stream. */
export interface ProgressEvent {
  status?: string;
  stream?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Follows a pull or build progress stream to its end, passing each message to
 * `onEvent`. The engine reports a failure inside the stream (`{"error": ...}`)
 * with a 200 status, so such a message rejects as surely as a broken stream.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent?: (e: ProgressEvent) => void,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: ProgressEvent[]) => {
        const failed = out?.find((o) => o.error || o.errorDetail?.message);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.error ?? failed.errorDetail!.message));
        else resolve(out);
      },
      onEvent,
    ),
  );
}

/** Pulls `image`, sending the credentials `docker login` left for its registry, if any. */
export async function pullImage(
  docker: Docker,
  image: string,
  onEvent?: (e: ProgressEvent) => void,
): Promise<void> {
  const authconfig = await credentialsFor(image);
  const stream = await docker.pull(image, authconfig ? { authconfig } : {});
  await followProgress(docker, stream, onEvent);
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
