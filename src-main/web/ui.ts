/** Starting the dashboard's web server with the person's project: used by `dusty ui` and tests. */
import { spawn } from 'node:child_process';
import { ApiService } from '../service/api-service.js';
import type { Dusty } from '../service/index.js';
import { rendererDir } from '../paths.js';
import { startUiServer, type UiServer } from './server.js';

/** How long `dusty ui` waits for the engine before it serves the dashboard anyway. */
const START_WAIT_MS = 3000;

export interface RunningUi extends UiServer {
  service: ApiService;
}

/** Serves the API over a Dusty with the dashboard. */
export async function runUi(
  dusty: Dusty,
  opts: { port?: number; staticDir?: string } = {},
): Promise<RunningUi> {
  const staticDir = opts.staticDir ?? rendererDir();
  if (!staticDir)
    throw new Error('the dashboard is not built: run `npm run build` (it writes dist-renderer/)');
  const service = new ApiService({ dusty, shell: 'web' });
  await service.startWithin(START_WAIT_MS);
  const server = await startUiServer({
    service,
    staticDir,
    ...(opts.port ? { port: opts.port } : {}),
  });
  return {
    ...server,
    service,
    close: async () => {
      service.dispose();
      await server.close();
    },
  };
}

/** Opens a URL in the person's browser; failures are ignored (the URL is printed anyway). */
export function openBrowser(url: string): void {
  const cmd =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser opener; the URL is printed
  }
}
