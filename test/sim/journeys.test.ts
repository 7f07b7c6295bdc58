import { Faker, en } from '@faker-js/faker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, RETRY_DEFAULTS, type People, type RetryPolicy } from '../../sim/people.js';
import { cityStaff, siteCount, type StaffCredentials } from '../../sim/city/staff.js';
import { journeys, type CityJourneyOptions } from '../../sim/journeys/index.js';
import { Client } from '../../src/engine/http/client.js';
import type { JourneyContext, WeightedJourney } from '../../src/engine/journey.js';
import { createRandom } from '../../src/engine/random.js';
import { HistoryBuffer } from '../../src/engine/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { writeBehindLab } from '../helpers/write-behind-lab.js';
import { pairOperations } from '../../src/check/operations.js';
import { judge, readFinalState } from '../../sim/check/index.js';

/**
 * Each built-in journey against the real reference stack (Postgres, Redis, Toxiproxy, the
 * hardened server), run through the engine's own HTTP client, with every request it makes
 * recorded by name and status.
 */
const RESIDENTS = 3_000;
const SEED = 4242;

interface Sent {
  readonly name: string;
  readonly status: number;
  readonly outcome: string;
}

function contextFor(client: Client, sent: Sent[], seed: number, ops: HistoryBuffer = history): JourneyContext {
  const faker = new Faker({ locale: [en] });
  return {
    async request(name, spec, options) {
      const r = await client.request(spec, { timeoutMs: options?.timeoutMs ?? 10_000, ...(options?.wantBody === true ? { wantBody: true } : {}) });
      sent.push({ name, status: r.status, outcome: r.outcome });
      return r.retryAfterS === undefined
        ? { status: r.status, outcome: r.outcome, body: r.body }
        : { status: r.status, outcome: r.outcome, body: r.body, retryAfterS: r.retryAfterS };
    },
    think: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: createRandom(seed),
    faker,
    data: {},
    // These tests look at requests only; the journeys' custom metrics are not recorded here.
    metrics: { counter: () => {}, gauge: () => {}, rate: () => {}, trend: () => {} },
    elapsedMs: () => performance.now(),
    record: (op) => ops.record(op, performance.now()),
  };
}

/** The journeys' operations, as one worker would keep them. */
const history = new HistoryBuffer(0, 1, 1_000_000);

/** The staff credentials the stack would issue for this city (set once the stack is up). */
let staff: StaffCredentials | undefined;

function city(people: Partial<People> = {}, retry: Partial<RetryPolicy> = {}, withStaff = true): CityJourneyOptions {
  const policy = { ...RETRY_DEFAULTS, ...retry };
  return {
    ...(withStaff && staff !== undefined ? { staff } : {}),
    seed: SEED,
    residents: RESIDENTS,
    people: { ...PEOPLE, ...people },
    residentsPerSite: RESIDENTS, // one site, so ten scans fill one tube
    tablesPerSite: 1,
    poolSize: 10,
    journeys: [
      { name: 'residents', use: 'resident.open-code', weight: 1, retry: policy },
      { name: 'tables', use: 'sampler.table', weight: 1, retry: policy },
      { name: 'labs', use: 'lab.result', weight: 1, retry: policy },
      { name: 'checkpoints', use: 'checkpoint.verify', weight: 1, retry: policy },
    ],
  };
}

function byName(list: readonly WeightedJourney[], name: string): WeightedJourney {
  const j = list.find((x) => x.name === name);
  if (j === undefined) throw new Error(`no journey ${name}`);
  return j;
}

describe('built-in journeys against the reference stack', () => {
  let t: TestStack;
  let client: Client;
  let db: pg.Client;

  beforeAll(async () => {
    t = await startTestStack({ residents: RESIDENTS, seed: SEED });
    staff = cityStaff(siteCount(RESIDENTS, RESIDENTS), t.staff);
    client = new Client(t.stack.url, { connections: 16, timeoutMs: 10_000 });
    db = new pg.Client({ connectionString: t.stack.postgres.url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await client?.close();
    await t?.stop();
  });

  it('a resident signs in once, then only opens the code', async () => {
    const list = journeys(city(), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    // The same random stream twice: the same resident arrives twice.
    await byName(list, 'residents').run(contextFor(client, sent, 1));
    await byName(list, 'residents').run(contextFor(client, sent, 1));
    expect(sent.map((s) => `${s.name} ${s.status}`)).toEqual(['session 201', 'code 200', 'code 200']);
  });

  it('a checkpoint verifies the code the resident shows', async () => {
    const list = journeys(city(), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    await byName(list, 'checkpoints').run(contextFor(client, sent, 2));
    expect(sent.map((s) => `${s.name} ${s.status}`)).toEqual(['session 201', 'code 200', 'checkpoint.verify 200']);
  });

  it('a table scans the code, ten people fill a tube, and a lab reports it', async () => {
    const list = journeys(city({ scanFailure: 0 }), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    // One site and one table for residents 0..2499: the seeds below land there.
    for (let k = 0; sent.filter((s) => s.name === 'sample.scan').length < 10 && k < 200; k++) {
      const ctx = contextFor(client, sent, 1000 + k);
      await byName(list, 'tables').run(ctx);
    }
    const scans = sent.filter((s) => s.name === 'sample.scan');
    expect(scans.length).toBe(10);
    expect(scans.every((s) => s.status === 201 || s.status === 200)).toBe(true);
    expect(sent.some((s) => s.name === 'sample.manual')).toBe(false);
    const labSent: Sent[] = [];
    await byName(list, 'labs').run(contextFor(client, labSent, 7));
    expect(labSent.map((s) => `${s.name} ${s.status}`)).toEqual(['lab.result 200']);
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM tubes WHERE result IS NOT NULL AND id LIKE 'T%'");
    expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
  });

  it('the checker catches a seeded bug: a lab front that acknowledges a result before the server commits it, and crashes', async () => {
    const lost = async (labOrigin: string, crash: boolean): Promise<number> => {
      const ops = new HistoryBuffer(0, 1, 10_000);
      const list = journeys(city({ scanFailure: 0, positivity: 0 }), { seed: SEED, index: 0, of: 1 });
      const sent: Sent[] = [];
      for (let k = 0; k < 200 && sent.filter((s) => s.name === 'sample.scan').length < 10; k++) await byName(list, 'tables').run(contextFor(client, sent, 5000 + k, ops));
      const labClient = new Client(labOrigin, { connections: 2, timeoutMs: 10_000 });
      await byName(list, 'labs').run(contextFor(labClient, sent, 7, ops));
      await labClient.close();
      if (crash) await front.crash();
      const { operations } = pairOperations(ops.drain());
      expect(operations.filter((o) => o.f === 'lab.result').map((o) => o.status)).toEqual(['ok']);
      const final = await readFinalState(operations, { databaseUrl: t.stack.postgres.url, origin: t.stack.url, seed: SEED, residents: RESIDENTS, probes: 3 });
      const findings = judge(operations, final, 1_000, 0);
      return findings.anomalies.filter((a) => a.kind === 'lost-write' && a.keys['tube'] !== undefined && a.detail.startsWith('lab result')).length;
    };
    const front = await writeBehindLab(t.stack.url);
    try {
      // Without the bug (the server itself acknowledges after its commit), nothing is lost.
      expect(await lost(t.stack.url, false)).toBe(0);
      // With it, the acknowledged result was still in the front's queue when it crashed.
      expect(await lost(front.url, true)).toBe(1);
    } finally {
      await front.crash();
    }
  });

  it('without staff credentials (another target), samplers, labs and gates are refused by the reference server', async () => {
    const list = journeys(city({ scanFailure: 0 }, { maxAttempts: 1 }, false), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    await byName(list, 'tables').run(contextFor(client, sent, 3000));
    await byName(list, 'checkpoints').run(contextFor(client, sent, 3001));
    expect(sent.filter((s) => !s.name.startsWith('session') && s.name !== 'code').map((s) => `${s.name} ${s.status}`)).toEqual([
      'sample.scan 401',
      'sample.manual 401',
      'checkpoint.verify 401',
    ]);
  });

  it('when the scan fails, the sampler types the ID number (the manual fallback)', async () => {
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM manual_entries')).rows[0]?.n ?? 0;
    const list = journeys(city({ scanFailure: 1 }), { seed: SEED, index: 1, of: 2 });
    const sent: Sent[] = [];
    for (let k = 0; k < 3; k++) await byName(list, 'tables').run(contextFor(client, sent, 2000 + k));
    expect(sent.filter((s) => s.name === 'sample.scan')).toEqual([]);
    const manual = sent.filter((s) => s.name === 'sample.manual');
    expect(manual.map((s) => s.status)).toEqual([201, 201, 201]);
    const after = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM manual_entries')).rows[0]?.n ?? 0;
    expect(after - before).toBe(3);
  });

  /** The database answers 1.5 s late: sign-ins (a database read) outlast a person's patience. */
  async function withSlowDatabase(fn: () => Promise<void>): Promise<void> {
    const toxiproxy = t.stack.toxiproxy.client;
    await toxiproxy.addToxic('postgres', { name: 'slow-db', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1_500, jitter: 0 } });
    try {
      await fn();
    } finally {
      await toxiproxy.removeToxic('postgres', 'slow-db');
    }
  }

  it('when the code will not load, the sampler types the ID number', async () => {
    const list = journeys(city({ scanFailure: 0, patienceMs: 300 }, { maxAttempts: 2 }), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    await withSlowDatabase(() => byName(list, 'tables').run(contextFor(client, sent, 3000)));
    expect(sent.slice(0, 2).map((s) => s.name)).toEqual(['session', 'session.retry']);
    expect(sent.slice(0, 2).every((s) => s.outcome !== 'ok')).toBe(true);
    expect(sent.slice(2).every((s) => s.name.startsWith('sample.manual'))).toBe(true);
    expect(sent.some((s) => s.name === 'sample.scan')).toBe(false);
  });

  it('a resident whose app gave up re-installs: the next open signs in again from a cold client', async () => {
    const list = journeys(city({ patienceMs: 300, reinstall: { young: 1, adult: 1, elderly: 1 } }, { maxAttempts: 3 }), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    await withSlowDatabase(() => byName(list, 'residents').run(contextFor(client, sent, 9)));
    expect(sent.map((s) => s.name)).toEqual(['session', 'session.retry', 'session.retry']);
    expect(sent.every((s) => s.outcome !== 'ok')).toBe(true);
    // The database is back: the same resident (same random stream) opens the app again.
    const after: Sent[] = [];
    await byName(list, 'residents').run(contextFor(client, after, 9));
    expect(after.map((s) => `${s.name} ${s.status}`)).toEqual(['session.reinstall 201', 'code 200']);
    // Re-installed once: the open after that is an ordinary one.
    const again: Sent[] = [];
    await byName(list, 'residents').run(contextFor(client, again, 9));
    expect(again.map((s) => `${s.name} ${s.status}`)).toEqual(['code 200']);
  });

  it('a resident whose code would not show comes back later, as often as people do, and stops once it shows', async () => {
    const people = { patienceMs: 300, reinstall: { young: 0, adult: 0, elderly: 0 }, comeBack: { times: 2, afterMs: 50 } };
    const list = journeys(city(people, { maxAttempts: 1 }), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    await withSlowDatabase(() => byName(list, 'residents').run(contextFor(client, sent, 13)));
    // The first open and two more: each one sign-in attempt that ran out of patience.
    expect(sent.map((s) => s.name)).toEqual(['session', 'session', 'session']);
    expect(sent.every((s) => s.outcome !== 'ok')).toBe(true);
    // With the database back, the first open shows the code: nobody comes back.
    const after: Sent[] = [];
    await byName(list, 'residents').run(contextFor(client, after, 13));
    expect(after.map((s) => `${s.name} ${s.status}`)).toEqual(['session 201', 'code 200']);
  });

  it('a naive client taps refresh at once; a backoff client is stopped by its retry budget', async () => {
    const naive = journeys(city({ patienceMs: 300 }, { policy: 'naive', maxAttempts: 4 }), { seed: SEED, index: 0, of: 1 });
    const sent: Sent[] = [];
    await withSlowDatabase(() => byName(naive, 'residents').run(contextFor(client, sent, 11)));
    expect(sent.map((s) => s.name)).toEqual(['session', 'session.retry', 'session.retry', 'session.retry']);

    const backoff = journeys(city({ patienceMs: 300 }, { policy: 'backoff', maxAttempts: 20, baseMs: 1, capMs: 5, budget: 0 }), { seed: SEED, index: 0, of: 1 });
    const tries: Sent[] = [];
    await withSlowDatabase(async () => {
      for (let k = 0; k < 2; k++) await byName(backoff, 'residents').run(contextFor(client, tries, 20 + k));
    });
    // A budget of 0 leaves only the bucket's 10 starting tokens for retries, however many attempts are allowed.
    expect(tries.filter((s) => s.name.endsWith('.retry')).length).toBe(10);
  });
});
