import { describe, expect, it } from 'vitest';
import { searchCapacity, type StepResult } from '../../src/analyze/capacity.js';

/** The capacity search (src/analyze/capacity.ts) on synthetic probes of a known capacity: no server, no time. */
describe('the capacity search', () => {
  const probeOf = (capacity: number) => async (rateRps: number): Promise<StepResult> => ({
    rateRps,
    ok: rateRps <= capacity,
    reason: rateRps <= capacity ? null : 'over',
    p50Ms: 1,
    p99Ms: rateRps <= capacity ? 10 : 5_000,
    p99IntervalMs: rateRps <= capacity ? [9, 12] : [4_000, null],
    errorRate: 0,
    goodRps: rateRps,
    goodputRps: rateRps,
    byOutcome: { ok: rateRps },
    late: 0,
    dropped: 0,
  });

  it('brackets by doubling and bisects inside the bracket, confirming each failure once', async () => {
    const r = await searchCapacity(probeOf(333), { startRps: 25, maxRps: 20_000, refine: 4 });
    expect(r.steps.map((s) => s.rateRps)).toEqual([25, 50, 100, 200, 400, 400, 300, 350, 350, 325, 337.5, 337.5]);
    expect(r).toMatchObject({ capacityRps: 325, failedAtRps: 337.5, uncertaintyRps: 6.3, sloHeld: true });
    expect(r.knee?.rateRps).toBe(325);
  });

  it('does not let one hiccup near the knee cost a bisection step', async () => {
    let hiccups = 1;
    const noisy = async (rateRps: number): Promise<StepResult> => {
      const step = await probeOf(333)(rateRps);
      if (rateRps === 325 && step.ok && hiccups-- > 0) return { ...step, ok: false, reason: 'a hiccup' };
      return step;
    };
    const r = await searchCapacity(noisy, { startRps: 25, maxRps: 20_000, refine: 4 });
    expect(r.capacityRps).toBe(325);
    const unconfirmed = await searchCapacity((() => {
      let once = 1;
      return async (rateRps: number) => {
        const step = await probeOf(333)(rateRps);
        return rateRps === 325 && once-- > 0 ? { ...step, ok: false, reason: 'a hiccup' } : step;
      };
    })(), { startRps: 25, maxRps: 20_000, refine: 4, confirm: 0 });
    expect(unconfirmed.capacityRps).toBe(312.5);
  });

  it('does not let one hiccup on the way up halve the answer, or zero it on the first step', async () => {
    const hiccupAt = (rate: number) => {
      let once = 1;
      return async (rateRps: number) => {
        const step = await probeOf(333)(rateRps);
        return rateRps === rate && once-- > 0 ? { ...step, ok: false, reason: 'a hiccup' } : step;
      };
    };
    for (const rate of [25, 100]) {
      const r = await searchCapacity(hiccupAt(rate), { startRps: 25, maxRps: 20_000, refine: 4 });
      expect(r.capacityRps, `a hiccup at ${rate}/s`).toBe(325);
      expect(r.steps.filter((s) => s.rateRps === rate).map((s) => s.ok)).toEqual([false, true]);
    }
    const unconfirmed = await searchCapacity(hiccupAt(25), { startRps: 25, maxRps: 20_000, refine: 4, confirm: 0 });
    expect(unconfirmed).toMatchObject({ capacityRps: 0, sloHeld: false });
  });

  it('says so when nothing fails up to the maximum, and when even the first step fails', async () => {
    const high = await searchCapacity(probeOf(1e9), { startRps: 100, maxRps: 500, refine: 4 });
    expect(high.steps.map((s) => s.rateRps)).toEqual([100, 200, 400, 500]);
    expect(high).toMatchObject({ capacityRps: 500, failedAtRps: null, uncertaintyRps: null, sloHeld: true });
    const none = await searchCapacity(probeOf(10), { startRps: 25, maxRps: 500, refine: 4 });
    expect(none).toMatchObject({ capacityRps: 0, sloHeld: false, steps: [expect.objectContaining({ rateRps: 25, ok: false }), expect.objectContaining({ rateRps: 25, ok: false })] });
  });
});
