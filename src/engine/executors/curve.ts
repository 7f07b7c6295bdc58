import { z } from 'zod';
import { errorMessage } from '../../errors.js';
import { describeValue } from './describe-value.js';
import { DEFAULT_MAX_IN_FLIGHT, duration, type ExecutorCommon, executorObject, expecting, number, spacing, withRule } from './fields.js';
import {
  linearPlan,
  memoPlan,
  type RatePiece,
  type RatePlan,
  planQueries,
} from './rate-plan.js';
import { readConfig } from './read-config.js';
import type { ArrivalRateExecutor } from './types.js';

/**
 * Arrivals following an arbitrary rate curve supplied in code (the simulator's model of a
 * morning), `rate(tSeconds)` in arrivals per second, for `duration`.
 *
 * The curve is sampled on a grid every `resolution` (and at the end), and the plan is the
 * piecewise-linear interpolant of those samples: the same samples `validate` checks, so what was
 * validated is exactly what runs, and everything downstream (rateAt, expectedArrivals, the even
 * and Poisson arrivals) is exact for that plan. `rateAt` reports the interpolant, not the raw
 * curve, so that it agrees with the arrivals. Between grid points the interpolant is >= 0 even
 * where the curve itself might dip below.
 */
export const NAME = 'curve';

export type RateCurve = (tSeconds: number) => number;

export interface CurveConfig extends ExecutorCommon {
  readonly executor: typeof NAME;
  /** Arrivals per second at t seconds from the start; called only at grid points. */
  readonly rate: RateCurve;
  /** ms. */
  readonly duration: number;
  /** Grid step in ms. */
  readonly resolution: number;
  readonly maxInFlight: number;
  /** Arrivals evenly spaced, or a Poisson process (random, with the same rate). */
  readonly spacing: 'even' | 'poisson';
}

export const defaults = { resolution: 100, maxInFlight: DEFAULT_MAX_IN_FLIGHT } as const;

/** A bound on the grid, so that a typo in `duration` cannot ask for a billion samples. */
export const MAX_GRID_POINTS = 1_000_000;

export const schema: z.ZodType<CurveConfig> = withRule(
  executorObject(NAME, {
    rate: z.custom<RateCurve>((raw) => typeof raw === 'function', { error: expecting('expected a function (tSeconds) => arrivals per second') }),
    duration: duration({ positive: true }),
    resolution: duration({ positive: true, default: defaults.resolution }),
    maxInFlight: number({ integer: true, min: 1, default: defaults.maxInFlight }),
    spacing,
  }),
  (seen, report, passed) => {
    if (!passed('rate', 'duration', 'resolution')) return;
    const { rate, duration, resolution } = seen as unknown as Pick<CurveConfig, 'rate' | 'duration' | 'resolution'>;
    const points = gridSize(duration, resolution);
    if (points > MAX_GRID_POINTS) {
      report('resolution', `expected at most ${MAX_GRID_POINTS} grid points over the duration, got ${points}; use a coarser resolution`);
      return;
    }
    const problem = curveProblem(rate, grid(duration, resolution));
    if (problem !== undefined) report('rate', problem);
  },
);

/** The rate function is only ever called on the grid, once `schema` has checked it there. */
export function validate(raw: unknown, where: string): CurveConfig {
  return readConfig(schema, raw, where);
}

/** Every grid point must give a finite rate >= 0; the first bad one is shown, the rest counted. */
function curveProblem(rate: RateCurve, times: readonly number[]): string | undefined {
  let first: string | undefined;
  let bad = 0;
  for (const t of times) {
    let problem: string | undefined;
    try {
      const value: unknown = rate(t / 1_000);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) problem = `got ${describeValue(value)} at t=${t / 1_000}s`;
    } catch (err) {
      problem = `threw at t=${t / 1_000}s: ${errorMessage(err)}`;
    }
    if (problem === undefined) continue;
    bad++;
    first ??= problem;
  }
  if (first === undefined) return undefined;
  const more = bad > 1 ? ` (and ${bad - 1} more of ${times.length} grid points)` : '';
  return `expected a finite number >= 0 at every grid point, ${first}${more}`;
}

function gridSize(duration: number, step: number): number {
  return Math.ceil(duration / step - 1e-9) + 1;
}

/** 0, step, 2·step, … and the end, in ms (multiplied, not summed, so no drift). */
function grid(duration: number, step: number): number[] {
  const steps = gridSize(duration, step) - 1;
  const times: number[] = [];
  for (let j = 0; j < steps; j++) times.push(j * step);
  times.push(duration);
  return times;
}

export const plan: (config: CurveConfig) => RatePlan = memoPlan((config) => {
  const times = grid(config.duration, config.resolution);
  const rates = times.map((t) => config.rate(t / 1_000));
  const pieces: RatePiece[] = [];
  for (let j = 1; j < times.length; j++) {
    pieces.push({ durationMs: (times[j] ?? 0) - (times[j - 1] ?? 0), fromRate: rates[j - 1] ?? 0, toRate: rates[j] ?? 0 });
  }
  return linearPlan(pieces);
});

export function totalDuration(config: CurveConfig): number {
  return config.duration;
}

export const { rateAt, expectedArrivals, arrivals } = planQueries(plan);

export const curve = {
  name: NAME,
  model: 'open',
  defaults,
  schema,
  validate,
  totalDuration,
  plan,
  rateAt,
  expectedArrivals,
  arrivals,
} as const satisfies ArrivalRateExecutor<CurveConfig>;
