import { describe, expect, it } from 'vitest';
import { searchCapacity, type StepResult } from '../../src/analyze/capacity.js';
import { countWithin, goodputLimitMs, OVERLOAD_IN_FLIGHT_LIMIT, overloadInFlight, overloadPlan, overloadStep, parseMultiples, runOverload, shapeOf } from '../../src/analyze/overload.js';
import { parseSloFlags } from '../../src/analyze/capacity.js';
import { judge } from '../../src/analyze/capacity-verdict.js';
import { createLatencyHistogram, recordLatency } from '../../src/engine/histogram.js';
import { openFileLimit } from '../../src/run/open-files.js';
import { renderCapacityHtml, renderCapacityJunit, renderCapacityMarkdown } from '../../src/report/capacity.js';

/** The overload steps past the capacity (src/analyze/overload.ts): planned, measured, shaped and rendered, on synthetic steps. */
describe('the overload steps', () => {
  it('let every arrival of the step wait on the target, up to the socket budget and never below the scenario', () => {
    // 2,750/s for 5 s: 13,750 arrivals may all be waiting when the step ends.
    expect(overloadInFlight(2_750, 5_000, 1_000)).toBe(13_750);
    expect(overloadInFlight(2_750.5, 5_000, 1_000)).toBe(13_753);
    expect(overloadInFlight(14_500, 5_000, 1_000)).toBe(OVERLOAD_IN_FLIGHT_LIMIT);
    // A scenario that allows more keeps its own figure; a slow step never goes under it.
    expect(overloadInFlight(14_500, 5_000, 20_000)).toBe(20_000);
    expect(overloadInFlight(50, 5_000, 1_000)).toBe(1_000);
    // Under a lower open-file limit, three quarters of it.
    expect(overloadInFlight(14_500, 5_000, 1_000, 20_000)).toBe(OVERLOAD_IN_FLIGHT_LIMIT);
    expect(overloadInFlight(14_500, 5_000, 1_000, 4_096)).toBe(3_072);
  });

  it('read the open-file limit from /proc/self/limits, soft column', () => {
    const limits = (soft: string) => () =>
      `Limit                     Soft Limit           Hard Limit           Units\nMax cpu time              unlimited            unlimited            seconds\nMax open files            ${soft}                20000                files\n`;
    expect(openFileLimit(limits('1024'))).toBe(1_024);
    expect(openFileLimit(limits('unlimited'))).toBeUndefined();
    expect(openFileLimit(() => 'nothing here')).toBeUndefined();
    expect(openFileLimit(() => { throw new Error('ENOENT'); })).toBeUndefined();
    // This process's own, on Linux.
    if (process.platform === 'linux') expect(openFileLimit()).toBeGreaterThan(0);
  });

  const step = (rateRps: number, counts: StepResult['byOutcome'], goodputRps: number, late = 0): StepResult => ({
    rateRps,
    ok: false,
    reason: 'over',
    p50Ms: 3,
    p99Ms: 40,
    p99IntervalMs: [30, 50],
    errorRate: null,
    goodRps: goodputRps,
    goodputRps,
    byOutcome: counts,
    late,
    dropped: 0,
  });

  it('plans 1.5×, 2× and 3× the capacity, capped by --max, leaving out what the cap makes equal', () => {
    expect(overloadPlan(200, [1.5, 2, 3], 20_000)).toEqual([
      { multiple: 1.5, rateRps: 300, capped: false },
      { multiple: 2, rateRps: 400, capped: false },
      { multiple: 3, rateRps: 600, capped: false },
    ]);
    // --max 500: 3× runs at 500/s and says it is 2.5×; with --max 400 it would repeat 2×.
    expect(overloadPlan(200, [3, 2, 1.5], 500)).toEqual([
      { multiple: 1.5, rateRps: 300, capped: false },
      { multiple: 2, rateRps: 400, capped: false },
      { multiple: 2.5, rateRps: 500, capped: true },
    ]);
    expect(overloadPlan(200, [1.5, 2, 3], 400).map((p) => p.rateRps)).toEqual([300, 400]);
    expect(overloadPlan(200, [1.5, 2, 3], 200)).toEqual([]);
    expect(overloadPlan(0, [1.5, 2, 3], 20_000)).toEqual([]);
  });

  it('measures each step against the peak goodput of the steps that held, and never runs when none held', async () => {
    const search = await searchCapacity(async (rateRps) => ({ ...step(rateRps, { ok: rateRps * 3 }, rateRps), ok: rateRps <= 200, reason: rateRps <= 200 ? null : 'over' }), { startRps: 50, maxRps: 20_000, refine: 0 });
    expect(search.capacityRps).toBe(200);
    const asked: number[] = [];
    const o = await runOverload(async (p) => (asked.push(p.rateRps), step(p.rateRps, { ok: 600, shed: 300, timeout: 100 }, 190, 20)), search, { multiples: [1.5, 2, 3], maxRps: 20_000 });
    expect(asked).toEqual([300, 400, 600]);
    expect(o.peakGoodputRps).toBe(200);
    expect(o.steps[1]).toEqual({ multiple: 2, offeredRps: 400, goodputRps: 190, keptShare: 0.95, errorShare: 0.4, lateShare: 0.02, byOutcome: { shed: 0.3, timeout: 0.1 }, dropped: 0, p50Ms: 3, p99Ms: 40 });
    expect(o.shape).toBe('plateau');
    const none = await runOverload(async () => expect.fail('no overload step may run when the SLO held at no rate'), { ...search, sloHeld: false, capacityRps: 0, knee: null }, { multiples: [1.5, 2, 3], maxRps: 20_000 });
    expect(none).toMatchObject({ steps: [], shape: null });
  });

  it('calls the shape at the step nearest 2×: a plateau from 80 % kept, a cliff up to 30 %', () => {
    const at = (multiple: number, kept: number | null) => ({ ...overloadStep(step(100, { ok: 1 }, 1), multiple, 1), keptShare: kept });
    expect(shapeOf([at(1.5, 0.1), at(2, 0.8), at(3, 0.1)])).toBe('plateau');
    expect(shapeOf([at(1.5, 1), at(2, 0.3), at(3, 1)])).toBe('cliff');
    expect(shapeOf([at(2, 0.31)])).toBe('degrading');
    expect(shapeOf([at(2, 0.79)])).toBe('degrading');
    // Capped at 1.5× and 2.5×: equally near; the higher decides.
    expect(shapeOf([at(1.5, 1), at(2.5, 0.2)])).toBe('cliff');
    expect(shapeOf([at(2, null)])).toBeNull();
    expect(shapeOf([])).toBeNull();
  });

  it('counts a response as goodput only within the SLO\'s latency limit', () => {
    expect(goodputLimitMs(parseSloFlags(['p(99)<100', 'p(95)<=250', 'rate<0.01']))).toBe(250);
    expect(goodputLimitMs(parseSloFlags(['rate<0.01']))).toBeNull();
    const h = createLatencyHistogram();
    for (const ms of [1, 50, 99.9, 100, 100.2, 2_000]) recordLatency(h, ms * 1000);
    expect(countWithin(h, 100)).toBe(4);
    expect(countWithin(h, 1_000_000)).toBe(6);
  });

  it('reads --overload as a list of multiples above 1', () => {
    expect(parseMultiples('3, 1.5,2,2')).toEqual([1.5, 2, 3]);
    for (const bad of ['1', '0.5,2', 'two', '', '2,,3', '-2']) expect(() => parseMultiples(bad), bad).toThrow(/--overload: expected multiples/);
  });

  it('renders the overload in summary.md, capacity.html and junit.xml without failing the suite', () => {
    const search = { capacityRps: 200, failedAtRps: 225, uncertaintyRps: 12.5, sloHeld: true, knee: step(200, { ok: 600 }, 200), steps: [{ ...step(200, { ok: 600 }, 200), ok: true, reason: null }] };
    const o = { peakGoodputRps: 200, steps: [overloadStep(step(400, { ok: 60, timeout: 540 }, 10, 40), 2, 200)], shape: 'cliff' as const };
    const r = judge(search, { scenario: 's', target: 'http://127.0.0.1:1', slo: [], baseline: undefined, maxRegression: 10, runDir: 'r', maxRps: 1_000, profile: 'fragile', settings: { coalesce: true }, overload: o, goodputLimitMs: 100 });
    expect(r.verdict).toBe('pass');
    const md = renderCapacityMarkdown(r);
    expect(md).toContain('**cliff: at 2× (400/s) it kept 5 % of its peak goodput (200/s)**');
    expect(md).toContain('| 2× | 400/s | 10/s | 5 % | 90 % | timeout 90 % | 6.7 % | 0 | 3 ms | 40 ms |');
    expect(md).toContain('profile: fragile, coalesce=true');
    const html = renderCapacityHtml(r);
    expect(html).toContain('profile fragile, coalesce=true');
    expect(html).toContain('"id":"goodput"');
    expect(renderCapacityJunit(r)).toMatch(/tests="2" failures="0"[\s\S]*classname="overload" name="overload 2× \(400\/s, informational\)/);
  });
});
