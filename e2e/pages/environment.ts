/**
 * What dashboard and app tests share: the sandbox in this process, the
 * dashboard's build, Chromium's flags, and a few Docker lookups.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DustyCli, type Ports } from '../support/dusty.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Chromium's flags for this machine (headless in a container, no network of its own), shared with the benches. */
export const CHROMIUM_ARGS = JSON.parse(
  readFileSync(join(ROOT, 'e2e/chromium-args.json'), 'utf8'),
) as string[];

/** An isolated Dusty (see DustyCli): its folder, home, specs and repo copies, project and hosts file. */
export type TestEnv = DustyCli;

/**
 * The one sandbox builder (DustyCli), for tests that run Dusty in this
 * process (the dashboard's server): also points this process's DUSTY_*
 * variables at the sandbox and writes any extra spec files.
 */
export function makeEnv(
  project: string,
  ports: Ports,
  extraSpecs: Record<string, string> = {},
): TestEnv {
  const env = new DustyCli(project, ports);
  for (const [file, text] of Object.entries(extraSpecs)) env.writeSpec(file, text);
  for (const key of Object.keys(env.env).filter((k) => k.startsWith('DUSTY_')))
    process.env[key] = env.env[key];
  return env;
}

/** Removes every container and network of the project, then the sandbox. */
export function teardownEnv(env: TestEnv | undefined): void {
  if (!env) return;
  const ids = execFileSync(
    'docker',
    ['ps', '-aq', '--filter', `label=com.docker.compose.project=${env.project}`],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids]);
  spawnSync('docker', ['network', 'rm', `${env.project}_dusty`]);
  env.cleanup();
}

/** Builds the dashboard as it is now into a private folder, which the server then serves. */
export function buildDashboard(outDir: string): string {
  const r = spawnSync(
    'npx',
    ['vite', 'build', '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // Under vitest NODE_ENV is `test`, which would give a development build of React.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  return outDir;
}

/** The Engine's name for a service's container (Compose v1 and v2 spell it differently). */
export function containerId(project: string, service: string): string {
  return execFileSync(
    'docker',
    [
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--filter',
      `label=com.docker.compose.service=${service}`,
    ],
    { encoding: 'utf8' },
  ).trim();
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' });
}
