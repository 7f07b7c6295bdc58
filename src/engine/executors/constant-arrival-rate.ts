import { DEFAULT_MAX_IN_FLIGHT, Fields } from './fields.js';
import {
  linearPlan,
  memoPlan,
  type RatePlan,
  planQueries,
} from './rate-plan.js';
import type { ArrivalRateExecutor } from './types.js';

/** `rate` arrivals per `timeUnit`, for `duration`, whatever the system under test does (k6's constant-arrival-rate). */
export const NAME = 'constant-arrival-rate';

export interface ConstantArrivalRateConfig {
  readonly executor: typeof NAME;
  /** Arrivals per timeUnit, > 0. */
  readonly rate: number;
  /** ms. */
  readonly duration: number;
  /** ms. */
  readonly timeUnit: number;
  /** Iterations in flight beyond which an arrival is dropped and counted. */
  readonly maxInFlight: number;
  /** Arrivals evenly spaced, or a Poisson process (random, with the same rate). */
  readonly spacing: 'even' | 'poisson';
}

export const defaults = { timeUnit: 1_000, maxInFlight: DEFAULT_MAX_IN_FLIGHT } as const;

export function validate(raw: unknown, where: string): ConstantArrivalRateConfig {
  const fields = Fields.of(raw, where, NAME, ['rate', 'duration', 'timeUnit', 'maxInFlight', 'spacing']);
  const rate = fields.number('rate', { above: 0 });
  const duration = fields.duration('duration', { positive: true });
  const timeUnit = fields.duration('timeUnit', { positive: true, default: defaults.timeUnit });
  const maxInFlight = fields.number('maxInFlight', { integer: true, min: 1, default: defaults.maxInFlight });
  const spacing = fields.spacing();
  fields.finish();
  return Object.freeze({ executor: NAME, rate, duration, timeUnit, maxInFlight, spacing });
}

export const plan: (config: ConstantArrivalRateConfig) => RatePlan = memoPlan((config) => {
  const perSecond = (config.rate * 1_000) / config.timeUnit;
  return linearPlan([{ durationMs: config.duration, fromRate: perSecond, toRate: perSecond }]);
});

export function totalDuration(config: ConstantArrivalRateConfig): number {
  return config.duration;
}

export const { rateAt, expectedArrivals, arrivals } = planQueries(plan);

export const constantArrivalRate = {
  name: NAME,
  model: 'open',
  defaults,
  validate,
  totalDuration,
  plan,
  rateAt,
  expectedArrivals,
  arrivals,
} as const satisfies ArrivalRateExecutor<ConstantArrivalRateConfig>;
