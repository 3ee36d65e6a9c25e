/** Entry of the detached sync process: `node sync-main.js DUSTY_HOME PROJECT`. */
import { runSyncDaemon } from './sync-daemon.js';
import { syncPaths } from './sync-state.js';

const [home, project] = process.argv.slice(2);
if (!home || !project) {
  console.error('usage: sync-main.js DUSTY_HOME PROJECT');
  process.exit(2);
}
runSyncDaemon(syncPaths(home, project)).catch((e: unknown) => {
  console.error(`dusty sync: ${(e as Error).message}`);
  process.exit(1);
});
