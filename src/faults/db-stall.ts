import pg from 'pg';
import type { z } from 'zod';
import { errorMessage } from '../errors.js';
import type { dbStallFault } from './schema.js';
import type { ActiveFault, FaultKind } from './types.js';

/**
 * A stalled database, made with real sessions on a direct connection:
 * - lock: a transaction holding ACCESS EXCLUSIVE on `table` (every read and write of it waits);
 * - connections: `count` sessions sitting in pg_sleep (the server's pool, or max_connections, runs dry);
 * - idle-in-transaction: `count` sessions that opened a transaction, read, and went idle in it.
 * Every session is named `codestorm-fault-…` (application_name), so that a later run can find
 * and end what a crashed one left (`clearStrayHolders`). Undo ends the transactions and sessions;
 * a session that will not end is terminated from another connection.
 */
type Spec = z.output<typeof dbStallFault>;

export const APPLICATION_NAME = 'codestorm-fault';
const DEFAULT_COUNT = 20;

export const dbStall: FaultKind<Spec> = {
  kind: 'db-stall',
  needs: () => 'postgres',
  target: (spec) => (spec.mode === 'lock' ? `postgres table ${spec.table}` : `postgres ${spec.mode}`),
  async begin(spec, controllers): Promise<ActiveFault> {
    const url = controllers.databaseUrl!;
    const sessions: pg.Client[] = [];
    const open = async (label: string): Promise<pg.Client> => {
      const client = new pg.Client({ connectionString: url, application_name: `${APPLICATION_NAME}-${label}`, connectionTimeoutMillis: 5_000 });
      client.on('error', () => {}); // a session ended by undo or by the server
      await client.connect();
      sessions.push(client);
      return client;
    };
    try {
      if (spec.mode === 'lock') {
        const client = await open('lock');
        await client.query('BEGIN');
        // Bounded: if the table is busy the fault begins late rather than never.
        await client.query("SET LOCAL lock_timeout = '10s'");
        await client.query(`LOCK TABLE ${client.escapeIdentifier(spec.table!)} IN ACCESS EXCLUSIVE MODE`);
      } else if (spec.mode === 'connections') {
        const count = spec.count ?? DEFAULT_COUNT;
        for (let i = 0; i < count; i++) {
          const client = await open('sleep');
          // Not awaited: the session sits in pg_sleep until undo cancels it.
          client.query('SELECT pg_sleep(86400)').catch(() => {});
        }
      } else {
        const count = spec.count ?? DEFAULT_COUNT;
        for (let i = 0; i < count; i++) {
          const client = await open('idle');
          await client.query('BEGIN');
          await client.query(spec.table === undefined ? 'SELECT 1' : `SELECT 1 FROM ${client.escapeIdentifier(spec.table)} LIMIT 1`);
        }
      }
    } catch (err) {
      await endAll(sessions, url);
      throw err;
    }
    const pids = sessions.map((c) => (c as unknown as { processID?: number }).processID).filter((p): p is number => typeof p === 'number');
    return {
      details: { mode: spec.mode, ...(spec.table === undefined ? {} : { table: spec.table }), sessions: sessions.length, pids },
      undo: async () => ({ ended: await endAll(sessions, url) }),
    };
  },
};

/** Ends every session: rollback where it can, then terminates what is left from outside. */
async function endAll(sessions: readonly pg.Client[], url: string): Promise<number> {
  const pids = sessions.map((c) => (c as unknown as { processID?: number }).processID).filter((p): p is number => typeof p === 'number');
  if (pids.length > 0) await terminate(url, 'pid = ANY($1::int[])', [pids]);
  await Promise.all(sessions.map((c) => c.end().catch(() => {})));
  return sessions.length;
}

/**
 * Ends what an earlier run may have left: sessions named codestorm-fault-… (a lock holder, a
 * sleeper, an idle transaction). Run at start-up, before any fault begins.
 */
export async function clearStrayHolders(url: string): Promise<number> {
  return terminate(url, "application_name LIKE $1 AND pid <> pg_backend_pid()", [`${APPLICATION_NAME}%`]);
}

async function terminate(url: string, where: string, params: unknown[]): Promise<number> {
  const admin = new pg.Client({ connectionString: url, application_name: 'codestorm-admin', connectionTimeoutMillis: 5_000 });
  admin.on('error', () => {});
  try {
    await admin.connect();
    const { rows } = await admin.query<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE ${where}`, params);
    return rows.filter((r) => r.ok).length;
  } catch (err) {
    throw new Error(`could not end the fault's database sessions: ${errorMessage(err)}`);
  } finally {
    await admin.end().catch(() => {});
  }
}
