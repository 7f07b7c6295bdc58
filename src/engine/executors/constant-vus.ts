import type { z } from 'zod';
import { duration, type ExecutorCommon, executorObject, number } from './fields.js';
import { readConfig } from './read-config.js';
import type { VuExecutor } from './types.js';

/** A fixed number of VUs looping for `duration` (closed model), as k6's constant-vus. */
export const NAME = 'constant-vus';

export interface ConstantVusConfig extends ExecutorCommon {
  readonly executor: typeof NAME;
  readonly vus: number;
  /** ms. */
  readonly duration: number;
}

export const defaults = { vus: 1 } as const;

export const schema: z.ZodType<ConstantVusConfig> = executorObject(NAME, {
  vus: number({ integer: true, min: 1, default: defaults.vus }),
  duration: duration({ positive: true }),
});

export function validate(raw: unknown, where: string): ConstantVusConfig {
  return readConfig(schema, raw, where);
}

export function totalDuration(config: ConstantVusConfig): number {
  return config.duration;
}

export function vusAt(config: ConstantVusConfig, tMs: number): number {
  return tMs >= 0 && tMs < config.duration ? config.vus : 0;
}

export function maxVUs(config: ConstantVusConfig): number {
  return config.vus;
}

export const constantVus = {
  name: NAME,
  model: 'closed',
  defaults,
  schema,
  validate,
  totalDuration,
  vusAt,
  maxVUs,
} as const satisfies VuExecutor<ConstantVusConfig>;
