/**
 * `dusty doctor`'s vocabulary and probes: each result says what was checked,
 * what was found and how to fix it; where a safe repair exists, the result
 * carries it. The checks themselves are a named list (doctor.ts).
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import net from 'node:net';
import type Docker from 'dockerode';
import type { describeEngine } from '../docker/engine-info.js';
import type { CompiledProject, Project } from '../project.js';
import type { RemoteEndpoint } from '../remote/doctor.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** What was checked, e.g. `port 80 is free or Dusty's`. */
  title: string;
  status: CheckStatus;
  /** What was found. */
  found: string;
  /** How to fix it, for a person. */
  fix?: string | undefined;
  /** A safe repair `doctor --fix` may run; resolves with what it did. */
  repair?: { description: string; run: () => Promise<string> } | undefined;
}

/** The part of the helper client doctor needs. */
export interface HelperLike {
  available(): Promise<boolean>;
  call(
    op: 'version',
    params: Record<string, never>,
  ): Promise<{ version: string; protocol: number }>;
}

export interface DoctorDeps {
  project: Project;
  docker: Docker;
  dustyVersion: string;
  helper?: HelperLike | undefined;
  /** The hosts file Dusty writes; `custom` when DUSTY_HOSTS_FILE chose it. */
  hostsFile: { path: string; custom: boolean };
  /** Resolves a host name to its addresses (dns.lookup honours /etc/hosts). */
  resolve?: (name: string) => Promise<string[]>;
  /** Writes Dusty's hosts section, for the repair. */
  applyHosts?: (entries: { ip: string; hostname: string }[]) => Promise<unknown>;
  /** Starts the engine, for the repair. */
  ensureEngine?: () => Promise<void>;
  /** Describes the engine Dusty uses (tests hand in a stand-in); defaults to asking it. */
  describeEngine?: typeof describeEngine;
  /** Seconds `git ls-remote` may take per repo. */
  gitTimeout?: number;
  /** The engine's host when the engine is remote (checked before the specs, which need it). */
  remote?: () => Promise<RemoteEndpoint | undefined>;
}

/** What a check sees: the deps, and what the checks before it learned. */
export interface DoctorContext {
  deps: DoctorDeps;
  /** The engine answered (set by the engine check). */
  engineUp: boolean;
  /** The active bundles compiled (set by the specs check); the later checks need it. */
  compiled?: CompiledProject | undefined;
}

/** One named check of doctor's list; its results carry their own fix text and repair. */
export interface DoctorCheck {
  name: string;
  /** Runs only once the specs compiled; without them, one skip stands for every such check. */
  needsSpecs?: boolean;
  run(ctx: DoctorContext): Promise<CheckResult[]>;
}

export const defaultResolve = async (name: string) =>
  (await lookup(name, { all: true })).map((a) => a.address);

/** Tries to listen on host:port; resolves `free`, `in-use`, or the error code. */
export function tryBind(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      resolve(e.code === 'EADDRINUSE' ? 'in-use' : (e.code ?? e.message)),
    );
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve('free')));
  });
}

/** Whether something accepts TCP connections on host:port within the timeout. */
export function tcpAnswers(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** `git ls-remote` with a deadline and no prompts. */
export function gitReachable(
  url: string,
  timeoutS: number,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', ['ls-remote', '--heads', url], {
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_SSH_COMMAND: `ssh -o BatchMode=yes -o ConnectTimeout=${timeoutS}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, output: `no answer within ${timeoutS}s` });
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, output: `cannot run git: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output: output.trim().split('\n').pop() ?? '' });
    });
  });
}

/** Whether a hosts file's Dusty section maps `hostname` to `ip`. */
export function sectionMaps(
  sectionLines: readonly string[],
  hostname: string,
  ip: string,
): boolean {
  return sectionLines.some((l) => {
    const [addr, ...names] = l.trim().split(/\s+/);
    return addr === ip && names.some((n) => n.toLowerCase() === hostname.toLowerCase());
  });
}

/** The host ports the compiled project publishes (its router's), sorted. */
export function routerPorts(compiled: CompiledProject): number[] {
  const specs = compiled.validation.specs;
  const ports = compiled.output.closure.apps.flatMap(
    (a) => specs.apps[a]?.spec.host_forwarding.map((f) => f.host_port) ?? [],
  );
  return [...new Set(ports)].sort((a, b) => a - b);
}

export const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
