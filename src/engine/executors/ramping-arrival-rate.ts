import { DEFAULT_MAX_IN_FLIGHT, Fields, type Stage } from './fields.js';
import {
  linearPlan,
  memoPlan,
  type RatePlan,
  planQueries,
} from './rate-plan.js';
import type { ArrivalRateExecutor } from './types.js';

/**
 * Arrivals at a rate that moves linearly from `startRate` to each stage's `target` over the
 * stage's `duration`, as k6's ramping-arrival-rate. A zero-length stage is an instant jump;
 * rates are per `timeUnit`.
 */
export const NAME = 'ramping-arrival-rate';

export interface RampingArrivalRateConfig {
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

export function validate(raw: unknown, where: string): RampingArrivalRateConfig {
  const fields = Fields.of(raw, where, NAME, ['startRate', 'stages', 'timeUnit', 'maxInFlight', 'spacing']);
  const startRate = fields.number('startRate', { min: 0, default: defaults.startRate });
  const stages = fields.stages('stages', { min: 0 });
  const timeUnit = fields.duration('timeUnit', { positive: true, default: defaults.timeUnit });
  const maxInFlight = fields.number('maxInFlight', { integer: true, min: 1, default: defaults.maxInFlight });
  if (stages.length > 0 && stages.every((s) => s.duration === 0)) {
    fields.problem('stages', 'expected a total duration > 0, got 0');
  }
  if (startRate === 0 && stages.length > 0 && stages.every((s) => s.target === 0)) {
    fields.problem('stages', 'expected startRate or some stage target > 0; every rate is 0');
  }
  const spacing = fields.spacing();
  fields.finish();
  return Object.freeze({ executor: NAME, startRate, stages, timeUnit, maxInFlight, spacing });
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
  validate,
  totalDuration,
  plan,
  rateAt,
  expectedArrivals,
  arrivals,
} as const satisfies ArrivalRateExecutor<RampingArrivalRateConfig>;
