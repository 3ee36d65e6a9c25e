/**
 * `dusty test`: the testing image (built or taken, `once` run in it and the
 * result committed and cached), then each suite in a fresh container next to
 * private copies of its services on a network of its own. Everything a run
 * creates is labelled with its id and removed when it ends, is interrupted,
 * or (if the process died) by the next run's sweep.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import tarFs from 'tar-fs';
import { explainEngineError } from '../docker/client.js';
import { projectName } from '../docker/compose-runner.js';
import { followProgress, pullFailureReason, pullImage } from '../docker/pull.js';
import { pidAlive as alive } from '../../platform/pid.js';
import { DustyError } from '../errors.js';
import type { Project } from '../project.js';
import { describeRepos, reposOfSpecs, syncRepos, type SyncEvent } from '../repos/repos.js';
import { copyReposForTest } from '../remote/remote-test.js';
import { lastLogLines } from '../runtime/containers.js';
import { scopeValidation } from '../specs/validate.js';
import {
  onceScript,
  overallExitCode,
  planServiceContainer,
  resolveTarget,
  selectSuites,
  suiteCompose,
  suiteScript,
  TEST_LABEL,
  testReach,
  testingHash,
  testingRepo,
  type SuiteResult,
  type TestTarget,
} from './plan.js';
import { createOptions } from './compose-options.js';
import { TestResultsStore } from './results.js';

const HOST_LABEL = 'dev.dusty.test-host';

/** What a test run reports while it works; `output` chunks are live. */
export type TestEvent =
  | { type: 'step'; message: string }
  | { type: 'warning'; message: string }
  | { type: 'repo'; event: SyncEvent }
  | { type: 'image'; action: 'reused' | 'built'; tag: string; id: string }
  | { type: 'output'; suite?: string | undefined; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'suite-start'; suite: string }
  | { type: 'suite-end'; result: SuiteResult };

export interface TestDeps {
  project: Project;
  docker: Docker;
  /**
   * Runs work on what `up` shares (the repos, the testing image) under the
   * operation lock; the suites themselves run in containers of their own, unlocked.
   */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
}

export interface TestOptions {
  /** The app or lib. */
  target: string;
  /** A suite name, or `all`. */
  suite: string;
  args?: string[];
  /** Rebuild the testing image even when the cached one is current. */
  recreate?: boolean;
  /** Pull managed repos (missing ones are cloned either way). */
  pull?: boolean;
  /** Aborting stops the run's containers; the run then cleans up and rejects with code `interrupted`. */
  signal?: AbortSignal;
  /** Called with the run id as soon as it is chosen (before anything is created). */
  onRunId?: (id: string) => void;
}

export interface TestRunResult {
  runId: string;
  image: { tag: string; id: string; reused: boolean };
  results: SuiteResult[];
  exitCode: number;
}

/** The target and its chosen suites, from specs valid where the target reaches; warnings go to `onEvent`. */
async function checkedTarget(
  project: TestDeps['project'],
  opts: TestOptions,
  onEvent: (e: TestEvent) => void,
) {
  const full = await project.validate();
  const validation = scopeValidation(full, testReach(full.specs, opts.target));
  if (!validation.ok)
    throw new DustyError('invalid-specs', 'the specs are invalid', {
      problems: validation.problems.filter((p) => p.severity === 'error'),
    });
  for (const p of validation.problems)
    onEvent({ type: 'warning', message: `${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}` });
  const specs = validation.specs;
  const target = resolveTarget(specs, opts.target);
  const suites = selectSuites(target, opts.suite);
  if (!suites.length) throw new DustyError('no-suites', `${target.name} has no suites`);
  for (const s of suites)
    for (const svc of s.services)
      if (!specs.services[svc])
        throw new DustyError(
          'unknown-service',
          `suite ${s.name} of ${target.name} uses the unknown service "${svc}"`,
        );
  return { specs, target, suites };
}

/** Runs one suite or all of a target's suites. */
export async function runTests(
  deps: TestDeps,
  opts: TestOptions,
  onEvent: (e: TestEvent) => void,
): Promise<TestRunResult> {
  const { project, docker } = deps;
  const { specs, target, suites } = await checkedTarget(project, opts, onEvent);

  const [config, overrides] = await Promise.all([
    project.store.config(),
    project.store.repoOverrides(),
  ]);
  const repos = describeRepos(
    reposOfSpecs(specs, {
      apps: target.kind === 'app' ? [target.name] : [],
      libs: [...target.libs.map((l) => l.name), ...(target.kind === 'lib' ? [target.name] : [])],
    }),
    overrides,
    project.store.reposDir,
  );
  const exclusive = deps.exclusive ?? (<T>(work: () => Promise<T>) => work());
  if (repos.length) {
    const pull = (opts.pull ?? true) && config.pull_repos;
    onEvent({ type: 'step', message: pull ? 'getting repos' : 'getting missing repos' });
    await exclusive(() => syncRepos(repos, pull, (event) => onEvent({ type: 'repo', event })));
  }
  const repoPath = (repo: string) => repos.find((r) => r.name === repo)?.path ?? repo;
  // A remote engine mounts the copies on its host, as `up`'s containers do.
  const { remote } = await project.platformFacts();
  const mountPath = remote
    ? await exclusive(() =>
        copyReposForTest(remote, repos, (message) => onEvent({ type: 'step', message })),
      )
    : repoPath;
  const binds = [
    ...(target.repo ? [`${mountPath(target.repo)}:${target.workdir}`] : []),
    ...target.libs.map((l) => `${mountPath(l.repo)}:${l.mount}`),
  ];

  try {
    await docker.ping();
  } catch (e) {
    throw explainEngineError(e);
  }
  await sweepStaleTestRuns(docker).catch(() => undefined);

  const runId = randomBytes(6).toString('hex');
  opts.onRunId?.(runId);
  const run = new TestRun(docker, runId, opts.signal, onEvent);
  try {
    const image = await exclusive(() =>
      run.testingImage(target, repoPath, binds, opts.recreate ?? false),
    );
    const results: SuiteResult[] = [];
    const network = await run.network();
    for (const suite of suites) {
      run.checkAborted();
      onEvent({ type: 'suite-start', suite: suite.name });
      const started = Date.now();
      const namespace = await run.services(
        suite.name,
        suite.services.map((s) => ({ name: s, def: specs.services[s]!.spec })),
        network,
        target.name,
      );
      const code = await run.suite(target, suite.name, {
        image: image.id,
        script: suiteScript(target, suite, opts.args ?? []),
        compose: suiteCompose(target.test, suite),
        binds,
        network,
        namespace,
      });
      await run.removeSuiteContainers(suite.name);
      run.checkAborted();
      const result: SuiteResult = {
        target: target.name,
        suite: suite.name,
        exitCode: code,
        passed: code === 0,
        durationMs: Date.now() - started,
        finishedAt: new Date().toISOString(),
      };
      results.push(result);
      await new TestResultsStore(project.store.home).record([result]).catch(() => undefined);
      onEvent({ type: 'suite-end', result });
    }
    return { runId, image, results, exitCode: overallExitCode(results, opts.suite === 'all') };
  } finally {
    await sweepTestRun(docker, runId);
  }
}

/** Removes every container (with its anonymous volumes) and network of a run. */
export async function sweepTestRun(docker: Docker, runId: string): Promise<void> {
  const filters = { label: [`${TEST_LABEL.run}=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
}

/** Removes what runs of this project left behind when their process died (killed, crashed). */
export async function sweepStaleTestRuns(docker: Docker): Promise<string[]> {
  const filters = { label: [`${TEST_LABEL.project}=${projectName()}`, TEST_LABEL.run] };
  const [containers, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ]);
  const runs = new Map<string, Record<string, string>>();
  for (const c of containers) runs.set(c.Labels[TEST_LABEL.run]!, c.Labels);
  for (const n of networks) runs.set(n.Labels?.[TEST_LABEL.run] ?? '', n.Labels ?? {});
  const stale = [...runs].filter(
    ([id, l]) => id && (l[HOST_LABEL] !== hostname() || !alive(Number(l[TEST_LABEL.pid]))),
  );
  // Runs of another host sharing the engine are not judged by our process table.
  const mine = stale.filter(([, l]) => l[HOST_LABEL] === hostname());
  await Promise.all(mine.map(([id]) => sweepTestRun(docker, id)));
  return mine.map(([id]) => id);
}

class TestRun {
  private readonly current = new Set<Docker.Container>();
  private readonly suiteContainers = new Map<string, string[]>();

  constructor(
    private readonly docker: Docker,
    readonly id: string,
    private readonly signal: AbortSignal | undefined,
    private readonly onEvent: (e: TestEvent) => void,
  ) {
    signal?.addEventListener('abort', () => {
      for (const c of this.current) void c.kill().catch(() => undefined);
    });
  }

  checkAborted() {
    if (this.signal?.aborted) throw new DustyError('interrupted', 'the test run was interrupted');
  }

  get labels(): Record<string, string> {
    return {
      [TEST_LABEL.run]: this.id,
      [TEST_LABEL.pid]: String(process.pid),
      [TEST_LABEL.project]: projectName(),
      [HOST_LABEL]: hostname(),
    };
  }

  private step(message: string) {
    this.onEvent({ type: 'step', message });
  }

  /** The base image: pulled when missing, or built from `test.build`. */
  private async baseImage(target: TestTarget, repoPath: (r: string) => string): Promise<string> {
    const { test } = target;
    if (test.build) {
      const root = target.repo ? repoPath(target.repo) : '/';
      const context = isAbsolute(test.build) ? test.build : join(root, test.build);
      const tag = `${testingRepo(projectName(), target.name)}:base`;
      this.step(`building the test image from ${context}`);
      let stream: NodeJS.ReadableStream;
      try {
        stream = await this.docker.buildImage(
          tarFs.pack(context) as unknown as NodeJS.ReadableStream,
          {
            t: tag,
            labels: { [TEST_LABEL.project]: projectName(), [TEST_LABEL.testing]: target.name },
          } as Docker.ImageBuildOptions,
        );
      } catch (e) {
        throw explainEngineError(e);
      }
      await followProgress(this.docker, stream, (ev) => {
        if (ev.stream) this.onEvent({ type: 'output', stream: 'stdout', text: ev.stream });
      }).catch((e: unknown) => {
        throw new DustyError(
          'build-failed',
          `building the test image of ${target.name} from ${context} failed: ${(e as Error).message}`,
        );
      });
      return (await this.docker.getImage(tag).inspect()).Id;
    }
    return this.ensureImage(
      test.image!,
      `the test image of ${target.name}`,
      test.image_requires_login,
    );
  }

  /** The cached testing image, or a new one: `once` run in the base image and committed. */
  async testingImage(
    target: TestTarget,
    repoPath: (r: string) => string,
    binds: string[],
    recreate: boolean,
  ) {
    if (!target.test.image && !target.test.build)
      throw new DustyError(
        'no-test-image',
        `the test section of ${target.name} (${target.file}) needs \`image\` or \`build\``,
      );
    const baseId = await this.baseImage(target, repoPath);
    const repo = testingRepo(projectName(), target.name);
    const tag = `${repo}:${testingHash(target, binds, baseId)}`;
    let previous: string | undefined;
    try {
      previous = (await this.docker.getImage(tag).inspect()).Id;
    } catch {
      previous = undefined;
    }
    if (previous && !recreate) {
      this.onEvent({ type: 'image', action: 'reused', tag, id: previous });
      return { tag, id: previous, reused: true };
    }
    this.step(
      `creating the testing image ${tag}${target.test.once.length ? ' (running once commands)' : ''}`,
    );
    const container = await this.docker.createContainer({
      Image: baseId,
      Entrypoint: [],
      Cmd: ['/bin/sh', '-c', onceScript(target)],
      WorkingDir: target.workdir,
      Labels: this.labels,
      HostConfig: { Binds: binds },
    });
    const code = await this.runAttached(container, undefined);
    this.checkAborted();
    if (code !== 0) {
      const logs = await lastLogLines(this.docker, container.id);
      throw new DustyError(
        'once-failed',
        `the once commands of ${target.name}'s tests failed with exit code ${code}:\n${logs.replace(/^/gm, '  | ')}`,
      );
    }
    const esc = (s: string) => JSON.stringify(s);
    const committed = (await container.commit({
      repo,
      tag: tag.slice(repo.length + 1),
      changes: [
        `LABEL ${esc(TEST_LABEL.project)}=${esc(projectName())} ${esc(TEST_LABEL.testing)}=${esc(target.name)} ${esc(TEST_LABEL.hash)}=${esc(tag.slice(repo.length + 1))} ${esc(TEST_LABEL.run)}=""`,
      ],
    })) as { Id: string };
    await container.remove({ force: true, v: true }).catch(() => undefined);
    const id = committed.Id.startsWith('sha256:') ? committed.Id : `sha256:${committed.Id}`;
    // Older testing images of this target are no use any more; ones still in use stay.
    const old = await this.docker.listImages({ filters: { reference: [repo] } });
    await Promise.all(
      old
        .filter((i) => i.Id !== id && !(i.RepoTags ?? []).some((t) => t.endsWith(':base')))
        .map((i) =>
          this.docker
            .getImage(i.Id)
            .remove({ noprune: false })
            .catch(() => undefined),
        ),
    );
    if (previous && previous !== id)
      await this.docker
        .getImage(previous)
        .remove()
        .catch(() => undefined);
    this.onEvent({ type: 'image', action: 'built', tag, id });
    return { tag, id, reused: false };
  }

  async network(): Promise<string> {
    const name = `${projectName()}-test-${this.id}`;
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Labels: this.labels,
      CheckDuplicate: true,
    });
    return name;
  }

  private warnIgnored(what: string, ignored: string[]) {
    if (ignored.length)
      this.onEvent({
        type: 'warning',
        message: `${what}: ${ignored.join(', ')} not applied in tests`,
      });
  }

  /** The image's id, pulled first when the engine does not have it. */
  private async ensureImage(
    image: string,
    forWhat: string,
    requiresLogin?: boolean,
  ): Promise<string> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw explainEngineError(e);
    }
    this.step(`pulling ${image}`);
    try {
      await pullImage(this.docker, image);
    } catch (e) {
      throw new DustyError(
        'pull-failed',
        `cannot pull ${image} for ${forWhat}: ${pullFailureReason(image, e, requiresLogin)}\n` +
          'What to do: check the network and the image name, or build or load it locally (`docker build -t NAME .`, `docker load -i FILE`).',
      );
    }
    return (await this.docker.getImage(image).inspect()).Id;
  }

  /**
   * Starts private copies of a suite's services in one network namespace, as
   * the original did: the first owns it (on the run's network), each other
   * joins the one before, and the suite's container joins last, so a test
   * reaches its services on localhost; their names resolve to 127.0.0.1.
   * Resolves with the id of the last container, or undefined without services.
   */
  async services(
    suite: string,
    services: { name: string; def: Record<string, unknown> }[],
    network: string,
    target: string,
  ): Promise<string | undefined> {
    let previous: string | undefined;
    const names = [...new Set([...services.map((s) => s.name), target])];
    for (const { name, def } of services) {
      this.checkAborted();
      const plan = planServiceContainer(name, def, previous === undefined);
      this.warnIgnored(`service ${name}`, plan.ignored);
      await this.ensureImage(plan.image, `the test copy of ${name}`);
      this.step(`starting a private ${name} for suite ${suite}`);
      const c = await this.docker.createContainer({
        ...plan.config,
        name: `${network}-${suite}-${name}`.replace(/[^a-zA-Z0-9_.-]/g, '-'),
        Image: plan.image,
        ...(plan.cmd ? { Cmd: plan.cmd } : {}),
        Labels: { ...plan.config.Labels, ...this.labels },
        Volumes: Object.fromEntries(plan.anonymousVolumes.map((v) => [v, {}])),
        HostConfig: {
          ...plan.hostConfig,
          Binds: plan.binds,
          ...(previous
            ? { NetworkMode: `container:${previous}` }
            : {
                NetworkMode: network,
                ExtraHosts: [
                  ...((plan.hostConfig.ExtraHosts as string[] | undefined) ?? []),
                  ...names.map((n) => `${n}:127.0.0.1`),
                ],
              }),
        },
        ...(previous
          ? {}
          : { NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [name] } } } }),
      });
      this.suiteContainers.set(suite, [...(this.suiteContainers.get(suite) ?? []), c.id]);
      await c.start();
      previous = c.id;
    }
    // A service that exits at once would make the suite fail for a reason it cannot show.
    if (services.length) await new Promise((r) => setTimeout(r, 300));
    for (const id of this.suiteContainers.get(suite) ?? []) {
      const info = await this.docker.getContainer(id).inspect();
      if (!info.State.Running) {
        const logs = await lastLogLines(this.docker, id);
        throw new DustyError(
          'service-failed',
          `the test copy of service ${info.Config.Labels?.['com.docker.compose.service'] ?? info.Name} exited with code ${info.State.ExitCode}:\n${logs.replace(/^/gm, '  | ') || '  (no output)'}`,
        );
      }
    }
    return previous;
  }

  /**
   * Runs a suite's command in a fresh container with the suite's compose
   * settings, in its services' network namespace when it has services;
   * resolves with its exit code.
   */
  async suite(
    target: TestTarget,
    suite: string,
    o: {
      image: string;
      script: string;
      compose: Record<string, unknown>;
      binds: string[];
      network: string;
      namespace: string | undefined;
    },
  ): Promise<number> {
    this.checkAborted();
    this.step(`running suite ${suite} of ${target.name}`);
    const opts = createOptions(o.compose, !o.namespace);
    this.warnIgnored(`suite ${suite}`, opts.ignored);
    const c = await this.docker.createContainer({
      Entrypoint: [],
      WorkingDir: target.workdir,
      ...opts.config,
      name: `${o.network}-${suite}`.replace(/[^a-zA-Z0-9_.-]/g, '-'),
      Image: o.image,
      Cmd: ['/bin/sh', '-c', o.script],
      Labels: { ...opts.config.Labels, ...this.labels },
      Volumes: Object.fromEntries(opts.anonymousVolumes.map((v) => [v, {}])),
      HostConfig: {
        ...opts.hostConfig,
        Binds: [...o.binds, ...opts.binds],
        NetworkMode: o.namespace ? `container:${o.namespace}` : o.network,
      },
      ...(o.namespace
        ? {}
        : { NetworkingConfig: { EndpointsConfig: { [o.network]: { Aliases: [target.name] } } } }),
    });
    this.suiteContainers.set(suite, [...(this.suiteContainers.get(suite) ?? []), c.id]);
    return this.runAttached(c, suite);
  }

  async removeSuiteContainers(suite: string) {
    await Promise.all(
      (this.suiteContainers.get(suite) ?? []).map((id) =>
        this.docker
          .getContainer(id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
    this.suiteContainers.delete(suite);
  }

  /** Starts a container with its output streamed as events; resolves with its exit code. */
  private async runAttached(c: Docker.Container, suite: string | undefined): Promise<number> {
    this.checkAborted();
    this.current.add(c);
    try {
      const stream = await c.attach({ stream: true, stdout: true, stderr: true });
      const sink = (which: 'stdout' | 'stderr') =>
        new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            this.onEvent({ type: 'output', suite, stream: which, text: chunk.toString() });
            cb();
          },
        });
      this.docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
      const ended = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
      await c.start();
      if (this.signal?.aborted) await c.kill().catch(() => undefined);
      const { StatusCode } = (await c.wait()) as { StatusCode: number };
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
      return StatusCode;
    } finally {
      this.current.delete(c);
    }
  }
}
