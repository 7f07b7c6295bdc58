import { Ledger } from './ledger.js';
import { reapLeftovers } from './reap.js';
import type { Teardown } from './teardown.js';
import { startWatchdog } from './watchdog.js';

/**
 * A state file and its watchdog for what this process is about to start or change, closed by
 * the teardown's last step. Whatever the teardown could not stop or remove stays in the file
 * for the watchdog to reap.
 */
export function openStateFile(teardown: Teardown, env: NodeJS.ProcessEnv): Ledger {
  const ledger = Ledger.open(env);
  const watchdog = startWatchdog(ledger, env);
  teardown.add('close the state file', () => {
    if (ledger.data.processes.length === 0 && ledger.data.dirs.length === 0) ledger.close();
    return watchdog.release();
  });
  return ledger;
}

/**
 * A run against an external target starts nothing, but its network faults change the Toxiproxy
 * at TOXIPROXY_URL: killed, it would leave their toxics on. So it reaps what killed runs left,
 * as a stack start does, and has its Toxiproxy reset by its watchdog if it is killed.
 */
export async function guardExternalToxiproxy(apiUrl: string, teardown: Teardown, env: NodeJS.ProcessEnv, say: (line: string) => void): Promise<void> {
  await reapLeftovers({ env, say });
  openStateFile(teardown, env).addToxiproxy(apiUrl);
}
