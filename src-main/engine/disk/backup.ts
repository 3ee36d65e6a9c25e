/**
 * Backup and restore of the data Dusty keeps: DUSTY_HOME/persist (where old
 * specs' `/persist` volumes live) and the project's named volumes, as one tar
 * archive:
 *
 *   dusty-backup.json          manifest: project, volumes with their labels
 *   persist/...                the persist folder
 *   volumes/NAME/...           each volume's contents
 *
 * Volume data is read and written through the Engine API (a created, never
 * started container with the volume mounted), so it works with a remote engine.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tarFs from 'tar-fs';
import tarStream from 'tar-stream';
import { projectName } from '../docker/compose-runner.js';
import { DustyError } from '../errors.js';

export const MANIFEST = 'dusty-backup.json';

export interface VolumeInfo {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export interface BackupManifest {
  format: 1;
  project: string;
  createdAt: string;
  persist: boolean;
  volumes: VolumeInfo[];
}

export interface BackupPlan {
  persistDir: string;
  persistFiles: number;
  persistSize: number;
  volumes: (VolumeInfo & { size: number; usedBy: string[] })[];
}

async function walk(dir: string): Promise<{ files: number; size: number }> {
  let files = 0;
  let size = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return { files, size };
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    files++;
    size += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return { files, size };
}

/** The project's named volumes (created by Compose for the project). */
export async function projectVolumes(
  docker: Docker,
  project = projectName(),
): Promise<BackupPlan['volumes']> {
  const [{ Volumes }, containers, dfr] = await Promise.all([
    docker.listVolumes({ filters: { label: [`com.docker.compose.project=${project}`] } }),
    docker.listContainers({ all: true }),
    docker.df() as Promise<{
      Volumes?: { Name: string; UsageData?: { Size: number } | null }[] | null;
    }>,
  ]);
  const sizes = new Map((dfr.Volumes ?? []).map((v) => [v.Name, v.UsageData?.Size ?? -1]));
  return (Volumes ?? [])
    .map((v) => ({
      name: v.Name,
      driver: v.Driver,
      labels: v.Labels ?? {},
      options: v.Options ?? {},
      size: sizes.get(v.Name) ?? -1,
      usedBy: containers
        .filter((c) => (c.Mounts ?? []).some((m) => m.Name === v.Name))
        .map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function planBackup(
  docker: Docker,
  persistDir: string,
  project = projectName(),
): Promise<BackupPlan> {
  const [{ files, size }, volumes] = await Promise.all([
    walk(persistDir),
    projectVolumes(docker, project),
  ]);
  return { persistDir, persistFiles: files, persistSize: size, volumes };
}

/** An image to create the (never started) containers that reach volume data through. */
async function carrierImage(docker: Docker): Promise<string> {
  const images = await docker.listImages();
  const tagged = images.filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'));
  const pick =
    tagged.find((i) => (i.RepoTags ?? []).some((t) => /busybox|alpine/.test(t))) ??
    tagged[0] ??
    images[0];
  if (!pick)
    throw new DustyError(
      'no-image',
      'the engine has no image at all to mount volumes with; load or build one first',
    );
  return pick.Id;
}

async function withVolume<T>(
  docker: Docker,
  volume: string,
  fn: (c: Docker.Container) => Promise<T>,
): Promise<T> {
  const c = await docker.createContainer({
    name: `dusty-backup-${randomBytes(4).toString('hex')}`,
    Image: await carrierImage(docker),
    Entrypoint: ['/dusty-never-started'],
    Cmd: [],
    Labels: { 'dev.dusty.project': projectName(), 'dev.dusty.kind': 'backup' },
    HostConfig: { Binds: [`${volume}:/v`] },
    NetworkDisabled: true,
  });
  try {
    return await fn(c);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

function addEntry(
  pack: tarStream.Pack,
  header: Partial<tarStream.Header> & { name: string },
  body?: NodeJS.ReadableStream,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!body) {
      pack.entry(header, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    body.on('error', reject);
    body.pipe(sink);
  });
}

/** Writes the archive; resolves with what it holds. */
export async function backup(
  docker: Docker,
  plan: BackupPlan,
  dest: string,
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: 1,
    project: projectName(),
    createdAt: new Date().toISOString(),
    persist: true,
    volumes: plan.volumes.map(({ name, driver, labels, options }) => ({
      name,
      driver,
      labels,
      options,
    })),
  };
  const pack = tarStream.pack();
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${randomBytes(4).toString('hex')}.tmp`;
  const written = pipeline(pack, createWriteStream(tmp, { mode: 0o600 }));
  try {
    const body = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: MANIFEST, mode: 0o644, size: body.length }, body, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    await addPersist(pack, plan.persistDir);
    for (const v of plan.volumes) await addVolume(docker, pack, v.name);
    pack.finalize();
    await written;
    await rename(tmp, dest);
  } catch (e) {
    pack.destroy();
    await written.catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  return manifest;
}

async function addPersist(pack: tarStream.Pack, dir: string) {
  await addEntry(pack, { name: 'persist/', type: 'directory', mode: 0o755 });
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return;
  }
  const paths = entries.map((e) => join(e.parentPath, e.name)).sort();
  for (const p of paths) {
    const st = await lstat(p);
    const name = `persist/${relative(dir, p)}`;
    const base = { mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isDirectory()) await addEntry(pack, { ...base, name: `${name}/`, type: 'directory' });
    else if (st.isSymbolicLink())
      await addEntry(pack, { ...base, name, type: 'symlink', linkname: await readlink(p) });
    else if (st.isFile())
      await addEntry(pack, { ...base, name, type: 'file', size: st.size }, createReadStream(p));
  }
}

async function addVolume(docker: Docker, pack: tarStream.Pack, volume: string) {
  await withVolume(docker, volume, async (c) => {
    const archive = await c.getArchive({ path: '/v/.' });
    const extract = tarStream.extract();
    await new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        // The engine names entries after the folder: `./...` or `v/...`.
        const rel = header.name.replace(/^(\.\/|v\/|\.$|v$)/, '');
        const name = `volumes/${volume}/${rel}`;
        const h = { ...header, name };
        if (header.type === 'file') {
          const sink = pack.entry(h, (err) => (err ? reject(err) : next()));
          stream.pipe(sink);
        } else {
          stream.resume();
          pack.entry(h, (err) => (err ? reject(err) : next()));
        }
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
      archive.on('error', reject);
      archive.pipe(extract);
    });
  });
}

/** Reads the manifest of an archive (the first entry). */
export async function readManifest(src: string): Promise<BackupManifest> {
  const extract = tarStream.extract();
  const input = createReadStream(src);
  return new Promise<BackupManifest>((resolve, reject) => {
    let found = false;
    extract.on('entry', (header, stream, next) => {
      if (header.name !== MANIFEST || found) {
        stream.resume();
        next();
        return;
      }
      found = true;
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        try {
          const m = JSON.parse(Buffer.concat(chunks).toString()) as BackupManifest;
          if (m.format !== 1) throw new Error(`unknown backup format ${String(m.format)}`);
          resolve(m);
        } catch (e) {
          reject(
            new DustyError('bad-backup', `${src} is not a Dusty backup: ${(e as Error).message}`),
          );
        }
        input.destroy();
        extract.destroy();
      });
    });
    extract.on('finish', () => {
      if (!found)
        reject(new DustyError('bad-backup', `${src} is not a Dusty backup (no ${MANIFEST} in it)`));
    });
    extract.on('error', (e) =>
      reject(new DustyError('bad-backup', `${src} is not a readable tar archive: ${e.message}`)),
    );
    input.on('error', (e) =>
      reject(new DustyError('bad-backup', `cannot read ${src}: ${e.message}`)),
    );
    input.pipe(extract);
  });
}

/**
 * Restores an archive: the persist folder and each volume are replaced by
 * the archive's copy. Refuses, changing nothing, while a container uses one
 * of the volumes.
 */
export async function restore(
  docker: Docker,
  src: string,
  persistDir: string,
): Promise<BackupManifest> {
  const manifest = await readManifest(src);
  const existing = await projectVolumes(docker, manifest.project).catch(() => []);
  const inUse = existing.filter(
    (v) => v.usedBy.length && manifest.volumes.some((m) => m.name === v.name),
  );
  if (inUse.length)
    throw new DustyError(
      'volume-in-use',
      `volumes in use: ${inUse.map((v) => `${v.name} (by ${v.usedBy.join(', ')})`).join('; ')}; remove those containers first (\`dusty stop --rm\`); nothing was changed`,
    );
  const staging = await mkdtemp(join(tmpdir(), 'dusty-restore-'));
  try {
    await pipeline(createReadStream(src), tarFs.extract(staging));
    for (const v of manifest.volumes) {
      await docker
        .getVolume(v.name)
        .remove()
        .catch((e: { statusCode?: number }) => {
          if (e.statusCode !== 404) throw e;
        });
      await docker.createVolume({
        Name: v.name,
        Driver: v.driver,
        Labels: v.labels,
        DriverOpts: v.options,
      });
      const dir = join(staging, 'volumes', v.name);
      const hasData = await stat(dir).then(
        () => true,
        () => false,
      );
      if (hasData)
        await withVolume(docker, v.name, async (c) => {
          await c.putArchive(tarFs.pack(dir) as unknown as NodeJS.ReadableStream, { path: '/v' });
        });
    }
    if (manifest.persist) {
      const from = join(staging, 'persist');
      await mkdir(from, { recursive: true });
      await mkdir(dirname(persistDir), { recursive: true });
      const old = `${persistDir}.old-${randomBytes(4).toString('hex')}`;
      const had = await stat(persistDir).then(
        () => true,
        () => false,
      );
      if (had) await rename(persistDir, old);
      try {
        await rename(from, persistDir);
      } catch {
        // Another file system: copy through tar instead of moving.
        await mkdir(persistDir, { recursive: true });
        await pipeline(tarFs.pack(from), tarFs.extract(persistDir));
      }
      if (had) await rm(old, { recursive: true, force: true });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return manifest;
}
