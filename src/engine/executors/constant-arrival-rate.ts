import type { z } from 'zod';
import { DEFAULT_MAX_IN_FLIGHT, duration, type ExecutorCommon, executorObject, number, spacing } from './fields.js';
import {
  linearPlan,
  memoPlan,
  type RatePlan,
  planQueries,
} from './rate-plan.js';
import { readConfig } from './read-config.js';
import type { ArrivalRateExecutor } from './types.js';

/** `rate` arrivals per `timeUnit`, for `duration`, whatever the system under test does (k6's constant-arrival-rate). */
export const NAME = 'constant-arrival-rate';

export interface ConstantArrivalRateConfig extends ExecutorCommon {
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

export const schema: z.ZodType<ConstantArrivalRateConfig> = executorObject(NAME, {
  rate: number({ above: 0 }),
  duration: duration({ positive: true }),
  timeUnit: duration({ positive: true, default: defaults.timeUnit }),
  maxInFlight: number({ integer: true, min: 1, default: defaults.maxInFlight }),
  spacing,
});

export function validate(raw: unknown, where: string): ConstantArrivalRateConfig {
  return readConfig(schema, raw, where);
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
  schema,
  validate,
  totalDuration,
  plan,
  rateAt,
  expectedArrivals,
  arrivals,
} as const satisfies ArrivalRateExecutor<ConstantArrivalRateConfig>;
