import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { holds, priorHolders, priorToken } from '../../sim/city/prior.js';
import { prepareCity, type PreparedCity } from '../../src/stack/prepare.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/**
 * The city's state before the clock, made real on the stack: the shares of residents holding a
 * session and with a cached code come out within 2 % of the parameters, every prepared token
 * is one the server accepts, and a prepared cache entry is read as a hit in the profile's own
 * format (signed in hardened, plain in fragile).
 */
const RESIDENTS = 40_000;
const PRIOR = { sessions: 0.9, cache: 0.3 };
const SEED = 1234;

/** Residents holding a prepared session, in index order. */
function holdersOf(prepared: PreparedCity): number[] {
  const out: number[] = [];
  for (let i = 0; i < RESIDENTS && out.length < 5; i++) if (priorToken(prepared.sessions, i) !== undefined) out.push(i);
  return out;
}

async function metric(t: TestStack, prefix: string): Promise<number> {
  const text = await (await fetch(t.stack.metricsUrl!)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

for (const profile of ['hardened', 'fragile'] as const) {
  describe(`the prepared city (${profile})`, () => {
    let t: TestStack;
    let prepared: PreparedCity;
    beforeAll(async () => {
      t = await startTestStack({ profile, residents: RESIDENTS, seed: SEED });
      prepared = await prepareCity(t.stack, { seed: SEED, residents: RESIDENTS, prior: PRIOR });
    });
    afterAll(() => t?.stop());

    it('holds sessions and cached codes within 2 % of the parameters', async () => {
      expect(Math.abs(prepared.sessionResidents / RESIDENTS / PRIOR.sessions - 1)).toBeLessThan(0.02);
      expect(Math.abs(prepared.cachedResidents / RESIDENTS / PRIOR.cache - 1)).toBeLessThan(0.02);
      const redis = new Redis(t.stack.redis.url);
      try {
        expect(await redis.dbsize()).toBe(prepared.cachedResidents);
      } finally {
        redis.disconnect();
      }
      let tokens = 0;
      for (let i = 0; i < RESIDENTS; i++) if (priorToken(prepared.sessions, i) !== undefined) tokens++;
      expect(tokens).toBe(prepared.sessionResidents);
    });

    it("issues the city's staff their credentials: a sampler per site, a lab per 50 sites, every gate; the server accepts them", async () => {
      expect(prepared.staff.samplers).toHaveLength(RESIDENTS / 2_500);
      expect(prepared.staff.labs).toHaveLength(1);
      expect(Object.keys(prepared.staff.checkpoints)).toHaveLength(3 * 97);
      const token = priorToken(prepared.sessions, holdersOf(prepared)[0] ?? 0);
      const code = await t.request('GET', '/api/v1/code', { token: token ?? '' });
      expect(code.status, code.text).toBe(200);
      const verified = await t.request('POST', '/api/v1/checkpoints/verify', {
        token: prepared.staff.checkpoints['metro-3'] ?? '',
        body: { qr: code.json.qr.payload, checkpoint: 'metro-3', kind: 'metro' },
      });
      expect(verified.status, verified.text).toBe(200);
      const wrongGate = await t.request('POST', '/api/v1/checkpoints/verify', {
        token: prepared.staff.checkpoints['metro-4'] ?? '',
        body: { qr: code.json.qr.payload, checkpoint: 'metro-3', kind: 'metro' },
      });
      expect(wrongGate.status, wrongGate.text).toBe(403);
    });

    it('gives each holder a token the server accepts, and nobody else one', async () => {
      const holders = priorHolders(SEED, RESIDENTS, PRIOR);
      const sample = Array.from({ length: 40 }, (_, k) => (k * 997) % RESIDENTS);
      for (const i of sample) {
        const token = priorToken(prepared.sessions, i);
        expect(token !== undefined).toBe(holds(holders.sessions, i));
        if (token === undefined) continue;
        const res = await t.request('GET', '/api/v1/code', { token });
        expect(res.status).toBe(200);
        expect(res.json.name.startsWith(t.people.identity(i).name.slice(0, 1))).toBe(true);
      }
    });

    it('has the cached codes read as hits, and the others as misses', async () => {
      const holders = priorHolders(SEED, RESIDENTS, PRIOR);
      const cachedOnes: number[] = [];
      const uncached: number[] = [];
      // Far from the first cached residents, whose codes the warm-up read (the near cache keeps them a second).
      for (let i = 20_000; i < RESIDENTS && (cachedOnes.length < 20 || uncached.length < 20); i++) {
        if (!holds(holders.sessions, i)) continue;
        if (holds(holders.cached, i)) {
          if (cachedOnes.length < 20) cachedOnes.push(i);
        } else if (uncached.length < 20) uncached.push(i);
      }
      const read = async (ids: number[]) => {
        const [hits, misses] = [await metric(t, 'cache_requests_total{outcome="hit"'), await metric(t, 'cache_requests_total{outcome="miss"')];
        for (const i of ids) expect((await t.request('GET', '/api/v1/code', { token: priorToken(prepared.sessions, i)! })).status).toBe(200);
        return [(await metric(t, 'cache_requests_total{outcome="hit"')) - hits, (await metric(t, 'cache_requests_total{outcome="miss"')) - misses];
      };
      expect(await read(cachedOnes)).toEqual([20, 0]);
      expect(await read(uncached)).toEqual([0, 20]);
    });
  });
}
