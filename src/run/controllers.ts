import { clearStrayHolders } from '../faults/db-stall.js';
import type { PlannedFault } from '../faults/timeline.js';
import type { Controllers } from '../faults/types.js';
import { ToxiproxyControl } from '../stack/toxiproxy-control.js';
import type { Stack } from '../stack/stack.js';

/**
 * What faults act through: the reference stack's own parts, or, against an external target,
 * what the environment names (TOXIPROXY_URL, REDIS_URL, DATABASE_URL).
 */
export function controllersOf(stack: Stack | undefined, env: NodeJS.ProcessEnv): Controllers {
  if (stack !== undefined) return { toxiproxy: stack.toxiproxy.client, redisUrl: stack.redis.url, databaseUrl: stack.postgres.url, server: stack.server };
  const toxiproxy = env['TOXIPROXY_URL'];
  const redisUrl = env['REDIS_URL'];
  const databaseUrl = env['DATABASE_URL'];
  return {
    ...(toxiproxy === undefined || toxiproxy === '' ? {} : { toxiproxy: new ToxiproxyControl(toxiproxy) }),
    ...(redisUrl === undefined || redisUrl === '' ? {} : { redisUrl }),
    ...(databaseUrl === undefined || databaseUrl === '' ? {} : { databaseUrl }),
  };
}

/** What a crashed earlier run may have left: toxics on the links, sessions holding locks. */
export async function clearLeftovers(faults: readonly PlannedFault[], controllers: Controllers, say: (line: string) => void): Promise<void> {
  if (faults.some((f) => f.spec.kind === 'network') && controllers.toxiproxy !== undefined) await controllers.toxiproxy.reset();
  if (faults.some((f) => f.spec.kind === 'db-stall') && controllers.databaseUrl !== undefined) {
    const ended = await clearStrayHolders(controllers.databaseUrl);
    if (ended > 0) say(`codestorm: ended ${ended} database session${ended === 1 ? '' : 's'} an earlier run's faults left behind`);
  }
}
