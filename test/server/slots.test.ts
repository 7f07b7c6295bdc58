import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestSlots } from '../../src/server/resilience/slots.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * Request slots: a thread-per-request server's threads. Unit tests of the queue, then the real
 * server with two slots and the residents table locked, so that every cache miss waits on the
 * database holding its slot: a cache hit then waits behind them (fragile), or is refused after
 * slotWaitMs, and a request whose client hung up while it waited is not worked on (hardened).
 */
describe('RequestSlots', () => {
  it('grants at once while slots are free, then first come first served', () => {
    const slots = new RequestSlots(2);
    const granted: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) slots.take(() => granted.push(name));
    expect(granted).toEqual(['a', 'b']);
    expect([slots.busy, slots.waiting]).toEqual([2, 2]);
    slots.give();
    expect(granted).toEqual(['a', 'b', 'c']);
    slots.give();
    slots.give();
    slots.give();
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
    expect([slots.busy, slots.waiting]).toEqual([0, 0]);
  });

  it('reports how long a request waited', () => {
    let now = 1_000;
    const slots = new RequestSlots(1, () => now);
    const waited: number[] = [];
    slots.take(({ waitedMs }) => waited.push(waitedMs));
    slots.take(({ waitedMs }) => waited.push(waitedMs));
    now += 250;
    slots.give();
    expect(waited).toEqual([0, 250]);
  });

  it('a waiter that left is skipped, and leaving twice or after the grant does nothing', () => {
    const slots = new RequestSlots(1);
    const granted: string[] = [];
    slots.take(() => granted.push('a'));
    const b = slots.take(() => granted.push('b'))!;
    slots.take(() => granted.push('c'));
    expect(b.leave()).toBe(true);
    expect(b.leave()).toBe(false);
    expect(slots.waiting).toBe(1);
    slots.give();
    expect(granted).toEqual(['a', 'c']);
    expect(slots.busy).toBe(1);
  });

  it('size 0 never queues', () => {
    const slots = new RequestSlots(0);
    let granted = 0;
    for (let i = 0; i < 1_000; i++) expect(slots.take(() => granted++)).toBeUndefined();
    expect(granted).toBe(1_000);
  });
});

interface Pending {
  readonly done: Promise<{ status: number; ms: number }>;
  abort(): void;
}

/** One POST with a JSON body on a connection of its own. */
function post(url: string, body: unknown): Pending {
  const started = performance.now();
  const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
  const done = new Promise<{ status: number; ms: number }>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
  });
  req.end(JSON.stringify(body));
  return { done, abort: () => req.destroy() };
}

/** One GET on a connection of its own, so that aborting it hangs up that connection. */
function get(url: string, token: string): Pending {
  const started = performance.now();
  const req = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}` } });
  const done = new Promise<{ status: number; ms: number }>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
  });
  return { done, abort: () => req.destroy() };
}

async function metric(t: TestStack, name: string): Promise<number> {
  const text = await (await fetch(t.stack.metricsUrl!)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

async function until(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The residents table locked: every cache miss blocks in Postgres, holding its slot. */
async function lockResidents(t: TestStack): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: t.stack.postgres.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE residents IN ACCESS EXCLUSIVE MODE');
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

describe('two slots, every slot held by a miss waiting on the database (fragile)', () => {
  let t: TestStack;
  let cached: string;
  beforeAll(async () => {
    t = await startTestStack({ profile: 'fragile', residents: 600, resilience: { requestSlots: 2 } });
    // This resident's code is in the cache from here on: reading it again never touches Postgres.
    cached = await t.signIn(0);
    expect((await t.request('GET', '/api/v1/code', { token: cached })).status).toBe(200);
  });
  let next = 1;
  /** A resident whose code is not cached yet: reading it is a miss. */
  const fresh = () => t.signIn(next++);
  afterAll(() => t?.stop());

  it('a cache hit waits behind them, in line, until the database lets them go', async () => {
    const code = `${t.stack.url}/api/v1/code`;
    const [a, b] = [await fresh(), await fresh()];
    const unlock = await lockResidents(t);
    const misses = [get(code, a), get(code, b)];
    await until(async () => (await metric(t, 'request_slots_busy')) === 2);
    const hit = get(code, cached);
    await until(async () => (await metric(t, 'request_slots_waiting')) === 1);
    let answered = false;
    void hit.done.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    await unlock();
    const [first, second, last] = await Promise.all([...misses.map((m) => m.done), hit.done]);
    expect([first!.status, second!.status, last!.status]).toEqual([200, 200, 200]);
    expect(last!.ms).toBeGreaterThanOrEqual(500);
    await until(async () => (await metric(t, 'request_slots_busy')) === 0);
  });

  it('a request whose client hung up is still worked on to the end, and its slot comes back', async () => {
    const code = `${t.stack.url}/api/v1/code`;
    const [a, b, c] = [await fresh(), await fresh(), await fresh()];
    const unlock = await lockResidents(t);
    const missesBefore = await metric(t, 'cache_requests_total{outcome="miss"');
    const gone = [get(code, a), get(code, b)];
    await until(async () => (await metric(t, 'request_slots_busy')) === 2);
    const queued = get(code, c);
    await until(async () => (await metric(t, 'request_slots_waiting')) === 1);
    for (const g of [...gone, queued]) {
      g.abort();
      void g.done.catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 200));
    await unlock();
    // fragile works for clients who left: the queued one too reaches the cache and the database.
    await until(async () => (await metric(t, 'request_slots_busy')) === 0 && (await metric(t, 'request_slots_waiting')) === 0);
    expect(await metric(t, 'cache_requests_total{outcome="miss"')).toBe(missesBefore + 3);
    expect((await t.request('GET', '/api/v1/code', { token: cached })).status).toBe(200);
  });
});

describe('two slots, a POST whose client hung up while it waited (fragile)', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ profile: 'fragile', residents: 600, resilience: { requestSlots: 2 } });
  });
  afterAll(() => t?.stop());

  it('is still taken up in turn and worked on, and every slot comes back (its body was read before it queued)', async () => {
    const code = `${t.stack.url}/api/v1/code`;
    const [a, b] = [await t.signIn(1), await t.signIn(2)];
    const unlock = await lockResidents(t);
    const misses = [get(code, a), get(code, b)];
    await until(async () => (await metric(t, 'request_slots_busy')) === 2);
    const who = t.people.identity(3);
    const queued = Array.from({ length: 5 }, () => post(`${t.stack.url}/api/v1/session`, { idNumber: who.idNumber, phone: who.phone }));
    await until(async () => (await metric(t, 'request_slots_waiting')) === 5);
    for (const q of queued) {
      q.abort();
      void q.done.catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 200));
    await unlock();
    await Promise.all(misses.map((m) => m.done));
    // When slots were taken before the body was read, each hung-up POST held one for ever,
    // waiting for a body its closed socket could no longer give.
    await until(async () => (await metric(t, 'request_slots_busy')) === 0 && (await metric(t, 'request_slots_waiting')) === 0);
    expect((await t.request('GET', '/api/v1/code', { token: a })).status).toBe(200);
  });
});

describe('two slots with a queue deadline and abandoned requests dropped (the hardened way)', () => {
  let t: TestStack;
  let cached: string;
  beforeAll(async () => {
    t = await startTestStack({
      profile: 'fragile',
      residents: 600,
      resilience: { requestSlots: 2, slotWaitMs: 300, dropAbandoned: true, retryAfterS: 2 },
    });
    cached = await t.signIn(0);
    expect((await t.request('GET', '/api/v1/code', { token: cached })).status).toBe(200);
  });
  let next = 1;
  const fresh = () => t.signIn(next++);
  afterAll(() => t?.stop());

  it('a request that waited slotWaitMs for a slot is refused with 503 and Retry-After, at once', async () => {
    const code = `${t.stack.url}/api/v1/code`;
    const [a, b] = [await fresh(), await fresh()];
    const unlock = await lockResidents(t);
    try {
      const misses = [get(code, a), get(code, b)];
      await until(async () => (await metric(t, 'request_slots_busy')) === 2);
      const started = performance.now();
      const res = await fetch(code, { headers: { authorization: `Bearer ${cached}` } });
      // Refused when its wait ran out, not when a slot came free (the lock still holds).
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
      expect(await metric(t, 'requests_shed_total{reason="slot-wait"')).toBe(1);
      expect(await metric(t, 'request_slots_waiting')).toBe(0);
      for (const m of misses) {
        m.abort();
        void m.done.catch(() => {});
      }
    } finally {
      await unlock();
    }
    await until(async () => (await metric(t, 'request_slots_busy')) === 0);
  });

  it('a request whose client hung up while it waited leaves the queue and is never worked on', async () => {
    const code = `${t.stack.url}/api/v1/code`;
    const [a, b] = [await fresh(), await fresh()];
    const unlock = await lockResidents(t);
    const hitsBefore = await metric(t, 'cache_requests_total{outcome="hit"');
    try {
      const misses = [get(code, a), get(code, b)];
      await until(async () => (await metric(t, 'request_slots_busy')) === 2);
      const queued = get(code, cached);
      await until(async () => (await metric(t, 'request_slots_waiting')) === 1);
      queued.abort();
      void queued.done.catch(() => {});
      await until(async () => (await metric(t, 'requests_shed_total{reason="abandoned"')) === 1);
      expect(await metric(t, 'request_slots_waiting')).toBe(0);
      for (const m of misses) void m.done.catch(() => {});
    } finally {
      await unlock();
    }
    await until(async () => (await metric(t, 'request_slots_busy')) === 0);
    // The two misses were answered; the one that left never reached the cache.
    expect(await metric(t, 'cache_requests_total{outcome="hit"')).toBe(hitsBefore);
  });
});
