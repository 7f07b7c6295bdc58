import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { counter } from '../helpers/metrics.js';

/**
 * Faults on the network links, through Toxiproxy, against the hardened profile: latency on the
 * Postgres link slows cache misses by (at least) the injected amount and leaves cache hits
 * alone; with the Redis link down, reads are still answered from the database.
 */
const N = 20;
const LATENCY_MS = 200;
/** Residents measured for misses and hits; disjoint. */
const MISS_RESIDENTS = Array.from({ length: N }, (_, i) => 100 + i * 7);
const HIT_RESIDENTS = Array.from({ length: N }, (_, i) => 1_000 + i * 7);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}


describe('hardened: network faults on the dependency links', () => {
  let t: TestStack;
  let redis: Redis;
  let direct: pg.Client;
  const tokens = new Map<number, string>();
  const measured: Record<string, number> = {};

  const cacheCount = async (outcome: string): Promise<number> => {
    return counter(await t.metrics(), 'cache_requests_total', { outcome });
  };

  /** The server's connections to Postgres (all of them come through the proxy), by backend pid. */
  const serverBackends = async (): Promise<Set<number>> => {
    const { rows } = await direct.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return new Set(rows.map((r) => r.pid));
  };

  /** One GET /code; its wall time in ms as the client sees it. */
  const timedRead = async (resident: number): Promise<{ ms: number; colour: string; status: number }> => {
    const token = tokens.get(resident);
    if (token === undefined) throw new Error(`no token for ${resident}`);
    const start = performance.now();
    const res = await t.request('GET', '/api/v1/code', { token });
    return { ms: performance.now() - start, colour: res.json?.colour, status: res.status };
  };

  /** N cache-miss reads, one at a time: each resident's entry is deleted first, directly. */
  const missLatencies = async (): Promise<number[]> => {
    const before = await cacheCount('miss');
    const out: number[] = [];
    for (const r of MISS_RESIDENTS) {
      await redis.del(`code:${r}`);
      const read = await timedRead(r);
      expect(read.status).toBe(200);
      expect(read.colour).toBe('green');
      out.push(read.ms);
    }
    // They were all misses.
    expect((await cacheCount('miss')) - before).toBe(N);
    return out;
  };

  const hitLatencies = async (): Promise<number[]> => {
    const before = await cacheCount('hit');
    const out: number[] = [];
    for (const r of HIT_RESIDENTS) {
      const read = await timedRead(r);
      expect(read.status).toBe(200);
      out.push(read.ms);
    }
    expect((await cacheCount('hit')) - before).toBe(N);
    return out;
  };

  beforeAll(async () => {
    // Every read must reach Redis here: the near cache in front of it is off.
    t = await startTestStack({ profile: 'hardened', resilience: { nearCacheMs: 0 } });
    redis = new Redis(t.stack.redis.url, { maxRetriesPerRequest: 2 });
    direct = new pg.Client({ connectionString: t.stack.postgres.url });
    await direct.connect();
    for (const r of [...MISS_RESIDENTS, ...HIT_RESIDENTS]) tokens.set(r, await t.signIn(r));
    // Warm up: JIT, the pool's connections, the query plan.
    for (let i = 0; i < 3; i++) {
      for (const r of MISS_RESIDENTS) {
        await redis.del(`code:${r}`);
        await timedRead(r);
      }
    }
    for (const r of HIT_RESIDENTS) await timedRead(r);
  });

  afterEach(async () => {
    // Whatever a test did to the links, the next one starts clean.
    await t?.stack.toxiproxy.client.reset();
  });

  afterAll(async () => {
    console.log('network-toxic measured latencies (ms):', JSON.stringify(measured));
    redis?.disconnect();
    await direct?.end().catch(() => {});
    await t?.stop();
  });

  it(`latency (${LATENCY_MS} ms downstream) on the Postgres link slows misses by at least that, not hits`, async () => {
    const client = t.stack.toxiproxy.client;

    const baseline = median(await missLatencies());
    const backendsBefore = await serverBackends();
    expect(backendsBefore.size).toBeGreaterThan(0);

    await client.addToxic('postgres', {
      name: 'pg-latency',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: LATENCY_MS, jitter: 0 },
    });
    const proxy = await client.getProxy('postgres');
    expect(proxy.toxics.map((x) => x.name)).toEqual(['pg-latency']);

    const slowSamples = await missLatencies();
    const slow = median(slowSamples);
    // The reads ran over the connections that were open before the toxic: no new backend
    // appeared, so the toxic acted on existing connections (it sits on the stream).
    const backendsDuring = await serverBackends();
    expect([...backendsDuring].filter((pid) => !backendsBefore.has(pid))).toEqual([]);

    const hits = median(await hitLatencies());

    await client.removeToxic('postgres', 'pg-latency');
    expect((await client.getProxy('postgres')).toxics).toEqual([]);
    const recovered = median(await missLatencies());

    Object.assign(measured, {
      missBaselineMedian: Math.round(baseline * 10) / 10,
      missWithToxicMedian: Math.round(slow * 10) / 10,
      missWithToxicMin: Math.round(Math.min(...slowSamples) * 10) / 10,
      missWithToxicMax: Math.round(Math.max(...slowSamples) * 10) / 10,
      hitWithToxicMedian: Math.round(hits * 10) / 10,
      missRecoveredMedian: Math.round(recovered * 10) / 10,
    });

    // One query, one round trip: at least the injected latency on every miss (10 ms timer slack).
    expect(slow - baseline).toBeGreaterThanOrEqual(LATENCY_MS - 10);
    expect(Math.min(...slowSamples)).toBeGreaterThanOrEqual(LATENCY_MS - 10);
    // …and not several round trips' worth: the miss is a single query.
    expect(slow).toBeLessThan(baseline + 2 * LATENCY_MS);
    // Hits never touch Postgres.
    expect(hits).toBeLessThan(100);
    // Back near baseline once the toxic is gone.
    expect(recovered).toBeLessThan(baseline + 50);
    expect(recovered).toBeLessThan(LATENCY_MS / 2);
  });

  it('with the Redis link down, GET /code still answers 200 from the database', async () => {
    const client = t.stack.toxiproxy.client;
    const resident = MISS_RESIDENTS[0] ?? 0;
    const errorsBefore = await cacheCount('error');

    await client.setEnabled('redis', false);
    expect((await client.getProxy('redis')).enabled).toBe(false);
    const reads: { ms: number; colour: string; status: number }[] = [];
    for (let i = 0; i < 5; i++) reads.push(await timedRead(resident));
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(read.colour).toBe('green');
    }
    // Every read found the cache failing (an error, treated as a miss), none hung on it.
    expect((await cacheCount('error')) - errorsBefore).toBe(5);
    measured.redisDownReadMedian = Math.round(median(reads.map((r) => r.ms)) * 10) / 10;
    measured.redisDownReadMax = Math.round(Math.max(...reads.map((r) => r.ms)) * 10) / 10;
    expect(Math.max(...reads.map((r) => r.ms))).toBeLessThan(1_000);

    // Back up: the server reconnects and the cache is written and read again.
    await client.setEnabled('redis', true);
    await redis.del(`code:${resident}`);
    const until = Date.now() + 10_000;
    for (;;) {
      const read = await timedRead(resident);
      expect(read.status).toBe(200);
      if ((await redis.exists(`code:${resident}`)) === 1) break;
      if (Date.now() > until) throw new Error('the server did not write to Redis again after the link came back');
      await new Promise((r) => setTimeout(r, 100));
    }
    const hitsBefore = await cacheCount('hit');
    expect((await timedRead(resident)).status).toBe(200);
    expect((await cacheCount('hit')) - hitsBefore).toBe(1);
  });

  // Regression: the lab route used to invalidate the cache unguarded after its commit. With
  // the Redis link down the lab got a 500 for a recorded result, and the resident who had
  // turned yellow was shown green from the old entry once Redis was back.
  it('a positive lab result reported while the Redis link is down still reaches the resident', async () => {
    const client = t.stack.toxiproxy.client;
    const resident = 4_500;
    for (const other of [...MISS_RESIDENTS, ...HIT_RESIDENTS]) {
      expect(t.people.compoundOf(other)).not.toBe(t.people.compoundOf(resident));
    }
    tokens.set(resident, await t.signIn(resident));
    const code = await t.request('GET', '/api/v1/code', { token: tokens.get(resident) ?? '' });
    expect(code.json.colour).toBe('green');
    const until = Date.now() + 5_000;
    while ((await redis.exists(`code:${resident}`)) === 0) {
      if (Date.now() > until) throw new Error('the code was never cached');
      await new Promise((r) => setTimeout(r, 25));
    }
    const tube = 'NT-REDIS-DOWN-1';
    const scan = await t.request('POST', '/api/v1/samples/scan', { body: { tube, site: 'site-1', table: 1, qr: code.json.qr.payload }, token: t.staff('sampler', 'site-1', 'lab-1') });
    expect(scan.status).toBe(201);

    await client.setEnabled('redis', false);
    const lab = await t.request('POST', '/api/v1/lab/results', { body: { tube, result: 'positive', lab: 'lab-1' }, token: t.staff('lab', 'lab-1') });
    measured.labWithRedisDownStatus = lab.status;
    // The result is in the database either way.
    const { rows } = await direct.query<{ colour: string }>('SELECT colour FROM health_codes WHERE resident_id = $1', [resident]);
    expect(rows[0]?.colour).toBe('yellow');
    await client.setEnabled('redis', true);

    // Wait for the server's Redis connection to come back.
    const back = Date.now() + 10_000;
    for (;;) {
      const ready = await t.request('GET', '/readyz');
      if (ready.status === 200) break;
      if (Date.now() > back) throw new Error('the server did not reconnect to Redis');
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await t.request('GET', '/api/v1/code', { token: tokens.get(resident) ?? '' });
    measured.colourShownAfterRedisBack = after.json?.colour;
    expect(after.status).toBe(200);
    expect(after.json.colour).toBe('yellow');
    // A recorded result is not reported to the lab as a server failure.
    expect(lab.status).toBe(200);
  });
});
