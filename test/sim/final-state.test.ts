import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { call, inTurns, PROBES_AT_ONCE } from '../../sim/check/final-state.js';

/** The check's probes after a run (sim/check/final-state.ts): a few at once, answers in order. */
describe('probes in turns', () => {
  it('run every item, never more than the limit at once, and answer in the items\' order', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 37 }, (_, i) => i);
    const answers = await inTurns(items, PROBES_AT_ONCE, async (i) => {
      running++;
      most = Math.max(most, running);
      // Later items finish sooner, so an answer kept in finishing order would be out of order.
      await new Promise((r) => setTimeout(r, (37 - i) % 5));
      running--;
      return i * 2;
    });
    expect(answers).toEqual(items.map((i) => i * 2));
    expect(most).toBe(PROBES_AT_ONCE);
    expect(await inTurns([], 8, async () => 1)).toEqual([]);
    expect(await inTurns([1, 2, 3], 0, async (i) => i)).toEqual([1, 2, 3]);
  });
});

describe('a probe\'s request', () => {
  it('waits out one short Retry-After on a 429 or 503 and asks again; a long one, a second refusal or a 500 is its answer', async () => {
    // Each path answers with its list of replies in turn, then 200.
    const replies: Record<string, [number, string | undefined][]> = {
      '/limited': [[429, '1']],
      '/shed': [[503, '0']],
      '/twice': [[429, '0'], [429, '0']],
      '/long': [[429, '60']],
      '/broken': [[500, '0']],
    };
    const asked: Record<string, number> = {};
    const server = http.createServer((req, res) => {
      const n = (asked[req.url!] = (asked[req.url!] ?? 0) + 1);
      const reply = replies[req.url!]?.[n - 1];
      if (reply === undefined) return void res.end('ok');
      res.statusCode = reply[0];
      if (reply[1] !== undefined) res.setHeader('retry-after', reply[1]);
      res.end('not now');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const started = performance.now();
      expect(await call(origin, 'GET', '/limited', undefined, undefined)).toBe('ok');
      expect(performance.now() - started).toBeGreaterThanOrEqual(990); // it waited the second it was told
      expect(await call(origin, 'GET', '/shed', undefined, undefined)).toBe('ok');
      await expect(call(origin, 'GET', '/twice', undefined, undefined)).rejects.toThrow('GET /twice: 429 not now');
      await expect(call(origin, 'GET', '/long', undefined, undefined)).rejects.toThrow('GET /long: 429');
      await expect(call(origin, 'GET', '/broken', undefined, undefined)).rejects.toThrow('GET /broken: 500');
      expect(asked).toEqual({ '/limited': 2, '/shed': 2, '/twice': 2, '/long': 1, '/broken': 1 });
    } finally {
      server.close();
    }
  });
});
