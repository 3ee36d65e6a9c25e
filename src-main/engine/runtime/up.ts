/**
 * `up`: from any state to the whole chosen stack running. Nothing is touched
 * before the specs validate and every required asset is set.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { UrlCheck } from '../../../src-shared/health.js';
import type { UpTimeline } from '../../../src-shared/timeline.js';
import { ROUTER_NAME } from '../specs/validate.js';
import {
  ComposeRunner,
  detectCompose,
  projectName,
  type ComposeTool,
} from '../docker/compose-runner.js';
import { explainEngineError } from '../docker/client.js';
import { pullFailureReason, pullImage } from '../docker/pull.js';
import { syncRepos, type SyncEvent } from '../repos/repos.js';
import { DustyError } from '../errors.js';
import type { CompiledProject, Project } from '../project.js';
import { writeFileAtomic } from '../state/files.js';
import { Steps } from '../ops-lock/steps.js';
import { prepareRouterTls } from '../tls/router-tls.js';
import { lastLogLines, listContainers, type ContainerState } from './containers.js';
import { findBrokenState, heal, projectNetwork } from './heal.js';
import { RemoteCopy } from '../remote/remote-up.js';
import { TimelineRecorder } from './timeline.js';
import { probeUrls } from './probe.js';
import { probeUntilAnswered, watchUp } from './up-watch.js';

export type UpEvent =
  | { type: 'step'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'repo'; event: SyncEvent }
  | { type: 'compose'; line: string }
  | { type: 'pull'; image: string; status: string }
  | { type: 'container'; name: string; state: string; health?: string | undefined }
  /** Where the time went so far (see src-shared/timeline.ts); sent on every change. */
  | { type: 'timeline'; timeline: UpTimeline };

/** How the hosts section reached the hosts file. */
export interface HostsOutcome {
  how: 'helper' | 'direct' | 'manual' | 'unchanged';
  message?: string;
}

export interface UpDeps {
  project: Project;
  docker: Docker;
  /** Applies Dusty's hosts section (through the helper, directly as root, or by telling the person). */
  applyHosts: (entries: { ip: string; hostname: string }[]) => Promise<HostsOutcome>;
  /** Makes sure the engine answers (starting it or its VM when it does not). */
  ensureEngine: () => Promise<void>;
  /** Names the folders the engine's VM does not share (and how to share them), or undefined. */
  unsharedFolders?: (repos: CompiledProject['repos']) => Promise<string | undefined>;
  /** Exports repo folders where the provider mounts them over NFS; returns a warning if it could not. */
  exportRepos?: (repos: CompiledProject['repos']) => Promise<string | undefined>;
  /** The held operation lock, when the caller took one. */
  control?: UpControl | undefined;
}

export interface UpOptions {
  pull?: boolean;
  recreate?: boolean;
  /** Seconds to wait for every container to be running (and healthy). */
  timeout?: number;
  /** Milliseconds to keep probing URLs that do not answer yet once the containers run. */
  answerBudgetMs?: number;
}

export interface UpResult {
  compiled: CompiledProject;
  hosts: HostsOutcome;
  urls: { app: string; url: string }[];
  /** What each URL answered through the router at the end of `up`. */
  checks: UrlCheck[];
  timeline: UpTimeline;
}

/** The engine's name for the project's network. */
export const networkName = projectNetwork;

/**
 * Where a caller holding the operation lock lets `up` check for cancellation
 * (`stop` from another front door, Ctrl-C) and record its Compose processes.
 * An `OpHandle` is one.
 */
export interface UpControl {
  /** Why `up` must stop at its next safe point, or undefined. */
  cancelled(): Promise<string | undefined>;
  trackChild(pid: number, running: boolean): unknown;
}

const UP_STEPS = {
  validate: { todo: 'validate the specs', done: 'validated the specs' },
  engine: {
    todo: 'check the Docker engine and repair its state',
    done: 'checked the Docker engine',
  },
  repos: { todo: 'get the repos', done: 'got the repos' },
  copy: {
    todo: "copy the code to the remote engine's host",
    done: "copied the code to the remote engine's host",
  },
  images: { todo: 'check the images', done: 'checked the images' },
  write: {
    todo: 'write the Compose file and the host names',
    done: 'wrote the Compose file and the host names',
  },
  compose: {
    todo: 'create and start the containers',
    done: 'created and started the containers with Compose',
  },
  wait: { todo: 'wait for every container to run', done: 'saw every container running' },
};
type UpStep = keyof typeof UP_STEPS;

export async function up(
  deps: UpDeps,
  opts: UpOptions,
  onEvent: (e: UpEvent) => void,
): Promise<UpResult> {
  const { project, docker } = deps;
  const startedAt = Date.now();
  const steps = new Steps<UpStep>(UP_STEPS, () =>
    deps.control ? deps.control.cancelled() : Promise.resolve(undefined),
  );
  await steps.begin('validate');
  onEvent({ type: 'step', message: 'validating specs' });
  const checked = await project.check();

  // Compiling needs to know where the engine runs (a VM's address), so a stopped VM starts first.
  await steps.begin('engine');
  onEvent({ type: 'step', message: 'checking the Docker engine' });
  await deps.ensureEngine();
  const compiled = await project.compile({ checked });
  const { output } = compiled;
  for (const w of [...compiled.validation.problems, ...output.warnings])
    onEvent({ type: 'warning', message: `${w.file}: ${w.path ? `${w.path}: ` : ''}${w.message}` });
  if (output.missingAssets.length) throw missingAssetsError(output.missingAssets);

  const unshared = await deps.unsharedFolders?.(compiled.repos);
  if (unshared) throw new DustyError('folders-not-shared', unshared);

  const compose = await detectCompose();
  const expected = output.containers.map((c) => c.name);
  for (const done of await heal(await findBrokenState({ docker, services: expected })))
    onEvent({ type: 'warning', message: `repaired: ${done}` });

  const config = await project.store.config();
  const pull = (opts.pull ?? true) && config.pull_repos;
  if (compiled.repos.length) {
    await steps.begin('repos');
    onEvent({ type: 'step', message: pull ? 'getting repos' : 'getting missing repos' });
    await syncRepos(compiled.repos, pull, (event) => onEvent({ type: 'repo', event }));
    const warning = await deps.exportRepos?.(compiled.repos);
    if (warning) onEvent({ type: 'warning', message: warning });
  }

  const remote = await copyToRemote(project, compiled, steps, onEvent);
  try {
    const result = await apply(
      deps,
      compiled,
      { opts, steps, compose, remote, startedAt },
      onEvent,
    );
    await remote?.startWatching();
    return result;
  } finally {
    await remote?.close();
  }
}

/** For a remote engine: the code goes to its host before anything else changes. */
async function copyToRemote(
  project: Project,
  compiled: CompiledProject,
  steps: Steps<UpStep>,
  onEvent: (e: UpEvent) => void,
): Promise<RemoteCopy | undefined> {
  const target = compiled.platform.remote;
  if (!target) return undefined;
  await steps.begin('copy');
  let remote: RemoteCopy | undefined;
  try {
    remote = await RemoteCopy.open(project.store, compiled, target);
    onEvent({ type: 'step', message: `copying code to ${remote.host}` });
    await remote.copyCode((f) =>
      onEvent({ type: 'step', message: `copied ${f.name} to ${f.remote}` }),
    );
    return remote;
  } catch (e) {
    await remote?.close();
    // Ctrl-C reaches ssh and rsync too: an interrupted copy is said to be one, not a failed rsync.
    await steps.checkpoint();
    throw e;
  }
}

/** From the images to every container running. */
async function apply(
  deps: UpDeps,
  compiled: CompiledProject,
  run: {
    opts: UpOptions;
    steps: Steps<UpStep>;
    compose: ComposeTool;
    remote?: RemoteCopy | undefined;
    startedAt: number;
  },
  onEvent: (e: UpEvent) => void,
): Promise<UpResult> {
  const { project, docker } = deps;
  const { opts, steps, compose, remote } = run;
  const { output } = compiled;
  const expected = output.containers.map((c) => c.name);
  const recorder = new TimelineRecorder(expected, projectName(), Date.now, run.startedAt, () =>
    onEvent({ type: 'timeline', timeline: recorder.snapshot() }),
  );
  // Images before anything is written: a failed pull leaves the hosts file and containers as they were.
  await steps.begin('images');
  await ensureImages(docker, compiled, onEvent, recorder);

  await steps.begin('write');
  const store = project.store;
  const previousNginx = await readFile(join(store.compiledDir, 'nginx.conf'), 'utf8').catch(
    () => '',
  );
  // The router's certificate before its config: nginx refuses to start without it.
  let leafChanged = false;
  if (output.tlsNames.length) {
    onEvent({ type: 'step', message: 'preparing the router certificate' });
    const tls = await prepareRouterTls(store.home, compiled.validation.specs, output.tlsNames);
    for (const message of tls.warnings) onEvent({ type: 'warning', message });
    leafChanged = tls.leafChanged;
  }
  await project.writeCompiled(output);
  await Promise.all([
    mkdir(store.persistDir, { recursive: true }),
    ...output.containers.map((c) => mkdir(join(store.cpDir, c.name), { recursive: true })),
  ]);
  await remote?.copyCompiled(expected);
  onEvent({ type: 'step', message: 'writing host names' });
  const hosts = await deps.applyHosts(output.hostsEntries);
  if (hosts.how === 'manual' && hosts.message) onEvent({ type: 'warning', message: hosts.message });

  const apps = new Set(output.containers.filter((c) => c.kind === 'app').map((c) => c.name));
  // URLs that answered while their containers settled, so they are not asked twice.
  const answered = new Map<string, UrlCheck>();
  const watch = await watchUp(docker, recorder, apps, Date.now());
  try {
    await steps.begin('compose');
    await applyCompose(deps, compiled, compose, opts.recreate ?? false, (e) => {
      if (e.type === 'compose') recorder.composeLine(e.line);
      onEvent(e);
    });
    await restartForChangedAssets(docker, compiled, store.assetsDir);

    await steps.begin('wait');
    const withUrls = new Set(output.containers.filter((c) => c.urls.length).map((c) => c.name));
    await waitForContainers(
      docker,
      expected,
      opts.timeout ?? 120,
      onEvent,
      () => steps.checkpoint(),
      (name, health, at) => {
        // An app with URLs is ready at its first answer (probed next); one with a health check at "healthy".
        if (!withUrls.has(name) && !health) recorder.endIfOpen(name, 'ready', at, 'running');
      },
      (name) =>
        answersNow(output.containers, name, compiled.platform.engineAddress, recorder, answered),
    );
    if (previousNginx && (previousNginx !== output.nginx || leafChanged)) {
      await reloadRouter(docker);
      // Answered through the old configuration: asked again below.
      answered.clear();
    }
  } finally {
    watch.close();
  }
  steps.end();

  const urls = output.containers.flatMap((c) => c.urls.map((url) => ({ app: c.name, url })));
  const checks = await probeUntilAnswered(
    urls,
    compiled.platform.engineAddress,
    recorder,
    opts.answerBudgetMs ?? 3000,
    answered,
  );
  recorder.finish();
  return { compiled, hosts, urls, checks, timeline: recorder.snapshot() };
}

function missingAssetsError(missing: CompiledProject['output']['missingAssets']): DustyError {
  return new DustyError(
    'missing-assets',
    'required assets are not set; nothing was changed:\n' +
      missing
        .map(
          (a) => `  ${a.asset} (${a.owner}, placed at ${a.path}): dusty assets set ${a.asset} FILE`,
        )
        .join('\n'),
  );
}

/** Runs `compose up` unless every container already runs what the file describes. */
async function applyCompose(
  deps: UpDeps,
  compiled: CompiledProject,
  compose: ComposeTool,
  forceRecreate: boolean,
  onEvent: (e: UpEvent) => void,
) {
  const { docker, project } = deps;
  const { output } = compiled;
  const composeFile = join(project.store.compiledDir, 'docker-compose.yml');
  const before = await listContainers(docker);
  const network = await networkExists(docker);
  let recreate = forceRecreate;
  if (before.size && !network) {
    onEvent({
      type: 'warning',
      message: `the network ${networkName()} is gone; recreating every container`,
    });
    recreate = true;
  }
  const appliedStamp = join(project.store.compiledDir, '.applied');
  const composeHash = createHash('sha256').update(output.compose).digest('hex');
  const unchanged =
    !recreate &&
    network &&
    (await readFile(appliedStamp, 'utf8').catch(() => '')) === composeHash &&
    (await allCurrent(docker, before, output.containers));
  if (unchanged) {
    // What Compose would conclude too, without the second it takes to start and ask.
    onEvent({ type: 'step', message: 'every container is up to date' });
    return;
  }
  onEvent({ type: 'step', message: `starting containers with ${compose.label}` });
  const control = deps.control;
  const runner = new ComposeRunner(
    composeFile,
    compose,
    control ? (pid, running) => void control.trackChild(pid, running) : undefined,
  );
  await rm(appliedStamp, { force: true });
  await runner.up({ recreate }, (line) => onEvent({ type: 'compose', line }));
  await writeFileAtomic(appliedStamp, composeHash);
}

/**
 * An asset set again keeps its mount (Compose sees no change), but the mount
 * still holds the old file and the start script copied the old value: restart
 * the containers started before one of their assets changed.
 */
async function restartForChangedAssets(
  docker: Docker,
  compiled: CompiledProject,
  assetsDir: string,
) {
  const running = await listContainers(docker);
  await Promise.all(
    compiled.output.containers.map(async (plan) => {
      const names = plan.assets;
      const c = running.get(plan.name);
      if (!names.length || !c || c.state !== 'running') return;
      const container = docker.getContainer(c.id);
      const started = Date.parse((await container.inspect()).State.StartedAt);
      const changed = await Promise.all(
        names.map((n) =>
          stat(join(assetsDir, n)).then(
            (st) => st.mtimeMs > started,
            () => false,
          ),
        ),
      );
      if (changed.some(Boolean)) await container.restart({ t: 5 });
    }),
  );
}

/**
 * True when exactly the expected containers exist, all running, each on the
 * image its tag names now (a rebuilt or pulled image means a recreate).
 */
async function allCurrent(
  docker: Docker,
  existing: Map<string, ContainerState>,
  expected: CompiledProject['output']['containers'],
) {
  if (existing.size !== expected.length) return false;
  const images = new Map<string, Promise<string | undefined>>();
  const imageId = (tag: string) => {
    if (!images.has(tag))
      images.set(
        tag,
        docker
          .getImage(tag)
          .inspect()
          .then(
            (i) => i.Id,
            () => undefined,
          ),
      );
    return images.get(tag)!;
  };
  const checks = await Promise.all(
    expected.map(async (plan) => {
      const c = existing.get(plan.name);
      // Built images are Compose's to judge.
      if (!c || c.state !== 'running' || plan.image.kind !== 'pull') return false;
      return c.imageId === (await imageId(plan.image.ref));
    }),
  );
  return checks.every(Boolean);
}

async function networkExists(docker: Docker): Promise<boolean> {
  try {
    await docker.getNetwork(networkName()).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Pulls images that are missing, saying exactly which failed and what to do. */
async function ensureImages(
  docker: Docker,
  compiled: CompiledProject,
  onEvent: (e: UpEvent) => void,
  recorder: TimelineRecorder,
) {
  const images = [
    ...new Set(
      compiled.output.containers.flatMap((c) => (c.image.kind === 'pull' ? [c.image.ref] : [])),
    ),
  ];
  const missing: string[] = [];
  await Promise.all(
    images.map(async (img) => {
      try {
        await docker.getImage(img).inspect();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) missing.push(img);
        else throw explainEngineError(e);
      }
    }),
  );
  const failures: string[] = [];
  for (const img of missing.sort()) {
    onEvent({ type: 'pull', image: img, status: 'pulling' });
    const users = compiled.output.containers
      .filter((c) => c.image.kind === 'pull' && c.image.ref === img)
      .map((c) => c.name);
    for (const u of users) recorder.begin(u, 'image', Date.now(), `pull ${img}`);
    try {
      await pullImage(docker, img);
      onEvent({ type: 'pull', image: img, status: 'pulled' });
      for (const u of users) recorder.end(u, 'image');
    } catch (e) {
      const loginNeeded = compiled.output.containers.some(
        (c) =>
          c.image.kind === 'pull' &&
          c.image.ref === img &&
          compiled.validation.specs.apps[c.name]?.spec.image_requires_login,
      );
      failures.push(`  ${img}: ${pullFailureReason(img, e, loginNeeded)}`);
      onEvent({ type: 'pull', image: img, status: 'failed' });
      for (const u of users) recorder.end(u, 'image', Date.now(), `pull ${img} failed`);
    }
  }
  if (failures.length) {
    const users = (img: string) =>
      compiled.output.containers
        .filter((c) => c.image.kind === 'pull' && c.image.ref === img)
        .map((c) => c.name);
    throw new DustyError(
      'pull-failed',
      `cannot pull ${failures.length} image(s):\n${failures.join('\n')}\n` +
        `used by: ${missing.map((m) => `${m} (${users(m).join(', ')})`).join('; ')}\n` +
        'What to do: check the network and the image name; for a private registry run `docker login`; ' +
        'offline, build or load the image locally (`docker build -t NAME .`, `docker load -i FILE`) and run `dusty up` again. ' +
        'For the router, `dusty config set nginx_image IMAGE` chooses another nginx image.',
    );
  }
}

/**
 * How long a container without a healthcheck must be seen running to count as
 * started, unless the engine already says it has been up for a second or
 * more, or one of its URLs has answered.
 */
const SETTLE_MS = 500;

/** Probes a container's URLs once; true when one answers (its first answer goes on the timeline). */
async function answersNow(
  containers: CompiledProject['output']['containers'],
  name: string,
  address: string,
  recorder: TimelineRecorder,
  answered: Map<string, UrlCheck>,
): Promise<boolean> {
  const urls = containers.find((c) => c.name === name)?.urls ?? [];
  if (!urls.length) return false;
  const checks = await probeUrls(
    urls.map((url) => ({ app: name, url })),
    { address, timeoutMs: SETTLE_MS },
  );
  for (const c of checks) if (c.ok) answered.set(c.url, c);
  const ok = checks.find((c) => c.ok);
  if (ok)
    recorder.endIfOpen(
      name,
      'ready',
      ok.at + ok.ms,
      `${ok.url} answered${ok.status ? ` ${ok.status}` : ''}`,
    );
  return !!ok;
}

/** Waits until each container runs (and is healthy where it has a healthcheck). */
async function waitForContainers(
  docker: Docker,
  names: string[],
  timeoutS: number,
  onEvent: (e: UpEvent) => void,
  checkpoint: () => Promise<void>,
  onStarted: (name: string, health: string | undefined, firstSeenRunning: number) => void,
  /** Whether one of the container's URLs answers: proof that it started, without the wait. */
  answers: (name: string) => Promise<boolean>,
) {
  const deadline = Date.now() + timeoutS * 1000;
  const last = new Map<string, string>();
  const firstRunning = new Map<string, number>();
  const pending = new Set(names);
  while (pending.size) {
    const now = await listContainers(docker);
    const justStarted = [...pending].filter((name) => {
      const c = now.get(name);
      return c?.state === 'running' && !c.health && /^Up Less than a second/.test(c.status);
    });
    const answered = new Set(
      (
        await Promise.all(justStarted.map(async (n) => ((await answers(n)) ? n : undefined)))
      ).filter(Boolean),
    );
    for (const name of [...pending]) {
      const c = now.get(name);
      const state = c ? c.state : 'missing';
      const key = `${state}/${c?.health ?? ''}`;
      if (last.get(name) !== key) {
        last.set(name, key);
        onEvent({ type: 'container', name, state, health: c?.health });
      }
      if (c && c.state === 'running' && (!c.health || c.health === 'healthy')) {
        // A process that dies at once is "running" for a moment: only a
        // container that has stayed up for a little while counts as started.
        if (!firstRunning.has(name)) firstRunning.set(name, Date.now());
        const upAWhile = !/^Up Less than a second/.test(c.status) || answered.has(name);
        if (c.health || upAWhile || Date.now() - firstRunning.get(name)! >= SETTLE_MS) {
          pending.delete(name);
          onStarted(name, c.health, firstRunning.get(name)!);
        }
      } else if (c && (c.state === 'exited' || c.state === 'dead' || c.health === 'unhealthy')) {
        const info = await docker.getContainer(c.id).inspect();
        const logs = await lastLogLines(docker, c.id);
        const why =
          c.health === 'unhealthy'
            ? 'its healthcheck fails'
            : `it exited with code ${info.State.ExitCode}`;
        throw new DustyError(
          'container-failed',
          `${name} did not start: ${why}.\nIts last log lines:\n${logs ? logs.replace(/^/gm, '  | ') : '  (no output)'}\nSee more with \`dusty logs ${name}\`.`,
          { container: name, reason: why, logs: logs ? logs.split('\n') : [] },
        );
      }
    }
    if (!pending.size) break;
    await checkpoint();
    if (Date.now() > deadline)
      throw new DustyError(
        'timeout',
        `timed out after ${timeoutS}s waiting for ${[...pending].join(', ')}; see \`dusty status\` and \`dusty logs NAME\``,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** nginx reads its config at start; a changed config with an unchanged container needs a reload. */
async function reloadRouter(docker: Docker) {
  const c = (await listContainers(docker)).get(ROUTER_NAME);
  if (!c || c.state !== 'running') return;
  const exec = await docker.getContainer(c.id).exec({
    Cmd: ['nginx', '-c', '/etc/dusty/nginx.conf', '-s', 'reload'],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  await new Promise((r) => {
    stream.on('end', r);
    stream.on('error', r);
    stream.resume();
  });
}
