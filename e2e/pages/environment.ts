/**
 * An isolated Dusty for dashboard tests: its own DUSTY_HOME, Compose project,
 * hosts file, and a copy of the demo specs whose host ports are moved to a
 * range no other test uses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Chromium's flags for this machine (headless in a container, no network of its own), shared with the benches. */
export const CHROMIUM_ARGS = JSON.parse(
  readFileSync(join(ROOT, 'e2e/chromium-args.json'), 'utf8'),
) as string[];

export interface TestEnv {
  dir: string;
  home: string;
  specs: string;
  repos: string;
  project: string;
  hostsFile: string;
}

/** Sets DUSTY_HOME, DUSTY_PROJECT and DUSTY_HOSTS_FILE for this process and writes the specs copy. */
export function makeEnv(
  project: string,
  ports: { http: number; stream: number },
  extraSpecs: Record<string, string> = {},
): TestEnv {
  const dir = mkdtempSync(join(tmpdir(), `dusty-${project}-`));
  const env: TestEnv = {
    dir,
    home: join(dir, 'home'),
    specs: join(dir, 'specs'),
    repos: join(dir, 'repos'),
    project,
    hostsFile: join(dir, 'hosts'),
  };
  cpSync(join(ROOT, 'examples/specs'), env.specs, { recursive: true });
  cpSync(join(ROOT, 'examples/repos'), env.repos, { recursive: true });
  for (const f of readdirSync(join(env.specs, 'apps'))) {
    const p = join(env.specs, 'apps', f);
    writeFileSync(
      p,
      readFileSync(p, 'utf8')
        .replace(/host_port: 80$/gm, `host_port: ${ports.http}`)
        .replace(/host_port: 7777$/gm, `host_port: ${ports.stream}`),
    );
  }
  for (const [file, text] of Object.entries(extraSpecs)) writeFileSync(join(env.specs, file), text);
  writeFileSync(env.hostsFile, '127.0.0.1 localhost\n');
  process.env.DUSTY_HOME = env.home;
  process.env.DUSTY_PROJECT = project;
  process.env.DUSTY_HOSTS_FILE = env.hostsFile;
  return env;
}

/** Removes every container and network of the project, then the temp folder. */
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
  rmSync(env.dir, { recursive: true, force: true });
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
