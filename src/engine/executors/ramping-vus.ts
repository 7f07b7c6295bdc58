import type { z } from 'zod';
import { type ExecutorCommon, executorObject, number, rampRule, type Stage, stages, withRule } from './fields.js';
import { readConfig } from './read-config.js';
import type { VuExecutor } from './types.js';

/**
 * VUs (closed model) moving linearly from `startVUs` to each stage's `target` over the stage's
 * `duration`, as k6's ramping-vus. The count is whole and changes at the instant the line
 * crosses a whole number: floor of the line while ramping up, ceiling while ramping down (k6's
 * getRawExecutionSteps), so a ramp from 0 to 10 over 10 s adds a VU each second, and one from
 * 10 to 0 removes one each second. A zero-length stage is an instant jump.
 */
export const NAME = 'ramping-vus';

export interface RampingVusConfig extends ExecutorCommon {
  readonly executor: typeof NAME;
  readonly startVUs: number;
  /** `duration` in ms; `target` in VUs. */
  readonly stages: readonly Stage[];
}

export const defaults = { startVUs: 1 } as const;

export const schema: z.ZodType<RampingVusConfig> = withRule(
  executorObject(NAME, {
    startVUs: number({ integer: true, min: 0, default: defaults.startVUs }),
    stages: stages({ integer: true, min: 0 }),
  }),
  rampRule('startVUs', 'count'),
);

export function validate(raw: unknown, where: string): RampingVusConfig {
  return readConfig(schema, raw, where);
}

export function totalDuration(config: RampingVusConfig): number {
  return config.stages.reduce((sum, stage) => sum + stage.duration, 0);
}

export function vusAt(config: RampingVusConfig, tMs: number): number {
  if (!(tMs >= 0)) return 0;
  let from = config.startVUs;
  let start = 0;
  for (const stage of config.stages) {
    const end = start + stage.duration;
    if (tMs < end) {
      const to = stage.target;
      const crossed = Math.floor((Math.abs(to - from) * (tMs - start)) / stage.duration);
      return to >= from ? from + crossed : from - crossed;
    }
    start = end;
    from = stage.target;
  }
  return 0;
}

export function maxVUs(config: RampingVusConfig): number {
  return config.stages.reduce((max, stage) => Math.max(max, stage.target), config.startVUs);
}

export const rampingVus = {
  name: NAME,
  model: 'closed',
  defaults,
  schema,
  validate,
  totalDuration,
  vusAt,
  maxVUs,
} as const satisfies VuExecutor<RampingVusConfig>;
