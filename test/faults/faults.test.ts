// Long because: every fault kind against one real stack per profile; a file per kind would start a stack per kind, and the suite has a 12-minute budget.
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/engine/random.js';
import { faultSchema, type FaultSpec } from '../../src/faults/schema.js';
import { KINDS } from '../../src/faults/timeline.js';
import type { ActiveFault, Controllers } from '../../src/faults/types.js';
import type { ProfileName } from '../../src/server/config.js';
import type { ServerEvent } from '../../src/stack/reference-server.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { counter } from '../helpers/metrics.js';
import { descendants } from '../helpers/processes.js';
import { waitFor as waitForWithin } from '../helpers/wait.js';

/**
 * Each kind of fault against the real stack, through the same begin/undo the timeline uses:
 * its effect on the reference server while it is on, and no trace of it after undo. One stack
 * per profile, both with the near cache off so that every read reaches Redis.
 */
const A = 0;
const B = 3_000;

interface Fixture {
  readonly t: TestStack;
  readonly redis: Redis;
  readonly db: pg.Client;
  readonly controllers: Controllers;
  readonly tokenA: string;
  readonly tokenB: string;
}

async function setUp(profile: ProfileName): Promise<Fixture> {
  const t = await startTestStack({ profile, resilience: { nearCacheMs: 0 } });
  const redis = new Redis(t.stack.redis.url, { maxRetriesPerRequest: 2 });
  const db = new pg.Client({ connectionString: t.stack.postgres.url });
  await db.connect();
  const controllers: Controllers = { toxiproxy: t.stack.toxiproxy.client, redisUrl: t.stack.redis.url, databaseUrl: t.stack.postgres.url, server: t.stack.server };
  const tokenA = await t.signIn(A);
  const tokenB = await t.signIn(B);
  // B tests positive, so that B's code is yellow: a stale green can then be told apart.
  const codeB = await t.request('GET', '/api/v1/code', { token: tokenB });
  const tube = `FT-${profile}-1`;
  expect((await t.request('POST', '/api/v1/samples/scan', { body: { tube, site: 'site-1', table: 1, qr: codeB.json.qr.payload }, token: t.staff('sampler', 'site-1', 'lab-1') })).status).toBe(201);
  expect((await t.request('POST', '/api/v1/lab/results', { body: { tube, result: 'positive', lab: 'lab-1' }, token: t.staff('lab', 'lab-1') })).status).toBe(200);
  expect((await t.request('GET', '/api/v1/code', { token: tokenB })).json.colour).toBe('yellow');
  return { t, redis, db, controllers, tokenA, tokenB };
}

async function tearDown(f: Fixture | undefined): Promise<void> {
  f?.redis.disconnect();
  await f?.db.end().catch(() => {});
  await f?.t.stop();
}

function spec(raw: Record<string, unknown>): FaultSpec {
  return faultSchema.parse({ at: '+0s', duration: '10s', ...raw });
}

function begin(f: Fixture, s: FaultSpec): Promise<ActiveFault> {
  return KINDS[s.kind].begin(s, f.controllers, createRandom(1).fork('test'));
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => waitForWithin(what, probe, 15_000, 100);

/** Reads A's code after deleting its cache entry: a miss, answered from Postgres. */
/** Cache-miss read times in ms, each after deleting the cached code. */
async function missLatencies(f: Fixture, n = 5): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    await f.redis.del(`code:${A}`);
    const r = await timed(() => f.t.request('GET', '/api/v1/code', { token: f.tokenA }));
    expect(r.value.status).toBe(200);
    out.push(r.ms);
  }
  return out;
}

async function faultSessions(f: Fixture): Promise<{ state: string; n: number }[]> {
  const { rows } = await f.db.query<{ state: string; n: number }>(
    "SELECT coalesce(state, '') AS state, count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'codestorm-fault%' GROUP BY 1 ORDER BY 1",
  );
  return rows;
}

describe('faults on the real stack', () => {
  let fragile: Fixture;
  let hardened: Fixture;

  beforeAll(async () => {
    [fragile, hardened] = await Promise.all([setUp('fragile'), setUp('hardened')]);
  });

  afterAll(async () => {
    await Promise.all([tearDown(fragile), tearDown(hardened)]);
  });

  describe('network', () => {
    it('a latency toxic on the Postgres link raises cache-miss reads by at least the injected amount; undo takes it off', async () => {
      // fragile: no near cache in front of Redis, so every Redis miss is a database read.
      const f = fragile;
      await missLatencies(f); // warm
      const before = await missLatencies(f, 9);
      const fault = await begin(f, spec({ kind: 'network', link: 'postgres', toxic: 'latency', attributes: { latency: 300 } }));
      expect((await f.t.stack.toxiproxy.client.getProxy('postgres')).toxics).toHaveLength(1);
      const during = await missLatencies(f, 9);
      // Every miss waits for the database, so every one carries the whole 300 ms ...
      expect(Math.min(...during)).toBeGreaterThanOrEqual(300);
      // ... and the typical miss rises by it, give or take how much the reads before it varied
      // (the rise is exactly the toxic's, so with no allowance a slow read before would fail it).
      const spread = Math.max(...before) - Math.min(...before);
      expect(median(during) - median(before)).toBeGreaterThanOrEqual(300 - spread);
      const undone = await fault.undo();
      expect(undone).toMatchObject({ link: 'postgres' });
      expect((await f.t.stack.toxiproxy.client.getProxy('postgres')).toxics).toEqual([]);
      expect(median(await missLatencies(f, 9))).toBeLessThan(median(before) + 150);
    });

    it('down disables the link: the server is not ready; undo brings it back', async () => {
      const f = hardened;
      const fault = await begin(f, spec({ kind: 'network', link: 'redis', toxic: 'down' }));
      expect((await f.t.stack.toxiproxy.client.getProxy('redis')).enabled).toBe(false);
      await waitFor('readyz to fail', async () => ((await f.t.request('GET', '/readyz')).status === 503 ? true : undefined));
      await fault.undo();
      expect((await f.t.stack.toxiproxy.client.getProxy('redis')).enabled).toBe(true);
      await waitFor('readyz to pass', async () => ((await f.t.request('GET', '/readyz')).status === 200 ? true : undefined));
    });
  });

  describe('db-stall', () => {
    /** Sends a scan of A's code; `settled` says whether it has been answered yet. */
    const scan = async (f: Fixture, tube: string) => {
      const code = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
      const started = performance.now();
      const state = { settled: false };
      const answer = fetch(new URL('/api/v1/samples/scan', f.t.stack.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${f.t.staff('sampler', 'site-9', 'lab-9')}` },
        body: JSON.stringify({ tube, site: 'site-9', table: 1, qr: code.json.qr.payload }),
      }).then((r) => {
        state.settled = true;
        return { status: r.status, ms: performance.now() - started };
      });
      return { answer, state };
    };
    /** Server sessions (not the fault's own) waiting for a lock. */
    const lockWaiters = async (f: Fixture) =>
      (await f.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND coalesce(application_name, '') NOT LIKE 'codestorm-fault%'")).rows[0]?.n ?? 0;

    it('a table lock makes writes queue in fragile and fail fast in hardened; undo releases them', async () => {
      const lockF = await begin(fragile, spec({ kind: 'db-stall', mode: 'lock', table: 'tubes' }));
      const lockH = await begin(hardened, spec({ kind: 'db-stall', mode: 'lock', table: 'tubes' }));
      try {
        const [f, h] = await Promise.all([scan(fragile, 'LOCK-F-1'), scan(hardened, 'LOCK-H-1')]);
        // fragile: no deadline, no statement timeout: the write waits for the lock in Postgres,
        // and its request is not answered while it does.
        await waitFor('the fragile write to wait for the lock', async () => ((await lockWaiters(fragile)) > 0 ? true : undefined));
        expect(f.state.settled).toBe(false);
        // hardened: the statement timeout and the deadline answer within a few seconds.
        const hs = await h.answer;
        expect(hs.status).toBeGreaterThanOrEqual(500);
        expect(hs.ms).toBeLessThan(4_000);
        // Still queued, however long hardened took.
        expect(await lockWaiters(fragile)).toBeGreaterThan(0);
        expect(f.state.settled).toBe(false);
        await lockF.undo();
        // The queued write goes through once the lock is gone.
        expect((await f.answer).status).toBe(201);
      } finally {
        await lockF.undo();
        await lockH.undo();
      }
      expect(await faultSessions(fragile)).toEqual([]);
      expect(await faultSessions(hardened)).toEqual([]);
      expect(await (await scan(hardened, 'LOCK-H-2')).answer).toMatchObject({ status: 201 });
    });

    it('connection exhaustion and idle transactions hold their sessions until undo', async () => {
      const f = hardened;
      const sleepers = await begin(f, spec({ kind: 'db-stall', mode: 'connections', count: 12 }));
      const idle = await begin(f, spec({ kind: 'db-stall', mode: 'idle-in-transaction', count: 5, table: 'residents' }));
      const during = await waitFor('the sessions', async () => {
        const rows = await faultSessions(f);
        const by = Object.fromEntries(rows.map((r) => [r.state, r.n]));
        return by['active'] === 12 && by['idle in transaction'] === 5 ? by : undefined;
      });
      expect(during).toEqual({ active: 12, 'idle in transaction': 5 });
      expect(sleepers.details).toMatchObject({ mode: 'connections', sessions: 12 });
      await sleepers.undo();
      await idle.undo();
      await waitFor('no sessions', async () => ((await faultSessions(f)).length === 0 ? true : undefined));
    });
  });

  describe('cache-corruption', () => {
    const read = (f: Fixture, token: string) => f.t.request('GET', '/api/v1/code', { token });
    const fill = async (f: Fixture) => {
      await f.redis.del(`code:${A}`, `code:${B}`);
      expect((await read(f, f.tokenA)).status).toBe(200);
      expect((await read(f, f.tokenB)).status).toBe(200);
      await waitFor('both entries', async () => ((await f.redis.exists(`code:${A}`, `code:${B}`)) === 2 ? true : undefined));
    };

    it('garbage is a 500 in fragile and a miss in hardened; undo puts the originals back', async () => {
      for (const f of [fragile, hardened]) await fill(f);
      const originalA = await fragile.redis.get(`code:${A}`);
      const gf = await begin(fragile, spec({ kind: 'cache-corruption', mode: 'garbage', match: 'code:*' }));
      const gh = await begin(hardened, spec({ kind: 'cache-corruption', mode: 'garbage', match: 'code:*' }));
      expect(gf.details).toMatchObject({ mode: 'garbage', corrupted: expect.any(Number) });
      expect(await fragile.redis.get(`code:${A}`)).not.toBe(originalA);
      expect((await read(fragile, fragile.tokenA)).status).toBe(500);
      const invalidBefore = counter(await hardened.t.metrics(), 'cache_requests_total', { outcome: 'invalid' });
      const h = await read(hardened, hardened.tokenA);
      expect(h.status).toBe(200);
      expect(h.json.colour).toBe('green');
      const invalidAfter = counter(await hardened.t.metrics(), 'cache_requests_total', { outcome: 'invalid' });
      expect(invalidAfter).toBeGreaterThan(invalidBefore);
      const undone = await gf.undo();
      await gh.undo();
      expect(undone).toMatchObject({ restored: expect.any(Number) });
      expect(await fragile.redis.get(`code:${A}`)).toBe(originalA);
      expect((await read(fragile, fragile.tokenA)).status).toBe(200);
    });

    it('a stale green written over a newer yellow is shown in fragile and refused in hardened', async () => {
      for (const f of [fragile, hardened]) await fill(f);
      const stale = { kind: 'cache-corruption', mode: 'stale', match: `code:${B}`, find: '"colour":"yellow"', replace: '"colour":"green"' };
      const sf = await begin(fragile, spec(stale));
      const sh = await begin(hardened, spec(stale));
      expect(sf.details).toMatchObject({ corrupted: 1 });
      expect((await read(fragile, fragile.tokenB)).json.colour).toBe('green'); // wrong: B is yellow
      expect((await read(hardened, hardened.tokenB)).json.colour).toBe('yellow');
      await sf.undo();
      await sh.undo();
      expect((await read(fragile, fragile.tokenB)).json.colour).toBe('yellow');
    });

    it('flush empties Redis; the server refills it', async () => {
      const f = hardened;
      await fill(f);
      const fault = await begin(f, spec({ kind: 'cache-corruption', mode: 'flush' }));
      expect(await f.redis.dbsize()).toBe(0);
      await fault.undo();
      expect((await read(f, f.tokenA)).status).toBe(200);
      await waitFor('A refilled', async () => ((await f.redis.exists(`code:${A}`)) === 1 ? true : undefined));
    });
  });

  describe('process', () => {
    it('killed workers stay down while the fault lasts, then are started again and serve', async () => {
      const f = hardened;
      const server = f.t.stack.server;
      const before = [...server.workers.values()];
      expect(before.length).toBeGreaterThan(0);
      // The primary's own account, as it happens: the hold, each exit, each worker back.
      const seen: { event: ServerEvent; at: number }[] = [];
      const onEvent = (event: ServerEvent): void => void seen.push({ event, at: performance.now() });
      server.on('event', onEvent);
      try {
        const fault = await begin(f, spec({ kind: 'process', action: 'kill' }));
        expect(fault.details).toMatchObject({ action: 'kill', pids: before });
        const exits = await waitFor('the primary to hold respawning and see every worker exit', async () => {
          const exited = seen.filter((s) => s.event.event === 'worker-exit');
          return seen.some((s) => s.event.event === 'respawn-held') && exited.length === before.length ? exited : undefined;
        });
        expect(server.workers.size).toBe(0);
        // Held: once the respawn delay has passed since the last exit, the primary has started
        // no process (a worker forked then is its child long before it listens) and none listens.
        const respawnDelayMs = server.config.respawnDelayMs ?? 0;
        expect(respawnDelayMs).toBeGreaterThan(0);
        const lastExitAt = Math.max(...exits.map((s) => s.at));
        await waitFor('the respawn delay to pass since the last exit', async () => (performance.now() - lastExitAt > respawnDelayMs + 250 ? true : undefined));
        expect(descendants(server.child.process.pid!)).toEqual([]);
        expect(seen.filter((s) => s.event.event === 'worker-listening')).toEqual([]);
        expect(server.workers.size).toBe(0);
        // No answer: refused, or (the primary holds the listening socket) taken and never answered.
        await expect(f.t.request('GET', '/healthz', { timeoutMs: 2_000 })).rejects.toThrow();
        await fault.undo();
      } finally {
        server.off('event', onEvent);
      }
      await waitFor('a new worker', async () => (f.t.stack.server.workers.size === before.length ? true : undefined));
      expect([...f.t.stack.server.workers.values()].some((pid) => before.includes(pid))).toBe(false);
      await waitFor('the server to answer', async () => ((await f.t.request('GET', '/api/v1/code', { token: f.tokenA })).status === 200 ? true : undefined));
    });

    it("a kill's restartWith starts the new workers with those settings", async () => {
      const f = hardened;
      const server = f.t.stack.server;
      const workers = server.workers.size;
      // Hardened lets one ID number sign in 10 times at once in each worker; the restart lets it
      // once, never refilled. workers + 1 sign-ins then meet a spent budget in some worker.
      expect(workers + 1).toBeLessThanOrEqual(server.config.resilience.signInBurst);
      const signIns = async (index: number): Promise<number[]> => {
        const who = f.t.people.identity(index);
        const statuses: number[] = [];
        for (let i = 0; i <= workers; i++) statuses.push((await f.t.request('POST', '/api/v1/session', { body: { idNumber: who.idNumber, phone: who.phone } })).status);
        return statuses;
      };
      expect(await signIns(11)).toEqual(Array(workers + 1).fill(201));
      const released: ServerEvent[] = [];
      const onEvent = (event: ServerEvent): void => void (event.event === 'respawn-released' && released.push(event));
      server.on('event', onEvent);
      try {
        const before = [...server.workers.values()];
        const fault = await begin(f, spec({ kind: 'process', action: 'kill', restartWith: { signInBurst: 1, signInRefillS: 0 } }));
        await waitFor('every worker to exit', async () => (server.workers.size === 0 ? true : undefined));
        expect(await fault.undo()).toEqual({ respawn: 'released', restartedWith: { signInBurst: 1, signInRefillS: 0 } });
        await waitFor('the workers to be back', async () => (server.workers.size === workers && [...server.workers.values()].every((pid) => !before.includes(pid)) ? true : undefined));
        expect(released).toMatchObject([{ event: 'respawn-released', resilience: { signInBurst: 1, signInRefillS: 0 } }]);
      } finally {
        server.off('event', onEvent);
      }
      const after = await signIns(12);
      expect(after).toContain(429);
      expect(after.filter((s) => s === 201).length).toBeLessThanOrEqual(workers);
    });

    it('stopped workers answer nothing until they are continued', async () => {
      const f = fragile;
      const fault = await begin(f, spec({ kind: 'process', action: 'stop' }));
      const pending = f.t.request('GET', '/healthz');
      const first = await Promise.race([pending.then((r) => r.status), new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 1_500))]);
      expect(first).toBe('waiting');
      await fault.undo();
      expect((await pending).status).toBe(200);
    });
  });
});
