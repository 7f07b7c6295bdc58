import { z } from 'zod';
import { constantArrivalRate, type ConstantArrivalRateConfig } from './constant-arrival-rate.js';
import { constantVus, type ConstantVusConfig } from './constant-vus.js';
import { curve, type CurveConfig } from './curve.js';
import { describeValue } from './describe-value.js';
import { isRecord } from './fields.js';
import { rampingArrivalRate, type RampingArrivalRateConfig } from './ramping-arrival-rate.js';
import { rampingVus, type RampingVusConfig } from './ramping-vus.js';
import type { RatePlan } from './rate-plan.js';
import { pathOf, readConfig } from './read-config.js';

/** Every executor, by the name a scenario gives in its `executor` field. */
export const executors = {
  'constant-arrival-rate': constantArrivalRate,
  'ramping-arrival-rate': rampingArrivalRate,
  curve,
  'constant-vus': constantVus,
  'ramping-vus': rampingVus,
} as const;

export type ExecutorName = keyof typeof executors;
export type ArrivalRateConfig = ConstantArrivalRateConfig | RampingArrivalRateConfig | CurveConfig;
export type VusConfig = ConstantVusConfig | RampingVusConfig;
export type ExecutorConfig = ArrivalRateConfig | VusConfig;

const NAMES = Object.keys(executors) as [ExecutorName, ...ExecutorName[]];
const executorName = z.enum(NAMES, { error: (issue) => `expected one of ${NAMES.join(', ')}, got ${describeValue(issue.input)}` });

/** Validates `raw` with the executor its `executor` field names. */
export function validateExecutor(raw: unknown, where: string): ExecutorConfig {
  const name = readConfig(executorName, isRecord(raw) ? raw['executor'] : undefined, pathOf(where, ['executor']));
  return executors[name].validate(raw, where);
}

/** How long any executor's schedule runs, in ms. */
export function totalDurationOf(config: ExecutorConfig): number {
  switch (config.executor) {
    case 'constant-arrival-rate':
      return constantArrivalRate.totalDuration(config);
    case 'ramping-arrival-rate':
      return rampingArrivalRate.totalDuration(config);
    case 'curve':
      return curve.totalDuration(config);
    case 'constant-vus':
      return constantVus.totalDuration(config);
    case 'ramping-vus':
      return rampingVus.totalDuration(config);
  }
}

/** The rate plan of any arrival-rate config, for code that follows plans generically. */
export function planOf(config: ArrivalRateConfig): RatePlan {
  switch (config.executor) {
    case 'constant-arrival-rate':
      return constantArrivalRate.plan(config);
    case 'ramping-arrival-rate':
      return rampingArrivalRate.plan(config);
    case 'curve':
      return curve.plan(config);
  }
}

export { parseDuration } from './duration.js';
export type { Stage } from './fields.js';
export {
  planArrivals,
  planExpected,
  planIntegral,
  planRateAt,
  type ArrivalOptions,
  type RatePlan,
  type RateSegment,
  type Share,
  type Spacing,
} from './rate-plan.js';
export type { ArrivalRateExecutor, VuExecutor } from './types.js';
export type { ConstantArrivalRateConfig, ConstantVusConfig, CurveConfig, RampingArrivalRateConfig, RampingVusConfig };
