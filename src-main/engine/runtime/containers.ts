/** Reading Dusty's containers through the Engine API. */
import type Docker from 'dockerode';
import { projectName } from '../docker/compose-runner.js';
import { explainEngineError } from '../docker/client.js';
import { DustyError } from '../errors.js';

export interface ContainerState {
  /** The Compose service name, which is the app's or service's name. */
  name: string;
  id: string;
  containerName: string;
  state: string;
  health?: string | undefined;
  /** The engine's summary, such as `Up 3 minutes` or `Up Less than a second`. */
  status: string;
  labels: Record<string, string>;
  /** The image as the container names it, and the ID it runs. */
  image: string;
  imageId: string;
  ports: { private: number; public?: number | undefined; ip?: string | undefined }[];
}

/** Every container of the project, running or not, keyed by service name. */
export async function listContainers(docker: Docker): Promise<Map<string, ContainerState>> {
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${projectName()}`] },
    });
  } catch (e) {
    throw explainEngineError(e);
  }
  const out = new Map<string, ContainerState>();
  for (const c of list) {
    const name = c.Labels['com.docker.compose.service'];
    if (!name) continue;
    const status = c.Status ?? '';
    const health = /\((healthy|unhealthy|health: starting)\)/
      .exec(status)?.[1]
      ?.replace('health: ', '');
    out.set(name, {
      name,
      id: c.Id,
      containerName: (c.Names[0] ?? '').replace(/^\//, ''),
      state: c.State,
      health,
      status,
      labels: c.Labels,
      image: c.Image,
      imageId: c.ImageID,
      ports: c.Ports.map((p) => ({ private: p.PrivatePort, public: p.PublicPort, ip: p.IP })),
    });
  }
  return out;
}

/** The running container of an app or service, or an error that says how to start it. */
export async function runningContainer(docker: Docker, name: string): Promise<Docker.Container> {
  const c = (await listContainers(docker)).get(name);
  if (!c)
    throw new DustyError(
      'not-running',
      `${name} has no container: is it in an active bundle? Start it with \`dusty up\``,
    );
  if (c.state !== 'running')
    throw new DustyError(
      'not-running',
      `${name} is not running (${c.state}); start it with \`dusty up\` or \`dusty restart ${name}\``,
    );
  return docker.getContainer(c.id);
}

/** The last lines a container printed, for error messages. */
export async function lastLogLines(docker: Docker, id: string, lines = 20): Promise<string> {
  try {
    const c = docker.getContainer(id);
    const info = await c.inspect();
    const buf = await c.logs({ stdout: true, stderr: true, tail: lines, follow: false });
    return (info.Config.Tty ? buf.toString() : demuxToString(buf)).trimEnd();
  } catch {
    return '';
  }
}

/** Engine log frames (8-byte header per chunk) to plain text. */
export function demuxToString(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return i === 0 && buf.length ? buf.toString() : Buffer.concat(parts).toString();
}
