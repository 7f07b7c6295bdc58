import type { z } from 'zod';
import type { processFault } from './schema.js';
import type { ActiveFault, FaultKind } from './types.js';

/**
 * Crashed or frozen processes of the reference server:
 * - kill: respawning is held, then the chosen workers get SIGKILL (the 09:00–10:00 outage);
 *   undo releases respawning and the primary starts workers until it has its number again, with
 *   the fault's `restartWith` settings if it names any (they stay for the rest of the run);
 * - stop: the chosen workers get SIGSTOP (alive, holding their sockets, answering nothing);
 *   undo sends SIGCONT.
 * Only the reference stack's server can be a target: its primary takes the hold and release
 * commands. A worker killed from outside the fault is the primary's business as usual.
 */
type Spec = z.output<typeof processFault>;

export const processKind: FaultKind<Spec> = {
  kind: 'process',
  needs: () => 'server',
  target: (spec) => `server workers (${spec.workers ?? 'all'})`,
  async begin(spec, controllers): Promise<ActiveFault> {
    const server = controllers.server!;
    const all = [...server.workers.values()];
    const pids = spec.workers === undefined || spec.workers === 'all' ? all : all.slice(0, spec.workers);
    if (spec.action === 'kill') {
      server.holdRespawn();
      for (const pid of pids) signal(pid, 'SIGKILL');
      return {
        details: { action: 'kill', pids },
        async undo() {
          server.releaseRespawn(spec.restartWith);
          return spec.restartWith === undefined ? { respawn: 'released' } : { respawn: 'released', restartedWith: spec.restartWith };
        },
      };
    }
    for (const pid of pids) signal(pid, 'SIGSTOP');
    return {
      details: { action: 'stop', pids },
      async undo() {
        for (const pid of pids) signal(pid, 'SIGCONT');
        return { continued: pids };
      },
    };
  },
};

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // already gone
  }
}
