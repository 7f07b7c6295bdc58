import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { door, refusal } from '../../src/server/admission.js';
import { RESILIENCE } from '../../src/server/config.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * maxInFlight's door, on Node's own server in front of Fastify: first alone, in front of a
 * handler that holds every response until the test lets it go; then in the real server, with
 * its in-flight places held by cache misses waiting on a locked table.
 */

interface Held {
  readonly url: string;
  /** Responses the handler holds, in arrival order. */
  readonly held: ServerResponse[];
  refused: number;
  close(): Promise<void>;
}

async function heldBehindDoor(maxInFlight: number): Promise<Held> {
  const held: ServerResponse[] = [];
  const state = { refused: 0 };
  const listener = door(
    maxInFlight,
    refusal({ ...RESILIENCE.hardened, retryAfterS: 3 }),
    () => state.refused++,
    (_req, res) => void held.push(res),
  );
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A GET on a connection of its own; `abort` hangs that connection up. */
function get(url: string, headers: Record<string, string> = {}) {
  const req = http.get(url, { agent: false, headers });
  const done = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
  return { done, abort: () => req.destroy() };
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the door, alone', () => {
  let t: Held | undefined;
  afterEach(() => t?.close());

  it('past maxInFlight a request is refused at once with 503, Retry-After and the API error body', async () => {
    t = await heldBehindDoor(2);
    const first = [get(`${t.url}/api/v1/code`), get(`${t.url}/api/v1/code`)];
    await until(() => t!.held.length === 2);
    const third = await get(`${t.url}/api/v1/code`).done;
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('3');
    expect(third.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(third.body)).toEqual({ error: { code: 'OVERLOADED', message: 'the server is at capacity' } });
    expect(t.refused).toBe(1);
    expect(t.held).toHaveLength(2);
    for (const res of t.held) res.end('ok');
    expect((await Promise.all(first.map((r) => r.done))).map((r) => r.status)).toEqual([200, 200]);
  });

  it('a place comes back when its response is sent, and when its client hangs up first', async () => {
    t = await heldBehindDoor(1);
    const answered = get(`${t.url}/a`);
    await until(() => t!.held.length === 1);
    t.held[0]!.end('ok');
    await answered.done;
    const gone = get(`${t.url}/b`);
    void gone.done.catch(() => {});
    await until(() => t!.held.length === 2);
    expect((await get(`${t.url}/c`).done).status).toBe(503);
    const closed = new Promise((resolve) => t!.held[1]!.once('close', resolve));
    gone.abort();
    await closed;
    void get(`${t.url}/d`).done.catch(() => {});
    await until(() => t!.held.length === 3);
    expect(t.refused).toBe(1);
  });

  it('the probes are never refused nor counted, with or without a query', async () => {
    t = await heldBehindDoor(1);
    void get(`${t.url}/api/v1/code`).done.catch(() => {});
    await until(() => t!.held.length === 1);
    void get(`${t.url}/healthz`).done.catch(() => {});
    void get(`${t.url}/readyz?deep=1`).done.catch(() => {});
    await until(() => t!.held.length === 3);
    expect(t.refused).toBe(0);
    expect((await get(`${t.url}/healthzz`).done).status).toBe(503);
    expect(t.refused).toBe(1);
  });

  it('maxInFlight 0 is no door at all: the handler itself', () => {
    const handler = (): void => {};
    expect(door(0, () => {}, () => {}, handler)).toBe(handler);
  });

  it('without a Retry-After setting, the refusal has no Retry-After', async () => {
    const headers: (string | number | readonly string[])[] = [];
    const fake = {
      writeHead: (_status: number, h: readonly string[]) => headers.push(...h),
      end: () => {},
    } as unknown as ServerResponse;
    refusal({ ...RESILIENCE.hardened, retryAfterS: 0 })(fake);
    expect(headers.filter((_, i) => i % 2 === 0)).toEqual(['content-type', 'content-length']);
  });
});

describe('the door in the reference server: maxInFlight 2, both places held by misses on a locked table', () => {
  let t: TestStack;
  let cached: string;
  beforeAll(async () => {
    t = await startTestStack({ profile: 'fragile', residents: 600, resilience: { maxInFlight: 2, retryAfterS: 2 } });
    cached = await t.signIn(0);
    expect((await t.request('GET', '/api/v1/code', { token: cached })).status).toBe(200);
  });
  afterAll(() => t?.stop());

  it('a cache hit is refused at the door, counted as in-flight; the probes still answer; served again once the places are free', async () => {
    const code = `${t.stack.url}/api/v1/code`;
    const [a, b] = [await t.signIn(1), await t.signIn(2)];
    const client = new pg.Client({ connectionString: t.stack.postgres.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE residents IN ACCESS EXCLUSIVE MODE');
    const shedBefore = await shedCount(t);
    try {
      const misses = [get(code, { authorization: `Bearer ${a}` }), get(code, { authorization: `Bearer ${b}` })];
      // Both misses hold their places once Postgres shows both waiting on the lock. No read is
      // sent before that: one in flight beside the first miss would have the second refused.
      const waiting = async (): Promise<number> =>
        (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).rows[0]!.n;
      await until(async () => (await waiting()) === 2);
      const refused = await get(code, { authorization: `Bearer ${cached}` }).done;
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('2');
      expect((JSON.parse(refused.body) as { error: { code: string } }).error.code).toBe('OVERLOADED');
      expect((await t.request('GET', '/api/v1/code', { token: cached })).status).toBe(503);
      expect((await t.request('GET', '/healthz')).status).toBe(200);
      expect(await shedCount(t)).toBeGreaterThanOrEqual(shedBefore + 2);
      await client.query('COMMIT');
      expect((await Promise.all(misses.map((m) => m.done))).map((r) => r.status)).toEqual([200, 200]);
    } finally {
      await client.end();
    }
    expect((await t.request('GET', '/api/v1/code', { token: cached })).status).toBe(200);
  });
});

async function shedCount(t: TestStack): Promise<number> {
  const text = await (await fetch(t.stack.metricsUrl!)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('requests_shed_total{reason="in-flight"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
