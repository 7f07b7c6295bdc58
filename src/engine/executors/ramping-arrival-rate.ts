import type { z } from 'zod';
import { DEFAULT_MAX_IN_FLIGHT, duration, type ExecutorCommon, executorObject, number, rampRule, spacing, type Stage, stages, withRule } from './fields.js';
import {
  linearPlan,
  memoPlan,
  type RatePlan,
  planQueries,
} from './rate-plan.js';
import { readConfig } from './read-config.js';
import type { ArrivalRateExecutor } from './types.js';

/**
 * Arrivals at a rate that moves linearly from `startRate` to each stage's `target` over the
 * stage's `duration`, as k6's ramping-arrival-rate. A zero-length stage is an instant jump;
 * rates are per `timeUnit`.
 */
export const NAME = 'ramping-arrival-rate';

export interface RampingArrivalRateConfig extends ExecutorCommon {
  readonly executor: typeof NAME;
  /** Arrivals per timeUnit at t = 0. */
  readonly startRate: number;
  /** `duration` in ms; `target` in arrivals per timeUnit. */
  readonly stages: readonly Stage[];
  /** ms. */
  readonly timeUnit: number;
  readonly maxInFlight: number;
  /** Arrivals evenly spaced, or a Poisson process (random, with the same rate). */
  readonly spacing: 'even' | 'poisson';
}

export const defaults = { startRate: 0, timeUnit: 1_000, maxInFlight: DEFAULT_MAX_IN_FLIGHT } as const;

export const schema: z.ZodType<RampingArrivalRateConfig> = withRule(
  executorObject(NAME, {
    startRate: number({ min: 0, default: defaults.startRate }),
    stages: stages({ min: 0 }),
    timeUnit: duration({ positive: true, default: defaults.timeUnit }),
    maxInFlight: number({ integer: true, min: 1, default: defaults.maxInFlight }),
    spacing,
  }),
  rampRule('startRate', 'rate'),
);

export function validate(raw: unknown, where: string): RampingArrivalRateConfig {
  return readConfig(schema, raw, where);
}

export const plan: (config: RampingArrivalRateConfig) => RatePlan = memoPlan((config) => {
  const perSecond = (rate: number): number => (rate * 1_000) / config.timeUnit;
  let from = perSecond(config.startRate);
  return linearPlan(
    config.stages.map((stage) => {
      const to = perSecond(stage.target);
      const piece = { durationMs: stage.duration, fromRate: from, toRate: to };
      from = to;
      return piece;
    }),
  );
});

export function totalDuration(config: RampingArrivalRateConfig): number {
  return config.stages.reduce((sum, stage) => sum + stage.duration, 0);
}

export const { rateAt, expectedArrivals, arrivals } = planQueries(plan);

export const rampingArrivalRate = {
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
} as const satisfies ArrivalRateExecutor<RampingArrivalRateConfig>;
