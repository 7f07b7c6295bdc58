import { describe, expect, it } from 'vitest';
import { CITY_POPULATION } from '../../sim/city/districts.js';
import { MORNING, morningStreams, type Stream } from '../../sim/city/morning.js';
import { priorHolders, priorModel, priorToken } from '../../sim/city/prior.js';
import { parseClockTime } from '../../sim/clock.js';

const clock = (t: string) => parseClockTime(t)!;

describe('the prior state model', () => {
  const stream = (name: Stream['name'], perSecond: number): Stream => ({
    name,
    what: '',
    rate: () => perSecond,
    arrivals: (a, b) => Math.max(0, b - a) * perSecond,
  });

  it('derives the cached share from the opens in the window before the start: 1 − e^(−opens/residents)', () => {
    // One open per resident in the hour, spread over two streams that open a code, and labs (which do not).
    const perSecond = CITY_POPULATION / 3_600 / 2;
    const streams = [stream('resident.open-code', perSecond), stream('checkpoint.verify', perSecond), stream('lab.result', 1e6)];
    const prior = priorModel({}, streams, clock('08:00'));
    expect(prior.cacheSource).toBe('derived');
    expect(prior.cache).toBeCloseTo(Math.min(prior.sessions, 1 - Math.exp(-1)), 6);
    expect(prior.opensInWindow).toBe(CITY_POPULATION);
  });

  it('caps the cache share at the session share, takes given shares, and has no cache without a clock', () => {
    const busy = [stream('resident.open-code', CITY_POPULATION)];
    expect(priorModel({ sessions: 0.5 }, busy, 30_000).cache).toBe(0.5);
    expect(priorModel({ sessions: 0.8, cache: 0.25 }, busy, 30_000)).toMatchObject({ cache: 0.25, cacheSource: 'scenario' });
    expect(priorModel({}, busy, undefined)).toMatchObject({ cache: 0, cacheSource: 'none', sessions: 0.9 });
  });

  it('on the default morning, the hour before 08:00 leaves about a fifth of the codes cached', () => {
    const prior = priorModel({}, morningStreams(MORNING, (t) => clock(t)), clock('08:00'));
    expect(prior.cache).toBeGreaterThan(0.15);
    expect(prior.cache).toBeLessThan(0.25);
  });

  it('draws the same holders for the same seed, cached ones among session holders only', () => {
    const a = priorHolders(7, 10_000, { sessions: 0.9, cache: 0.3 });
    const b = priorHolders(7, 10_000, { sessions: 0.9, cache: 0.3 });
    expect(Buffer.from(a.sessions).equals(Buffer.from(b.sessions))).toBe(true);
    expect(Buffer.from(a.cached).equals(Buffer.from(b.cached))).toBe(true);
    for (let i = 0; i < a.cached.length; i++) expect(a.cached[i]! & ~a.sessions[i]!).toBe(0);
    expect(Buffer.from(priorHolders(8, 10_000, { sessions: 0.9, cache: 0.3 }).sessions).equals(Buffer.from(a.sessions))).toBe(false);
  });

  it('reads a token from its slot, and nothing from an empty or out-of-range one', () => {
    const tokens = new SharedArrayBuffer(3 * 8);
    Buffer.from(tokens).write('t1.1.99', 8, 'latin1');
    const sessions = { tokens, width: 8 };
    expect(priorToken(sessions, 1)).toBe('t1.1.99');
    expect(priorToken(sessions, 0)).toBeUndefined();
    expect(priorToken(sessions, 3)).toBeUndefined();
    expect(priorToken(sessions, -1)).toBeUndefined();
  });
});
