/**
 * A connection held for a whole request (`connectionPerRequest`, fragile's Open Session in View):
 * against a real Postgres, a request's statements share one connection, it goes back to the pool
 * only when the answer has been sent and no statement is running, a broken one is not used again;
 * and through the real server, a cache miss keeps its connection through its slow Redis write,
 * so that with a pool of one a sign-in waits for the miss's answer — and without the setting it
 * does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESILIENCE } from '../../src/server/config.js';
import { Database } from '../../src/server/db/database.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const pid = 'SELECT pg_backend_pid() AS pid';
const pidOf = (r: { rows: { pid: number }[] }): number | undefined => r.rows[0]?.pid;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('HeldConnection, against a real Postgres', () => {
  let t: TestStack;
  let db: Database;

  beforeAll(async () => {
    t = await startTestStack({ profile: 'fragile', residents: 50, seed: 5 });
    db = new Database(t.stack.postgres.url, { ...RESILIENCE.fragile, dbPoolSize: 1 });
  });
  afterAll(async () => {
    await db?.end();
    await t?.stop();
  });

  it("a request's statements and transactions run on one connection, given back when its answer has closed", async () => {
    const held = db.hold();
    const first = pidOf(await db.query<{ pid: number }>(0, pid, [], held));
    const inTx = await db.transaction(0, async (client) => pidOf(await client.query<{ pid: number }>(pid)), held);
    const second = pidOf(await db.query<{ pid: number }>(0, pid, [], held));
    expect(first).toBeTypeOf('number');
    expect([inTx, second]).toEqual([first, first]);
    // Between statements it is still the request's: the pool has nothing idle to give.
    expect([db.pool.totalCount, db.pool.idleCount]).toEqual([1, 0]);
    held.close();
    await tick(0);
    expect(db.pool.idleCount).toBe(1);
  });

  it('with a pool of one, a statement of another request waits until the holder has answered', async () => {
    const held = db.hold();
    await db.query(0, 'SELECT 1', [], held);
    let answered = false;
    const other = db.query(0, 'SELECT 2 AS two').then((r) => {
      answered = true;
      return r.rows[0];
    });
    await tick(200);
    expect(answered).toBe(false);
    expect(db.pool.waitingCount).toBe(1);
    held.close();
    expect(await other).toEqual({ two: 2 });
  });

  it('closed while a statement runs, the connection goes back when the statement ends; a statement after that gives it back at once', async () => {
    const held = db.hold();
    const slow = db.query(0, 'SELECT pg_sleep(0.3)', [], held);
    await tick(50);
    held.close();
    await tick(50);
    expect(db.pool.idleCount).toBe(0);
    await slow;
    await tick(0);
    expect(db.pool.idleCount).toBe(1);
    await db.query(0, 'SELECT 1', [], held);
    await tick(0);
    expect(db.pool.idleCount).toBe(1);
  });

  it('a failed transaction is rolled back and the held connection stays usable', async () => {
    const held = db.hold();
    await expect(
      db.transaction(
        0,
        async (client) => {
          await client.query('CREATE TEMP TABLE IF NOT EXISTS held_t (n int)');
          await client.query('INSERT INTO held_t VALUES (1)');
          throw new Error('the work failed');
        },
        held,
      ),
    ).rejects.toThrow('the work failed');
    const { rows } = await db.query<{ tx: string }>(0, "SELECT to_regclass('pg_temp.held_t')::text AS tx", [], held);
    // The table was created inside the rolled-back transaction: it is gone, and no transaction is left open.
    expect(rows[0]?.tx).toBeNull();
    const status = await db.query<{ open: boolean }>(0, 'SELECT now() <> statement_timestamp() AS open', [], held);
    expect(status.rows[0]?.open).toBe(false);
    held.close();
  });

  it('a connection that broke under a statement is not used again', async () => {
    const held = db.hold();
    const before = pidOf(await db.query<{ pid: number }>(0, pid, [], held));
    await expect(db.query(0, 'SELECT pg_terminate_backend(pg_backend_pid())', [], held)).rejects.toThrow();
    const after = pidOf(await db.query<{ pid: number }>(0, pid, [], held));
    expect(after).toBeTypeOf('number');
    expect(after).not.toBe(before);
    held.close();
    await tick(0);
    expect([db.pool.totalCount, db.pool.idleCount]).toEqual([1, 1]);
  });
});

describe.each([true, false])('the server with connectionPerRequest=%s and a pool of one', (perRequest) => {
  let t: TestStack;
  const REDIS_LATENCY_MS = 1_000;

  beforeAll(async () => {
    t = await startTestStack({ profile: 'fragile', residents: 50, seed: 6, resilience: { connectionPerRequest: perRequest, dbPoolSize: 1 } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it(perRequest ? "a sign-in waits for a cache miss's answer, held up by its Redis write" : 'a sign-in does not wait for a cache miss held up by Redis', async () => {
    const token = await t.signIn(3);
    const client = t.stack.toxiproxy.client;
    await client.addToxic('redis', { name: 'redis-latency', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: REDIS_LATENCY_MS, jitter: 0 } });
    try {
      const order: string[] = [];
      // The miss: its GET comes back after ~1 s, it reads the database, and its SET takes ~1 s more.
      const code = t.request('GET', '/api/v1/code', { token }).then((r) => {
        order.push('code');
        return r;
      });
      await tick(REDIS_LATENCY_MS * 1.5);
      const who = t.people.identity(4);
      const signIn = t.request('POST', '/api/v1/session', { body: { idNumber: who.idNumber, phone: who.phone } }).then((r) => {
        order.push('session');
        return r;
      });
      const [c, s] = await Promise.all([code, signIn]);
      expect(c.status, c.text).toBe(200);
      expect(s.status, s.text).toBe(201);
      expect(order).toEqual(perRequest ? ['code', 'session'] : ['session', 'code']);
    } finally {
      await client.removeToxic('redis', 'redis-latency');
    }
  });
});
