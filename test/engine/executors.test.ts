// Long because: one table per executor, to the millisecond, as k6's executor tests are.
import { describe, expect, it } from 'vitest';
import { CodestormError, ExitCode } from '../../src/errors.js';
import * as constantArrivalRate from '../../src/engine/executors/constant-arrival-rate.js';
import * as constantVus from '../../src/engine/executors/constant-vus.js';
import * as curve from '../../src/engine/executors/curve.js';
import { parseDuration } from '../../src/engine/executors/duration.js';
import { executors, planOf, validateExecutor, type ArrivalRateConfig } from '../../src/engine/executors/index.js';
import * as rampingArrivalRate from '../../src/engine/executors/ramping-arrival-rate.js';
import * as rampingVus from '../../src/engine/executors/ramping-vus.js';
import { planArrivals, planExpected, type ArrivalOptions, type RatePlan } from '../../src/engine/executors/rate-plan.js';
import { createRandom, type Random } from '../../src/engine/random.js';

/**
 * The executors' planning half, to the millisecond: arrival schedules are analytic, so most
 * assertions are exact (or to a micro-millisecond); Poisson ones are seeded, hence deterministic,
 * and check the statistics against 3 sigma.
 */

const all = (iterator: Iterable<number>): number[] => Array.from(iterator);
const even = (plan: RatePlan, share?: { index: number; of: number }): number[] =>
  all(planArrivals(plan, share === undefined ? { spacing: 'even' } : { spacing: 'even', share }));
const poisson = (plan: RatePlan, random: Random, share?: { index: number; of: number }): number[] =>
  all(planArrivals(plan, share === undefined ? { spacing: 'poisson', random } : { spacing: 'poisson', random, share }));
const countBefore = (times: readonly number[], tMs: number): number => times.filter((t) => t < tMs).length;

function thrown(fn: () => unknown): CodestormError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodestormError) return err;
    throw err;
  }
  throw new Error('expected a CodestormError');
}

const constant500 = constantArrivalRate.validate({ rate: 500, duration: '10s' }, 'load');
const ramp0to100 = rampingArrivalRate.validate({ startRate: 0, stages: [{ duration: '10s', target: 100 }] }, 'load');
/**
 * 0→10/s over 2 s, 10/s for 3 s, 10→0/s over 1 s, 0 for 2 s, jump to 20/s for 2 s, 20→0/s over 1 s.
 * Λ: 10 at 2 s, 40 at 5 s, 45 from 6 s to 8 s, 85 at 10 s, 95 at 11 s.
 */
const multiStage = rampingArrivalRate.validate(
  {
    startRate: 0,
    stages: [
      { duration: '2s', target: 10 },
      { duration: '3s', target: 10 },
      { duration: '1s', target: 0 },
      { duration: '2s', target: 0 },
      { duration: 0, target: 20 },
      { duration: '2s', target: 20 },
      { duration: '1s', target: 0 },
    ],
  },
  'load',
);
const plans: ReadonlyArray<readonly [string, RatePlan]> = [
  ['constant 500/s for 10 s', constantArrivalRate.plan(constant500)],
  ['ramp 0→100/s over 10 s', rampingArrivalRate.plan(ramp0to100)],
  ['multi-stage with flat and zero-rate stretches', rampingArrivalRate.plan(multiStage)],
  [
    'fractional: 0.7→13.3/s over 7.3 s, then 3.1/s for 1.9 s',
    rampingArrivalRate.plan(
      rampingArrivalRate.validate({ startRate: 0.7, stages: [{ duration: 7300, target: 13.3 }, { duration: 0, target: 3.1 }, { duration: 1900, target: 3.1 }] }, ''),
    ),
  ],
];

describe('parseDuration', () => {
  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['.5s', 500],
    ['1h2m3s4ms', 3_723_004],
    ['1d', 86_400_000],
    ['100us', 0.1],
    ['0', 0],
    ['0s', 0],
    ['250', 250],
    ['12.5', 12.5],
    [250, 250],
    [0.5, 0.5],
    [0, 0],
  ] as const)('%j is %d ms', (raw, ms) => {
    expect(parseDuration(raw, 'load.duration')).toBe(ms);
  });

  it.each([
    ['', 'expected a duration such as'],
    ['abc', 'expected a duration such as'],
    ['10 s', 'expected a duration such as'],
    [' 10s', 'expected a duration such as'],
    ['1x', 'expected a duration such as'],
    ['s', 'expected a duration such as'],
    ['1e3', 'expected a duration such as'],
    ['1s-2s', 'expected a duration such as'],
    ['-1s', 'expected a duration >= 0, got "-1s"'],
    [-5, 'expected a duration >= 0, got -5'],
    [Number.NaN, 'got NaN'],
    [Number.POSITIVE_INFINITY, 'got Infinity'],
    [null, 'got null'],
    [true, 'got true'],
    [{}, 'got {}'],
  ] as const)('rejects %s', (raw, message) => {
    const err = thrown(() => parseDuration(raw, 'load.duration'));
    expect(err.code).toBe('DURATION_INVALID');
    expect(err.exitCode).toBe(ExitCode.invalidInput);
    expect(err.message.startsWith('load.duration: ')).toBe(true);
    expect(err.message).toContain(message);
  });
});

describe('random', () => {
  const draw = (random: Random, n: number): number[] => Array.from({ length: n }, () => random.next());

  it('is determined by its seed', () => {
    expect(draw(createRandom(42), 50)).toEqual(draw(createRandom(42), 50));
    expect(draw(createRandom(42), 50)).not.toEqual(draw(createRandom(43), 50));
    expect(draw(createRandom(0), 5)).not.toEqual(draw(createRandom(2 ** 32), 5));
    expect(createRandom(7).seed).toBe(7);
  });

  it('draws uniformly from [0, 1), whole numbers from [0, n) and exponentials of mean 1/rate', () => {
    const random = createRandom(1);
    const n = 20_000;
    const u = draw(random, n);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / n - 0.5)).toBeLessThan(3 * Math.sqrt(1 / 12 / n));

    const hits = new Array<number>(7).fill(0);
    for (let i = 0; i < 7_000; i++) {
      const k = random.int(7);
      hits[k] = (hits[k] ?? 0) + 1;
    }
    // Each bucket is Binomial(7000, 1/7): mean 1000, sd ≈ 30.
    for (const h of hits) expect(Math.abs(h - 1_000)).toBeLessThan(3 * Math.sqrt(7_000 * (1 / 7) * (6 / 7)));

    const rate = 4;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += random.exponential(rate);
    expect(Math.abs(sum / n - 1 / rate)).toBeLessThan((3 * (1 / rate)) / Math.sqrt(n));
  });

  it('forks by label, independent of what the parent has drawn, without advancing it', () => {
    const a = createRandom(99);
    const b = createRandom(99);
    draw(b, 17);
    expect(draw(a.fork('worker-1'), 20)).toEqual(draw(b.fork('worker-1'), 20));
    expect(draw(a.fork('worker-1'), 20)).not.toEqual(draw(a.fork('worker-2'), 20));
    expect(draw(a.fork('x').fork('y'), 5)).not.toEqual(draw(a.fork('y').fork('x'), 5));
    expect(draw(a.fork('worker-1'), 5)).not.toEqual(draw(createRandom(100).fork('worker-1'), 5));
    const c = createRandom(99);
    c.fork('anything');
    expect(draw(c, 20)).toEqual(draw(createRandom(99), 20));
    expect(a.fork('s').fork('w').label).toBe('s/w');
    expect(a.fork('s').seed).toBe(99);
  });

  it('rejects seeds that are not whole numbers and bad arguments', () => {
    expect(thrown(() => createRandom(1.5)).code).toBe('SEED_INVALID');
    expect(() => createRandom(1).int(0)).toThrow(RangeError);
    expect(() => createRandom(1).exponential(0)).toThrow(RangeError);
  });
});

describe('constant-arrival-rate', () => {
  it('500/s for 10 s gives exactly 5,000 even arrivals at k·2 ms', () => {
    const times = all(constantArrivalRate.arrivals(constant500, { spacing: 'even' }));
    expect(times).toEqual(Array.from({ length: 5_000 }, (_, k) => k * 2));
  });

  it('counts its rate per timeUnit: 30 per 1m for 2m is one arrival every 2 s', () => {
    const config = constantArrivalRate.validate({ rate: 30, timeUnit: '1m', duration: '2m' }, 'load');
    const times = all(constantArrivalRate.arrivals(config, { spacing: 'even' }));
    expect(times).toEqual(Array.from({ length: 60 }, (_, k) => k * 2_000));
    expect(constantArrivalRate.rateAt(config, 0)).toBe(0.5);
  });

  it.each([
    [-1, 0],
    [0, 500],
    [9_999.9, 500],
    [10_000, 0],
  ])('rateAt(%d ms) is %d/s', (t, rate) => {
    expect(constantArrivalRate.rateAt(constant500, t)).toBe(rate);
  });

  it.each([
    [0, 10_000, 5_000],
    [0, 1, 0.5],
    [2_000, 4_000, 1_000],
    [-5_000, 50_000, 5_000],
    [10_000, 20_000, 0],
  ])('expectedArrivals(%d, %d) is %d', (from, to, expected) => {
    expect(constantArrivalRate.expectedArrivals(constant500, from, to)).toBeCloseTo(expected, 9);
  });

  it('applies defaults and freezes the result', () => {
    const raw = { rate: 5, duration: '1m' };
    const config = constantArrivalRate.validate(raw, 'load');
    expect(config).toEqual({ executor: 'constant-arrival-rate', rate: 5, duration: 60_000, timeUnit: 1_000, maxInFlight: 1_000, spacing: 'even' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(raw).toEqual({ rate: 5, duration: '1m' });
    expect(constantArrivalRate.totalDuration(config)).toBe(60_000);
  });
});

describe('ramping-arrival-rate', () => {
  it('0→100/s over 10 s: the k-th arrival is at sqrt(k/5) s', () => {
    const times = all(rampingArrivalRate.arrivals(ramp0to100, { spacing: 'even' }));
    expect(times).toHaveLength(500);
    expect(Math.max(...times.map((t, k) => Math.abs(t - 1_000 * Math.sqrt(k / 5))))).toBeLessThan(1e-6);
  });

  it.each([0.5, 1, 2.5, 3.3, 5, 7.77, 9.99, 10])('0→100/s over 10 s: arrivals before %d s number 5·t² (within 1)', (t) => {
    const times = all(rampingArrivalRate.arrivals(ramp0to100, { spacing: 'even' }));
    expect(Math.abs(countBefore(times, t * 1_000) - 5 * t * t)).toBeLessThanOrEqual(1);
  });

  it.each([
    [0, 0],
    [1, 632.455_532],
    [10, 2_000],
    [11, 2_100],
    [40, 5_000],
    [44, 5_552.786_405], // 10→0/s ramp: 10x − 5x² = 4
    [45, 8_000], // Λ stays 45 through the zero-rate stretch: the arrival waits for the rate to resume
    [46, 8_050],
    [85, 10_000],
    [94, 10_683.772_234], // 20→0/s ramp: 20x − 10x² = 9
  ])('multi-stage: arrival %d at %d ms', (k, ms) => {
    const times = all(rampingArrivalRate.arrivals(multiStage, { spacing: 'even' }));
    expect(times).toHaveLength(95);
    expect(Math.abs((times[k] ?? Number.NaN) - ms)).toBeLessThan(1e-5);
  });

  it('multi-stage: nothing arrives inside the zero-rate stretch, and times ascend', () => {
    const times = all(rampingArrivalRate.arrivals(multiStage, { spacing: 'even' }));
    expect(times.filter((t) => t > 6_000 && t < 8_000)).toEqual([]);
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] ?? Number.NaN))).toBe(true);
  });

  it('a leading zero-rate stretch holds the first arrival until the rate starts', () => {
    const config = rampingArrivalRate.validate({ stages: [{ duration: '1s', target: 0 }, { duration: 0, target: 10 }, { duration: '1s', target: 10 }] }, 'load');
    expect(all(rampingArrivalRate.arrivals(config, { spacing: 'even' }))).toEqual([1_000, 1_100, 1_200, 1_300, 1_400, 1_500, 1_600, 1_700, 1_800, 1_900]);
  });

  it.each([
    [-1, 0],
    [0, 0],
    [1_000, 5],
    [3_000, 10],
    [5_500, 5],
    [6_000, 0],
    [7_999, 0],
    [8_000, 20],
    [10_500, 10],
    [11_000, 0],
  ])('multi-stage: rateAt(%d ms) is %d/s', (t, rate) => {
    expect(rampingArrivalRate.rateAt(multiStage, t)).toBeCloseTo(rate, 9);
  });

  it.each([
    [0, 2_000, 10],
    [1_000, 3_000, 17.5],
    [2_000, 5_000, 30],
    [6_000, 8_000, 0],
    [0, 11_000, 95],
    [-1_000, 60_000, 95],
  ])('multi-stage: expectedArrivals(%d, %d) is %d', (from, to, expected) => {
    expect(rampingArrivalRate.expectedArrivals(multiStage, from, to)).toBeCloseTo(expected, 9);
  });

  it('reproduces k6 TestRampingArrivalRateCal (k6 counts arrivals from the end of each unit, we from its start)', () => {
    const config = rampingArrivalRate.validate(
      { startRate: 0, stages: [{ duration: '5s', target: 1 }, { duration: '1s', target: 1 }, { duration: '5s', target: 0 }] },
      'load',
    );
    const k6 = [3_162, 4_472, 5_500, 6_527, 7_837, 11_000];
    const ours = all(rampingArrivalRate.arrivals(config, { spacing: 'even' })).map(Math.floor);
    expect(ours).toEqual([0, ...k6.slice(0, -1)]);
  });

  it.each(plans)('%s: expectedArrivals matches the count of even arrivals in any window (±1)', (_, plan) => {
    const times = even(plan);
    expect(Math.abs(times.length - planExpected(plan, 0, plan.durationMs))).toBeLessThan(1);
    const T = plan.durationMs;
    for (const [a, b] of [[0, T], [0, T / 3], [T / 7, T / 2], [T / 2, T], [0.123 * T, 0.877 * T], [T / 5, T / 5 + 1]] as const) {
      const inWindow = times.filter((t) => t >= a && t < b).length;
      expect(Math.abs(inWindow - planExpected(plan, a, b))).toBeLessThanOrEqual(1);
    }
  });
});

describe('curve', () => {
  it('a linear curve gives the same arrivals as the equivalent ramp', () => {
    const config = curve.validate({ rate: (t: number) => 10 * t, duration: '10s' }, 'load');
    const times = all(curve.arrivals(config, { spacing: 'even' }));
    const ramp = all(rampingArrivalRate.arrivals(ramp0to100, { spacing: 'even' }));
    expect(times).toHaveLength(ramp.length);
    expect(Math.max(...times.map((t, k) => Math.abs(t - (ramp[k] ?? Number.NaN))))).toBeLessThan(1e-6);
  });

  it('a constant curve gives the constant executor’s arrivals', () => {
    const config = curve.validate({ rate: () => 500, duration: 10_000, resolution: '1s' }, 'load');
    expect(all(curve.arrivals(config, { spacing: 'even' }))).toEqual(all(constantArrivalRate.arrivals(constant500, { spacing: 'even' })));
  });

  it('integrates a smooth curve closely, and plans (and reports) its interpolant on the grid', () => {
    // 50 + 40·sin(2πt/10) over two whole periods: the integral is 50 × 20 = 1000.
    const rate = (t: number): number => 50 + 40 * Math.sin((2 * Math.PI * t) / 10);
    const config = curve.validate({ rate, duration: '20s' }, 'load');
    expect(Math.abs(curve.expectedArrivals(config, 0, 20_000) - 1_000)).toBeLessThan(0.01);
    expect(Math.abs(curve.expectedArrivals(config, 0, 2_500) - (125 + 200 / Math.PI))).toBeLessThan(0.05);
    expect(curve.rateAt(config, 2_500)).toBeCloseTo(rate(2.5), 9);
    expect(curve.rateAt(config, 2_550)).toBeCloseTo((rate(2.5) + rate(2.6)) / 2, 9);
    expect(all(curve.arrivals(config, { spacing: 'even' }))).toHaveLength(1_000);
  });

  it('grids the end of a duration that is not a whole number of steps', () => {
    const config = curve.validate({ rate: () => 1_000, duration: 1_050, resolution: 100 }, 'load');
    expect(curve.plan(config).durationMs).toBe(1_050);
    expect(curve.expectedArrivals(config, 0, 1_050)).toBeCloseTo(1_050, 9);
  });

  it.each([
    [{ rate: (t: number) => (t > 5 ? -1 : 1), duration: '10s' }, 'load.rate: expected a finite number >= 0 at every grid point, got -1 at t=5.1s (and 49 more of 101 grid points)'],
    [{ rate: () => Number.NaN, duration: '1s', resolution: '500ms' }, 'load.rate: expected a finite number >= 0 at every grid point, got NaN at t=0s (and 2 more of 3 grid points)'],
    [{ rate: (t: number) => { if (t > 0.5) throw new Error('off the end'); return 1; }, duration: '1s', resolution: '500ms' }, 'load.rate: expected a finite number >= 0 at every grid point, threw at t=1s: off the end'],
    [{ rate: 5, duration: '1s' }, 'load.rate: expected a function (tSeconds) => arrivals per second, got 5'],
    [{ duration: '1s' }, 'load.rate: missing; expected a function'],
    [{ rate: () => 1, duration: '30d', resolution: '1ms' }, 'load.resolution: expected at most 1000000 grid points'],
  ] as const)('validate: %#', (raw, message) => {
    expect(thrown(() => curve.validate(raw, 'load')).message).toContain(message);
  });
});

describe('poisson arrivals', () => {
  const rampPlan = rampingArrivalRate.plan(ramp0to100);

  it('are determined by the seed', () => {
    expect(poisson(rampPlan, createRandom(5))).toEqual(poisson(rampPlan, createRandom(5)));
    expect(poisson(rampPlan, createRandom(5))).not.toEqual(poisson(rampPlan, createRandom(6)));
    const opts: ArrivalOptions = { spacing: 'poisson', random: createRandom(5) };
    expect(all(rampingArrivalRate.arrivals(ramp0to100, opts))).toEqual(all(rampingArrivalRate.arrivals(ramp0to100, opts)));
  });

  it.each(plans)('%s: ascend within [0, T) and their mean count is within 3 sigma of the integral', (_, plan) => {
    const runs = 200;
    let total = 0;
    for (let seed = 0; seed < runs; seed++) {
      const times = poisson(plan, createRandom(seed));
      total += times.length;
      expect(times.every((t, i) => t >= (times[i - 1] ?? 0) && t < plan.durationMs)).toBe(true);
    }
    expect(Math.abs(total / runs - plan.total)).toBeLessThan(3 * Math.sqrt(plan.total / runs));
  });

  it('follow the ramp, not just its total: a quarter of 0→100/s falls in the first half', () => {
    let firstHalf = 0;
    for (let seed = 0; seed < 200; seed++) firstHalf += countBefore(poisson(rampPlan, createRandom(seed)), 5_000);
    const expected = 200 * planExpected(rampPlan, 0, 5_000); // 200 × 125
    expect(Math.abs(firstHalf - expected)).toBeLessThan(3 * Math.sqrt(expected));
  });

  it('never arrive inside a zero-rate stretch', () => {
    const plan = rampingArrivalRate.plan(multiStage);
    for (let seed = 0; seed < 50; seed++) {
      expect(poisson(plan, createRandom(seed)).filter((t) => t > 6_000 && t < 8_000)).toEqual([]);
    }
  });
});

describe('shares across 3 workers', () => {
  const shares = [0, 1, 2].map((index) => ({ index, of: 3 }));

  it.each(plans)('%s, even: worker i takes arrivals k ≡ i (mod 3); the union is the schedule', (_, plan) => {
    const whole = even(plan);
    const parts = shares.map((share) => even(plan, share));
    parts.forEach((part, i) => expect(part).toEqual(whole.filter((_, k) => k % 3 === i)));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(whole);
  });

  it.each(plans)('%s, poisson: disjoint shares whose union is the unsplit schedule, point for point', (_, plan) => {
    for (let seed = 0; seed < 5; seed++) {
      const whole = poisson(plan, createRandom(seed));
      const parts = shares.map((share) => poisson(plan, createRandom(seed), share));
      expect(parts.flat().sort((a, b) => a - b)).toEqual(whole);
      expect(parts.reduce((n, p) => n + p.length, 0)).toBe(whole.length);
    }
  });

  it('poisson: each share alone averages a third of the integral (within 3 sigma)', () => {
    const plan = rampingArrivalRate.plan(ramp0to100);
    const runs = 100;
    for (const share of shares) {
      let total = 0;
      for (let seed = 0; seed < runs; seed++) total += poisson(plan, createRandom(seed), share).length;
      expect(Math.abs(total / runs - plan.total / 3)).toBeLessThan(3 * Math.sqrt(plan.total / 3 / runs));
    }
  });

  it.each([
    { index: 3, of: 3 },
    { index: -1, of: 3 },
    { index: 0, of: 0 },
    { index: 0.5, of: 2 },
  ])('rejects share %j', (share) => {
    expect(thrown(() => even(constantArrivalRate.plan(constant500), share)).code).toBe('EXECUTOR_SHARE_INVALID');
  });
});

describe('validate', () => {
  it('takes arrivals evenly spaced unless told poisson', () => {
    expect(constantArrivalRate.validate({ rate: 5, duration: '1s' }, 'load').spacing).toBe('even');
    expect(constantArrivalRate.validate({ rate: 5, duration: '1s', spacing: 'poisson' }, 'load').spacing).toBe('poisson');
    expect(rampingArrivalRate.validate({ startRate: 1, stages: [{ duration: '1s', target: 2 }], spacing: 'poisson' }, 'load').spacing).toBe('poisson');
  });

  it('collects every problem, naming each field', () => {
    const raw = {
      startRate: -1,
      stages: [{ duration: '10s', target: 5 }, { duration: 'soon', target: -5 }, 7],
      timeUnit: 0,
      bogus: 1,
    };
    const err = thrown(() => rampingArrivalRate.validate(raw, 'load'));
    expect(err.code).toBe('EXECUTOR_CONFIG_INVALID');
    expect(err.exitCode).toBe(ExitCode.invalidInput);
    expect(err.message.split('\n')).toEqual([
      '6 problems in load:',
      'load.bogus: unknown field (expected one of startRate, stages, timeUnit, maxInFlight, spacing, gracefulStop, executor)',
      'load.startRate: expected a number >= 0, got -1',
      'load.stages[1].duration: expected a duration such as "10s", "500ms", "1m30s", "2h" or a number of milliseconds, got "soon"',
      'load.stages[1].target: expected a number >= 0, got -5',
      'load.stages[2]: expected an object, got 7',
      'load.timeUnit: expected a duration > 0, got 0',
    ]);
  });

  const cases: ReadonlyArray<readonly [string, unknown, string, (raw: unknown, where: string) => unknown]> = [
    ['constant-arrival-rate', { duration: '1s' }, 'load.rate: missing; expected a number > 0', constantArrivalRate.validate],
    ['constant-arrival-rate', { rate: 5, duration: '1s', spacing: 'random' }, 'load.spacing: expected "even" or "poisson", got "random"', constantArrivalRate.validate],
    ['constant-arrival-rate', { rate: 0, duration: '1s' }, 'load.rate: expected a number > 0, got 0', constantArrivalRate.validate],
    ['constant-arrival-rate', { rate: '5', duration: '1s' }, 'load.rate: expected a number > 0, got "5"', constantArrivalRate.validate],
    ['constant-arrival-rate', { rate: 5 }, 'load.duration: missing; expected a duration > 0 such as "10s"', constantArrivalRate.validate],
    ['constant-arrival-rate', { rate: 5, duration: '0s' }, 'load.duration: expected a duration > 0, got "0s"', constantArrivalRate.validate],
    ['constant-arrival-rate', { rate: 5, duration: '1s', maxInFlight: 2.5 }, 'load.maxInFlight: expected a whole number >= 1, got 2.5', constantArrivalRate.validate],
    ['constant-arrival-rate', { executor: 'constant-vus', rate: 5, duration: '1s' }, 'load.executor: expected "constant-arrival-rate", got "constant-vus"', constantArrivalRate.validate],
    ['constant-arrival-rate', [1, 2], 'load: expected an object, got [1,2]', constantArrivalRate.validate],
    ['ramping-arrival-rate', {}, 'load.stages: missing; expected a non-empty array of { duration, target }', rampingArrivalRate.validate],
    ['ramping-arrival-rate', { stages: [] }, 'load.stages: expected a non-empty array of { duration, target }, got []', rampingArrivalRate.validate],
    ['ramping-arrival-rate', { stages: [{ duration: 0, target: 5 }] }, 'load.stages: expected a total duration > 0, got 0', rampingArrivalRate.validate],
    ['ramping-arrival-rate', { stages: [{ duration: '1s', target: 0 }] }, 'load.stages: expected startRate or some stage target > 0; every rate is 0', rampingArrivalRate.validate],
    ['ramping-arrival-rate', { stages: [{ target: 5 }] }, 'load.stages[0].duration: missing; expected a duration such as "10s"', rampingArrivalRate.validate],
    ['constant-vus', { vus: 0, duration: '1s' }, 'load.vus: expected a whole number >= 1, got 0', constantVus.validate],
    ['ramping-vus', { stages: [{ duration: '1s', target: 1.5 }] }, 'load.stages[0].target: expected a whole number >= 0, got 1.5', rampingVus.validate],
    ['ramping-vus', { startVUs: 0, stages: [{ duration: '1s', target: 0 }] }, 'load.stages: expected startVUs or some stage target > 0; every count is 0', rampingVus.validate],
  ];
  it.each(cases)('%s: %j', (_, raw, message, validate) => {
    expect(thrown(() => validate(raw, 'load')).message).toBe(message);
  });

  it('names top-level fields without a prefix when where is empty', () => {
    expect(thrown(() => constantArrivalRate.validate({ rate: -1, duration: '1s' }, '')).message).toBe('rate: expected a number > 0, got -1');
  });

  it('reads problems in field order: unknown fields, the executor, each field (a stage\'s unknown fields first), the rules, spacing last', () => {
    const raw = { executor: 'curve', spacing: 'random', stages: [{ duration: 0, target: 0, colour: 'red' }], extra: 1 };
    expect(thrown(() => rampingArrivalRate.validate(raw, 'load')).problems).toEqual([
      { path: 'load.extra', message: 'unknown field (expected one of startRate, stages, timeUnit, maxInFlight, spacing, gracefulStop, executor)' },
      { path: 'load.executor', message: 'expected "ramping-arrival-rate", got "curve"' },
      { path: 'load.stages[0].colour', message: 'unknown field (expected one of duration, target)' },
      { path: 'load.stages', message: 'expected a total duration > 0, got 0' },
      { path: 'load.stages', message: 'expected startRate or some stage target > 0; every rate is 0' },
      { path: 'load.spacing', message: 'expected "even" or "poisson", got "random"' },
    ]);
    const curveRaw = { rate: () => -1, duration: '1s', maxInFlight: 0, spacing: 'x' };
    expect(thrown(() => curve.validate(curveRaw, 'load')).problems).toEqual([
      { path: 'load.maxInFlight', message: 'expected a whole number >= 1, got 0' },
      { path: 'load.rate', message: 'expected a finite number >= 0 at every grid point, got -1 at t=0s (and 10 more of 11 grid points)' },
      { path: 'load.spacing', message: 'expected "even" or "poisson", got "x"' },
    ]);
  });

  it('checks a rule across fields even when other fields fail, and names a config that is not an object', () => {
    expect(thrown(() => rampingVus.validate({ startVUs: -1, stages: [{ duration: 0, target: 1.5 }] }, 'load')).problems).toEqual([
      { path: 'load.startVUs', message: 'expected a whole number >= 0, got -1' },
      { path: 'load.stages[0].target', message: 'expected a whole number >= 0, got 1.5' },
      { path: 'load.stages', message: 'expected a total duration > 0, got 0' },
    ]);
    expect(thrown(() => constantVus.validate(null, '')).problems).toEqual([{ path: '(config)', message: 'expected an object, got null' }]);
    expect(thrown(() => rampingVus.validate({ stages: 'x' }, 'load')).message).toBe('load.stages: expected a non-empty array of { duration, target }, got "x"');
  });

  it('freezes what it returns, stages included, and leaves a curve\'s function alone', () => {
    const ramp = rampingVus.validate({ stages: [{ duration: '1s', target: 2 }] }, 'load');
    expect(Object.isFrozen(ramp) && Object.isFrozen(ramp.stages) && Object.isFrozen(ramp.stages[0])).toBe(true);
    const rate = (): number => 1;
    const config = curve.validate({ rate, duration: '1s' }, 'load');
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.rate).toBe(rate);
    expect(Object.isFrozen(rate)).toBe(false);
  });

  it('exposes each executor\'s zod schema, the one validate reads with', () => {
    for (const executor of Object.values(executors)) expect(executor.schema.safeParse({}).success).toBe(false);
    expect(constantVus.schema.parse({ duration: '1m' })).toEqual({ executor: 'constant-vus', vus: 1, duration: 60_000 });
  });

  it('dispatches on the executor field through the literal map', () => {
    expect(validateExecutor({ executor: 'constant-vus', vus: 3, duration: '1m' }, 'load')).toEqual({ executor: 'constant-vus', vus: 3, duration: 60_000 });
    expect(thrown(() => validateExecutor({ executor: 'per-vu-iterations' }, 'scenarios.a')).message).toBe(
      'scenarios.a.executor: expected one of constant-arrival-rate, ramping-arrival-rate, curve, constant-vus, ramping-vus, got "per-vu-iterations"',
    );
    for (const [name, executor] of Object.entries(executors)) expect(executor.name).toBe(name);
    const configs: ArrivalRateConfig[] = [constant500, ramp0to100, curve.validate({ rate: () => 1, duration: '1s' }, '')];
    for (const config of configs) expect(planOf(config).durationMs).toBe(executors[config.executor].totalDuration(config as never));
  });
});

describe('VU executors', () => {
  it.each([
    [-1, 0],
    [0, 5],
    [59_999, 5],
    [60_000, 0],
  ])('constant-vus: vusAt(%d ms) is %d', (t, vus) => {
    const config = constantVus.validate({ vus: 5, duration: '1m' }, 'load');
    expect(constantVus.vusAt(config, t)).toBe(vus);
  });

  const ramp = rampingVus.validate(
    {
      startVUs: 0,
      stages: [
        { duration: '10s', target: 10 },
        { duration: '5s', target: 10 },
        { duration: '10s', target: 0 },
        { duration: 0, target: 4 },
        { duration: '2s', target: 4 },
      ],
    },
    'load',
  );
  it.each([
    [-1, 0],
    [0, 0],
    [999, 0],
    [1_000, 1],
    [9_999, 9],
    [10_000, 10],
    [15_000, 10],
    [15_999, 10], // ramping down: the count drops when the line reaches the next whole number
    [16_000, 9],
    [24_999, 1],
    [25_000, 4],
    [26_999, 4],
    [27_000, 0],
  ])('ramping-vus: vusAt(%d ms) is %d', (t, vus) => {
    expect(rampingVus.vusAt(ramp, t)).toBe(vus);
  });

  it('ramping-vus: defaults, totals and peak', () => {
    const config = rampingVus.validate({ stages: [{ duration: '30s', target: 3 }] }, 'load');
    expect(config.startVUs).toBe(1);
    expect(rampingVus.vusAt(config, 0)).toBe(1);
    expect(rampingVus.totalDuration(ramp)).toBe(27_000);
    expect(rampingVus.maxVUs(ramp)).toBe(10);
  });
});
