import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeCache } from '../../src/server/cache.js';
import { CodeService } from '../../src/server/codes.js';
import { RESILIENCE, type ProfileName } from '../../src/server/config.js';
import { Database } from '../../src/server/db/database.js';
import { Signer } from '../../src/server/signing.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { counter } from '../helpers/metrics.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A corrupted code cache, on a real stack. The entry for resident A is overwritten directly in
 * Redis (the direct link, not the proxy) with garbage, a truncated copy of itself, and resident
 * B's entry. `fragile` trusts what it reads: garbage is a 500 and B's entry shows A B's colour.
 * `hardened` signs entries with an HMAC over key and value: every corruption is a miss, counted
 * as `invalid`, answered from the database and written back.
 */
const A = 0;
const B = 3_000;

interface Fixture {
  t: TestStack;
  redis: Redis;
  tokenA: string;
  tokenB: string;
  /** B's entry as the server wrote it, yellow. */
  entryB: string;
}


async function cacheCounts(t: TestStack): Promise<Record<'near' | 'hit' | 'miss' | 'invalid' | 'error', number>> {
  const text = await t.metrics();
  const of = (outcome: string) => counter(text, 'cache_requests_total', { outcome });
  return { near: of('near'), hit: of('hit'), miss: of('miss'), invalid: of('invalid'), error: of('error') };
}

async function setUp(profile: ProfileName): Promise<Fixture> {
  // These tests are about what each profile does with the entry it reads from Redis, so the
  // hardened near cache (a worker's own one-second memory in front of Redis) is off here; the
  // near cache has its own test at the end of this file.
  const t = await startTestStack({ profile, resilience: { nearCacheMs: 0 } });
  const redis = new Redis(t.stack.redis.url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  try {
    expect(t.people.compoundOf(A)).not.toBe(t.people.compoundOf(B));
    const tokenA = await t.signIn(A);
    const tokenB = await t.signIn(B);

    // B tests positive: scan B's QR into a tube, report the tube positive.
    const codeB = await t.request('GET', '/api/v1/code', { token: tokenB });
    expect(codeB.status).toBe(200);
    expect(codeB.json.colour).toBe('green');
    const tube = `CC-${profile}-1`;
    const scan = await t.request('POST', '/api/v1/samples/scan', { body: { tube, site: 'site-1', table: 1, qr: codeB.json.qr.payload }, token: t.staff('sampler', 'site-1', 'lab-1') });
    expect(scan.status).toBe(201);
    const lab = await t.request('POST', '/api/v1/lab/results', { body: { tube, result: 'positive', lab: 'lab-1' }, token: t.staff('lab', 'lab-1') });
    expect(lab.status).toBe(200);
    expect(lab.json.codesChanged).toBeGreaterThanOrEqual(1);
    // B's cache entry was invalidated (hardened leaves a tombstone with the new version, `guardedFill`); the next read refills it, yellow.
    const invalidated = await redis.get(`code:${B}`);
    if (profile === 'fragile') expect(invalidated).toBeNull();
    else expect(invalidated).toMatch(/^~\d+$/);
    const yellowB = await t.request('GET', '/api/v1/code', { token: tokenB });
    expect(yellowB.status).toBe(200);
    expect(yellowB.json.colour).toBe('yellow');
    // Hardened writes the fill after answering (its Redis writes are not awaited): until then the key still holds the tombstone.
    const entryB = await waitFor('B in the cache', async () => {
      const entry = await redis.get(`code:${B}`);
      return entry === null || entry.startsWith('~') ? undefined : entry;
    });
    expect(entryB).toContain('"colour":"yellow"');
    return { t, redis, tokenA, tokenB, entryB };
  } catch (err) {
    redis.disconnect();
    await t.stop();
    throw err;
  }
}

/** A reads their code once so the entry exists; returns the entry as the server wrote it. */
async function freshEntryA(f: Fixture): Promise<string> {
  await f.redis.del(`code:${A}`);
  const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
  expect(res.status).toBe(200);
  expect(res.json.colour).toBe('green');
  return waitFor('A in the cache', async () => (await f.redis.get(`code:${A}`)) ?? undefined);
}

/**
 * The stale-set race, on the stack's own Postgres and Redis. A read of R's code, made in this
 * process by the server's own CodeService, asks the database and is held just after the answer
 * comes back; meanwhile a lab result for R commits through the server and invalidates R's entry;
 * then the read writes what it got to the cache. Returns what R is shown through the API
 * afterwards and what Redis holds.
 */
const R = 2_000;

async function raceAFillWithAResult(f: Fixture, profile: ProfileName): Promise<{ shown: string; entry: string | null; read: string }> {
  expect(new Set([f.t.people.compoundOf(R), f.t.people.compoundOf(A), f.t.people.compoundOf(B)]).size).toBe(3);
  const token = await f.t.signIn(R);
  const code = await f.t.request('GET', '/api/v1/code', { token });
  expect(code.json.colour).toBe('green');
  const tube = `RACE-${profile}`;
  const scan = await f.t.request('POST', '/api/v1/samples/scan', { body: { tube, site: 'site-1', table: 1, qr: code.json.qr.payload }, token: f.t.staff('sampler', 'site-1', 'lab-1') });
  expect(scan.status).toBe(201);
  await f.redis.del(`code:${R}`);

  const config = { ...RESILIENCE[profile], nearCacheMs: 0 };
  const db = new Database(f.t.stack.postgres.url, config);
  const cache = new CodeCache(f.t.stack.redis.url, config, new Signer(f.t.stack.server.config.secret));
  let answered!: () => void;
  const asked = new Promise<void>((r) => (answered = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  // The real database, its answer held back until the result below has committed.
  const slowDb = { query: async (...args: Parameters<Database['query']>) => {
    const rows = await db.query(...args);
    answered();
    await held;
    return rows;
  } } as unknown as Database;
  const service = new CodeService(slowDb, cache, config, { cache: () => {} });
  try {
    if (cache.redis.status !== 'ready') await new Promise((r) => cache.redis.once('ready', r));
    // Load the guarded fill's script now (a fill that expects what no key holds writes nothing),
    // so the fill below is one command and the PING after it is answered after it.
    expect(await cache.fill({ residentId: R, name: 'x', colour: 'red', reason: 'x', version: 0, freshUntil: 0 }, 'no such entry')).toBe(profile === 'fragile');
    await f.redis.del(`code:${R}`);
    const reading = service.current(R, 0);
    await asked;
    const lab = await f.t.request('POST', '/api/v1/lab/results', { body: { tube, result: 'positive', lab: 'lab-1' }, token: f.t.staff('lab', 'lab-1') });
    expect(lab.status).toBe(200);
    release();
    const read = (await reading).record.colour;
    // hardened fills the cache after it answers: wait for that write to be answered too.
    await cache.redis.ping();
    const entry = await f.redis.get(`code:${R}`);
    const shown = (await f.t.request('GET', '/api/v1/code', { token })).json.colour as string;
    return { shown, entry, read };
  } finally {
    await cache.close();
    await db.pool.end();
  }
}

const GARBAGE = Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x9c, 0x2e, 0x41, 0x00, 0x80, 0x7d, 0x5b, 0x2e, 0x2e]);

describe('fragile: a corrupted cache entry does harm', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setUp('fragile');
  });
  afterAll(async () => {
    f?.redis.disconnect();
    await f?.t.stop();
  });

  it('the entry is plain JSON, readable and unsigned', async () => {
    const entry = await freshEntryA(f);
    expect(JSON.parse(entry)).toMatchObject({ residentId: A, colour: 'green' });
  });

  it('garbage bytes → 500 INTERNAL', async () => {
    await freshEntryA(f);
    await f.redis.set(`code:${A}`, GARBAGE);
    const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
    expect(res.status).toBe(500);
    expect(res.json.error.code).toBe('INTERNAL');
    // Nothing repairs it: the next read fails the same way.
    expect((await f.t.request('GET', '/api/v1/code', { token: f.tokenA })).status).toBe(500);
  });

  it('a truncated entry → 500 INTERNAL', async () => {
    const entry = await freshEntryA(f);
    await f.redis.set(`code:${A}`, entry.slice(0, Math.floor(entry.length / 2)));
    const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
    expect(res.status).toBe(500);
    expect(res.json.error.code).toBe('INTERNAL');
  });

  it("B's entry under A's key → A is shown B's yellow (and a QR naming B)", async () => {
    await freshEntryA(f);
    await f.redis.set(`code:${A}`, f.entryB);
    const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
    expect(res.status).toBe(200);
    expect(res.json.colour).toBe('yellow');
    // The QR A is handed names resident B.
    expect(String(res.json.qr.payload).split('.')[1]).toBe(String(B));
    // The database still says green: delete the bad entry and A is green again.
    await f.redis.del(`code:${A}`);
    const fixed = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
    expect(fixed.json.colour).toBe('green');
    expect(String(fixed.json.qr.payload).split('.')[1]).toBe(String(A));
  });

  it('a read that asked the database before a lab result committed puts the old green back in the cache, served after the result', async () => {
    const { read, shown, entry } = await raceAFillWithAResult(f, 'fragile');
    expect(read).toBe('green');
    // The database says yellow; the cache says green, for the entry's whole lifetime.
    expect(shown).toBe('green');
    expect(JSON.parse(entry ?? 'null')).toMatchObject({ residentId: R, colour: 'green' });
  });
});

describe('hardened: every corruption is a miss, counted and repaired', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await setUp('hardened');
  });
  afterAll(async () => {
    f?.redis.disconnect();
    await f?.t.stop();
  });

  it('the entry is MAC-prefixed JSON, and a second read is a hit', async () => {
    const entry = await freshEntryA(f);
    expect(entry).toMatch(/^[A-Za-z0-9_-]{22}\.\{/);
    const before = await cacheCounts(f.t);
    const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
    expect(res.json.colour).toBe('green');
    const after = await cacheCounts(f.t);
    expect(after.hit - before.hit).toBe(1);
    expect(after.invalid - before.invalid).toBe(0);
  });

  const corruptions: { name: string; corrupt: (f: Fixture, entry: string) => string | Buffer }[] = [
    { name: 'garbage bytes', corrupt: () => GARBAGE },
    { name: 'a truncated entry', corrupt: (_f, entry) => entry.slice(0, Math.floor(entry.length / 2)) },
    { name: 'an entry that lost its last byte', corrupt: (_f, entry) => entry.slice(0, -1) },
    { name: 'the MAC without its JSON', corrupt: (_f, entry) => entry.slice(0, entry.indexOf('.') + 1) },
    { name: 'unsigned JSON (a fragile-style entry)', corrupt: (_f, entry) => entry.slice(entry.indexOf('.') + 1) },
    { name: "B's entry under A's key", corrupt: (f) => f.entryB },
    {
      name: "A's entry with the colour edited, MAC kept",
      corrupt: (_f, entry) => entry.replace('"colour":"green"', '"colour":"red"'),
    },
  ];

  for (const { name, corrupt } of corruptions) {
    it(`${name} → 200 with A's own green, counted invalid, entry rewritten`, async () => {
      const entry = await freshEntryA(f);
      const bad = corrupt(f, entry);
      expect(Buffer.from(bad).equals(Buffer.from(entry))).toBe(false);
      await f.redis.set(`code:${A}`, bad);
      const before = await cacheCounts(f.t);

      const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
      expect(res.status).toBe(200);
      expect(res.json.colour).toBe('green');
      expect(res.json.stale).toBe(false);
      expect(String(res.json.qr.payload).split('.')[1]).toBe(String(A));

      const mid = await cacheCounts(f.t);
      expect(mid.invalid - before.invalid).toBe(1);
      expect(mid.hit - before.hit).toBe(0);

      // The refill is written behind the answer: wait until the bad value is gone.
      const rewritten = await waitFor('the entry to be rewritten', async () => {
        const now = await f.redis.getBuffer(`code:${A}`);
        return now !== null && !now.equals(Buffer.from(bad)) ? now.toString('utf8') : undefined;
      });
      expect(rewritten).toMatch(/^[A-Za-z0-9_-]{22}\.\{/);
      expect(JSON.parse(rewritten.slice(rewritten.indexOf('.') + 1))).toMatchObject({ residentId: A, colour: 'green' });
      expect(await f.redis.ttl(`code:${A}`)).toBeGreaterThan(0);

      // The rewritten entry verifies: the next read is a hit, not another invalid.
      const again = await f.t.request('GET', '/api/v1/code', { token: f.tokenA });
      expect(again.status).toBe(200);
      expect(again.json.colour).toBe('green');
      const after = await cacheCounts(f.t);
      expect(after.hit - mid.hit).toBe(1);
      expect(after.invalid - mid.invalid).toBe(0);
    });
  }

  it("the same race loses: the result's tombstone refuses the old read's fill, and the next read is yellow", async () => {
    const { read, shown, entry } = await raceAFillWithAResult(f, 'hardened');
    // The read itself began before the result: green was the truth when it asked.
    expect(read).toBe('green');
    expect(entry).toMatch(/^~\d+$/);
    expect(shown).toBe('yellow');
  });

  it("B is unaffected: B's own entry still verifies and shows yellow", async () => {
    const before = await cacheCounts(f.t);
    const res = await f.t.request('GET', '/api/v1/code', { token: f.tokenB });
    expect(res.status).toBe(200);
    expect(res.json.colour).toBe('yellow');
    const after = await cacheCounts(f.t);
    expect(after.hit - before.hit).toBe(1);
  });
});

describe('hardened as shipped: the near cache in front of Redis', () => {
  let t: TestStack;
  let redis: Redis;
  const C = 4_000;
  beforeAll(async () => {
    t = await startTestStack({ profile: 'hardened' });
    redis = new Redis(t.stack.redis.url, { maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await t?.stop();
  });

  it('answers a code read in the last second from memory: a corruption in Redis is not even read', async () => {
    const token = await t.signIn(C);
    expect((await t.request('GET', '/api/v1/code', { token })).json.colour).toBe('green');
    await redis.set(`code:${C}`, Buffer.from([0xff, 0x00, 0x7b, 0x13]));
    const before = await cacheCounts(t);
    const again = await t.request('GET', '/api/v1/code', { token });
    expect(again.status).toBe(200);
    expect(again.json.colour).toBe('green');
    const after = await cacheCounts(t);
    expect(after.near - before.near).toBe(1);
    expect(after.invalid - before.invalid + after.hit - before.hit + after.miss - before.miss).toBe(0);
  });

  it('a lab result is seen at once: the worker forgets what it remembered of the changed codes', async () => {
    const token = await t.signIn(C);
    const code = await t.request('GET', '/api/v1/code', { token });
    const tube = 'NEAR-1';
    expect((await t.request('POST', '/api/v1/samples/scan', { body: { tube, site: 's', table: 1, qr: code.json.qr.payload }, token: t.staff('sampler', 's', 'l') })).status).toBe(201);
    expect((await t.request('POST', '/api/v1/lab/results', { body: { tube, result: 'positive', lab: 'l' }, token: t.staff('lab', 'l') })).status).toBe(200);
    const after = await t.request('GET', '/api/v1/code', { token });
    expect(after.json.colour).toBe('yellow');
  });

  it('past its second, the entry in Redis is read again (and a corrupted one is a miss)', async () => {
    const D = 1_600; // another compound than C (compounds are runs of 1,500)
    const token = await t.signIn(D);
    expect((await t.request('GET', '/api/v1/code', { token })).status).toBe(200);
    // The server writes the entry after it answers: wait for that write, or it could land on
    // top of the garbage below.
    await waitFor('D in the cache', async () => (await redis.get(`code:${D}`)) ?? undefined);
    await redis.set(`code:${D}`, 'garbage');
    await new Promise((r) => setTimeout(r, 1_100));
    const before = await cacheCounts(t);
    const res = await t.request('GET', '/api/v1/code', { token });
    expect(res.status).toBe(200);
    expect(res.json.colour).toBe('green');
    expect((await cacheCounts(t)).invalid - before.invalid).toBe(1);
  });
});
