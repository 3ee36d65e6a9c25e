/**
 * `dusty disk` on the shared engine, scoped to a project of its own: inspect
 * counts Dusty's share, the clean-ups remove exactly what they listed and
 * never a container or image that is not Dusty's, nothing happens without
 * --yes off a terminal, and backup then restore gives back the same data.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DustyCli, expectCode } from './support/dusty.js';

const PROJECT = 'e2edisk';
const dusty = new DustyCli(PROJECT);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const VOLUME = `${PROJECT}_data`;
const KEPT = `${PROJECT}_kept`;
const FOREIGN_IMAGE = 'e2edisk-foreign:1';
const DUSTY_IMAGE = `dusty-testing/${PROJECT}.app:1`;
const created: string[] = [];

async function exitedContainer(
  labels: Record<string, string>,
  anonVolume = false,
): Promise<string> {
  const c = await docker.createContainer({
    Image: 'dusty-busybox:local',
    Cmd: ['sh', '-c', 'echo x > /data/x 2>/dev/null; true'],
    Labels: labels,
    ...(anonVolume ? { Volumes: { '/data': {} } } : {}),
  });
  created.push(c.id);
  await c.start();
  await c.wait();
  return c.id;
}

const exists = (id: string) =>
  docker
    .getContainer(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );
const imageExists = (ref: string) =>
  docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );

/** Files of a volume as {path: content}, read through the Engine API. */
async function volumeFiles(volume: string): Promise<Record<string, string>> {
  const c = await docker.createContainer({
    Image: 'dusty-busybox:local',
    Cmd: ['true'],
    HostConfig: { Binds: [`${volume}:/v`] },
  });
  try {
    const archive = await c.getArchive({ path: '/v/.' });
    const out: Record<string, string> = {};
    const extract = tarStream.extract();
    await new Promise<void>((resolve, reject) => {
      extract.on('entry', (h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (d: unknown) => void chunks.push(d as Buffer));
        stream.on('end', () => {
          if (h.type === 'file')
            out[h.name.replace(/^(\.\/|v\/)/, '')] = Buffer.concat(chunks).toString();
          next();
        });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
      archive.pipe(extract);
    });
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

async function writeVolume(volume: string, files: Record<string, string>) {
  const pack = tarStream.pack();
  for (const [name, text] of Object.entries(files)) pack.entry({ name }, text);
  pack.finalize();
  const c = await docker.createContainer({
    Image: 'dusty-busybox:local',
    Cmd: ['true'],
    HostConfig: { Binds: [`${volume}:/v`] },
  });
  try {
    await c.putArchive(pack as unknown as NodeJS.ReadableStream, { path: '/v' });
  } finally {
    await c.remove({ force: true });
  }
}

beforeAll(async () => {
  await dusty.useCopies();
});

afterAll(async () => {
  for (const id of created)
    await docker
      .getContainer(id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  for (const ref of [FOREIGN_IMAGE, DUSTY_IMAGE])
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  for (const v of [VOLUME, KEPT])
    await docker
      .getVolume(v)
      .remove()
      .catch(() => undefined);
  dusty.cleanup();
});

describe('dusty disk', () => {
  it("cleanup_containers refuses without --yes off a terminal, then removes only Dusty's exited containers and their anonymous volumes", async () => {
    const mine = await exitedContainer({ 'com.docker.compose.project': PROJECT }, true);
    const foreign = await exitedContainer({ 'e2e.extra': 'foreign' });
    const anon = (await docker.getContainer(mine).inspect()).Mounts.find(
      (m) => m.Destination === '/data',
    )!.Name!;

    const inspect = JSON.parse(
      expectCode(await dusty.run(['disk', 'inspect', '--json']), 0).stdout,
    ) as { kind: string; dustyCount: number; count: number }[];
    expect(inspect.map((r) => r.kind)).toEqual(['images', 'containers', 'volumes', 'build cache']);
    expect(inspect[1]!.dustyCount).toBe(1);
    expect(inspect[1]!.count).toBeGreaterThanOrEqual(2);
    expect(inspect[2]!.dustyCount).toBe(1);

    const mineName = (await docker.getContainer(mine).inspect()).Name.slice(1);
    const foreignName = (await docker.getContainer(foreign).inspect()).Name.slice(1);
    const refused = await dusty.run(['disk', 'cleanup_containers']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    expect(await exists(mine)).toBe(true);

    const r = expectCode(await dusty.run(['disk', 'cleanup_containers', '--yes']), 0);
    const listed = r.stdout.split('\n').filter((l) => /^\S+\s+dusty-busybox:local/.test(l));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toContain(mineName);
    expect(r.stdout).not.toContain(foreignName);
    expect(r.stdout).toMatch(/frees about/);
    expect(await exists(mine)).toBe(false);
    expect(await exists(foreign)).toBe(true);
    expect(
      await docker
        .getVolume(anon)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
    ).toBe(false);
  });

  it("cleanup_images removes Dusty's unused testing images and leaves other images alone", async () => {
    const base = await docker.createContainer({ Image: 'dusty-busybox:local', Cmd: ['true'] });
    created.push(base.id);
    await base.commit({
      repo: 'dusty-testing/e2edisk.app',
      tag: '1',
      changes: [`LABEL dev.dusty.project=${PROJECT}`],
    });
    await base.commit({
      repo: 'e2edisk-foreign',
      tag: '1',
      changes: ['LABEL e2e.extra=foreign'],
    });
    await base.remove({ force: true });

    const r = expectCode(await dusty.run(['disk', 'cleanup_images', '--yes']), 0);
    expect(r.stdout).toContain(DUSTY_IMAGE);
    expect(r.stdout).not.toContain(FOREIGN_IMAGE);
    expect(await imageExists(DUSTY_IMAGE)).toBe(false);
    expect(await imageExists(FOREIGN_IMAGE)).toBe(true);
    expect(await imageExists('dusty-busybox:local')).toBe(true);
  });

  it('backup then restore gives back the persist folder and the named volumes as they were', async () => {
    const persist = dusty.store.persistDir;
    mkdirSync(join(persist, 'mongo/db'), { recursive: true });
    writeFileSync(join(persist, 'mongo/db/data.bin'), 'original persist data');
    writeFileSync(join(persist, 'top.txt'), 'top');
    await docker.createVolume({
      Name: VOLUME,
      Labels: { 'com.docker.compose.project': PROJECT, 'com.docker.compose.volume': 'data' },
    });
    await writeVolume(VOLUME, { 'a.txt': 'volume a', 'sub/b.txt': 'volume b' });
    const archive = join(dusty.dir, 'backup.tar');

    const b = expectCode(await dusty.run(['disk', 'backup', archive]), 0);
    expect(b.stdout).toContain(`volume ${VOLUME}`);

    rmSync(join(persist, 'mongo'), { recursive: true });
    writeFileSync(join(persist, 'top.txt'), 'changed');
    writeFileSync(join(persist, 'new.txt'), 'should go');
    await writeVolume(VOLUME, { 'a.txt': 'changed', 'extra.txt': 'should go' });

    expect((await dusty.run(['disk', 'restore', archive])).code).toBe(1);
    expect(readFileSync(join(persist, 'top.txt'), 'utf8')).toBe('changed');

    expectCode(await dusty.run(['disk', 'restore', archive, '--yes']), 0);
    expect(readFileSync(join(persist, 'mongo/db/data.bin'), 'utf8')).toBe('original persist data');
    expect(readFileSync(join(persist, 'top.txt'), 'utf8')).toBe('top');
    expect(() => readFileSync(join(persist, 'new.txt'))).toThrow();
    expect(await volumeFiles(VOLUME)).toEqual({ 'a.txt': 'volume a', 'sub/b.txt': 'volume b' });
    const labels = (await docker.getVolume(VOLUME).inspect()).Labels;
    expect(labels?.['com.docker.compose.project']).toBe(PROJECT);
  });

  it('lists the named volumes, keeps them through cleanup_containers, and removes one only when asked apart', async () => {
    await docker.createVolume({
      Name: KEPT,
      Labels: { 'com.docker.compose.project': PROJECT, 'com.docker.compose.volume': 'kept' },
    });
    await writeVolume(KEPT, { 'db.bin': 'x'.repeat(5000) });
    const user = await docker.createContainer({
      Image: 'dusty-busybox:local',
      Cmd: ['true'],
      Labels: { 'com.docker.compose.project': PROJECT },
      HostConfig: { Binds: [`${KEPT}:/data`] },
    });
    created.push(user.id);
    await user.start();
    await user.wait();
    const userName = (await user.inspect()).Name.slice(1);

    const text = expectCode(await dusty.run(['disk', 'inspect']), 0).stdout;
    expect(text).toMatch(new RegExp(`${KEPT}\\s+\\d+(\\.\\d)? kB\\s+${userName}`));
    const rows = JSON.parse(
      expectCode(await dusty.run(['disk', 'inspect', '--json']), 0).stdout,
    ) as {
      kind: string;
      named?: { name: string; size: number | null; usedBy: string[] }[];
    }[];
    const kept = rows.find((r) => r.kind === 'volumes')!.named!.find((v) => v.name === KEPT)!;
    expect(kept.size).toBeGreaterThanOrEqual(5000);
    expect(kept.usedBy).toEqual([userName]);

    const r = expectCode(await dusty.run(['disk', 'cleanup_containers', '--yes']), 0);
    expect(r.stdout).toContain(userName);
    // The backup test's volume is kept too.
    expect(r.stdout).toMatch(
      new RegExp(`kept \\d named volume\\(s\\)[^\\n]*${KEPT}[^\\n]*--volumes`),
    );
    expect(await exists(user.id)).toBe(false);
    expect(await volumeFiles(KEPT)).toEqual({ 'db.bin': 'x'.repeat(5000) });

    // Removing named volumes is its own question: off a terminal, without --yes, it refuses.
    const refused = await dusty.run(['disk', 'cleanup_containers', '--volumes']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(KEPT);
    expect(refused.stderr).toMatch(/named volumes.*not confirmed.*--yes/);
    expect(await volumeFiles(KEPT)).toEqual({ 'db.bin': 'x'.repeat(5000) });

    const removed = expectCode(
      await dusty.run(['disk', 'cleanup_containers', '--volumes', '--yes']),
      0,
    );
    expect(removed.stdout).toMatch(/removed \d named volume/);
    expect(
      await docker
        .getVolume(KEPT)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
    ).toBe(false);
  });
});
