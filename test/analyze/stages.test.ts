import { describe, expect, it } from 'vitest';
import type { SecondPoint } from '../../src/analyze/analysis-types.js';
import { estimateCapacity, findBreakingPoint } from '../../src/analyze/breaking-point.js';
import { judgeTrigger, metastability } from '../../src/analyze/metastability.js';
import { parseSlo } from '../../src/analyze/slo.js';
import { avgOver, recoveredAfter, sustainedFrom, type Timeline } from '../../src/analyze/timeline.js';
import { sloVerdicts } from '../../src/analyze/verdicts.js';

/**
 * The analysis stages on hand-made timelines: which seconds held the SLO is written down as a
 * string ("+" held, "-" violated), so every answer below can be read off it.
 */
const SLO = parseSlo({ window: '2s', sustain: '3s', metastableAfter: '4s', http_req_failed: ['rate<0.05'] });

function timeline(held: string, offered: readonly number[] = [...held].map(() => 10), good: readonly number[] = offered, completed: readonly number[] = offered): Timeline {
  const judged = [...held].map((c, t) => {
    const ok = c === '+';
    return { ok, results: [{ key: 'http_req_failed', expr: 'rate<0.05', ok, value: ok ? 0 : 0.1 + t / 100, limit: 0.05 }] };
  });
  const series = judged.map((j, t) => ({ t, offered: offered[t] ?? 0, good: good[t] ?? 0, sloOk: j.ok }) as unknown as SecondPoint);
  return { series, judged, goodput: good, goodWithin: good, offered, completed, slo: SLO };
}

describe('avgOver', () => {
  it.each([
    [[1, 2, 3, 4], 0, 3, 2.5],
    [[1, 2, 3, 4], -5, 1, 1.5],
    [[1, 2, 3, 4], 2, 9, 3.5],
    [[1, 2, 3, 4], 3, 2, 0],
    [[], 0, 0, 0],
  ])('%j over [%d, %d] is %d', (xs, from, to, mean) => {
    expect(avgOver(xs, from, to)).toBe(mean);
  });
});

describe('sustainedFrom and recoveredAfter', () => {
  it.each([
    // held, from, violation sustained from there, first recovery from there
    ['++---++++', 2, true, 5],
    ['++--+++++', 2, false, 4],
    ['+++++---', 5, true, null],
    ['+++++--', 5, true, null],
    ['---', 0, true, null],
    ['--+++', 0, false, 2],
  ])('%s from %d: sustained %s, recovered at %s', (held, from, sustained, recovered) => {
    const tl = timeline(held);
    expect(sustainedFrom(tl, from, (i) => tl.judged[i]?.ok === false)).toBe(sustained);
    expect(recoveredAfter(tl, from)).toBe(recovered);
  });
});

describe('findBreakingPoint', () => {
  it.each([
    ['++++++', null],
    ['++-+++', null],
    ['++-+---++', 4],
    ['+---', 1],
    ['++++--', 4],
  ])('%s breaks at %s', (held, atS) => {
    expect(findBreakingPoint(timeline(held))?.atS ?? null).toBe(atS);
  });

  it('names the failing SLO, its windowed offered rate and the margin', () => {
    const bp = findBreakingPoint(timeline('++---', [10, 20, 30, 40, 50]));
    expect(bp).toStrictEqual({
      atS: 2,
      offeredRps: 25,
      reason: 'http_req_failed: rate<0.05 failed at 0.12 over the 2 s window ending at 2 s, offered 25/s',
      slo: 'http_req_failed',
      value: 0.12,
      limit: 0.05,
      exceededBy: 0.07,
    });
  });
});

describe('estimateCapacity', () => {
  it.each([
    // held, offered (= good), capacity
    ['+++++', [10, 20, 30, 40, 50], { goodRps: 45, offeredRps: 45, completedRps: 45, atS: 4, lowerBound: true }],
    ['+++---', [10, 20, 30, 40, 50, 60], { goodRps: 25, offeredRps: 25, completedRps: 25, atS: 2, lowerBound: false }],
    ['++---', [10, 10, 100, 100, 100], { goodRps: 10, offeredRps: 10, completedRps: 10, atS: 0, lowerBound: true }],
    ['---', [10, 10, 10], null],
  ] as const)('%s at %j: %j', (held, offered, capacity) => {
    const tl = timeline(held, offered);
    expect(estimateCapacity(tl, findBreakingPoint(tl))).toStrictEqual(capacity);
  });
});

describe('judgeTrigger', () => {
  it.each([
    // held, trigger gone at, recovered at, metastable (metastableAfter 4 s)
    ['---+++++++', 3, 3, false],
    ['--------++++', 1, 8, true],
    ['----------', 2, null, true],
    ['-------', 5, null, null],
  ])('%s, gone at %d: recovered at %s, metastable %s', (held, goneS, recoveredAtS, metastable) => {
    expect(judgeTrigger(timeline(held), 'fault', 'f', goneS)).toStrictEqual({ kind: 'fault', name: 'f', goneS, recoveredAtS, metastable });
  });
});

describe('sloVerdicts', () => {
  it.each([
    ['+++++', true, 0, null],
    ['++-++', true, 1, { atS: 2, value: 0.12 }],
    ['+---+', false, 3, { atS: 3, value: 0.13 }],
  ])('%s: ok %s, %d violated seconds, worst %j', (held, ok, violatedSeconds, worst) => {
    expect(sloVerdicts(timeline(held))).toStrictEqual([{ key: 'http_req_failed', expr: 'rate<0.05', ok, violatedSeconds, worst }]);
  });
});

describe('metastability after a surge faster than the window', () => {
  // Arrivals jump from 10/s to 100/s at 5 s, faster than the 2 s window; the target finishes 20
  // journeys a second, so the SLO still holds at 6 s (over the window, most of the surge is queued,
  // not yet late) and breaks at 7 s. The load is back within what it finished at 13 s.
  const offered = [10, 10, 10, 10, 10, 100, 100, 100, 60, 50, 40, 30, 18, 15, 10, 10, 10, 10, 10, 10];
  const finished = [10, 10, 10, 10, 10, 20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const judge = (held: string) => {
    const tl = timeline(held, offered, finished, finished);
    const breakingPoint = findBreakingPoint(tl);
    const capacity = estimateCapacity(tl, breakingPoint);
    return { breakingPoint, capacity, metastable: metastability(tl, [], breakingPoint, capacity) };
  };

  it('measures capacity in journeys completed, not arrivals still queued', () => {
    const { breakingPoint, capacity } = judge('+++++++-------------');
    expect(breakingPoint).toMatchObject({ atS: 7, offeredRps: 100 });
    expect(capacity).toStrictEqual({ goodRps: 20, offeredRps: 100, completedRps: 20, atS: 6, lowerBound: false });
  });

  it('judges the load trigger from when the offered rate is back within what was completed', () => {
    // Judged against the 100 arrivals/s offered at 6 s, the break at 100/s would not be above
    // capacity at all, and no load trigger would be found.
    expect(judge('+++++++-------------').metastable).toStrictEqual({
      flagged: true,
      triggers: [{ kind: 'load', name: 'offered load back below capacity', goneS: 13, recoveredAtS: null, metastable: true }],
    });
    expect(judge('+++++++--------+++++').metastable).toStrictEqual({
      flagged: false,
      triggers: [{ kind: 'load', name: 'offered load back below capacity', goneS: 13, recoveredAtS: 15, metastable: false }],
    });
  });
});
