import { Fields } from './fields.js';
import type { VuExecutor } from './types.js';

/** A fixed number of VUs looping for `duration` (closed model), as k6's constant-vus. */
export const NAME = 'constant-vus';

export interface ConstantVusConfig {
  readonly executor: typeof NAME;
  readonly vus: number;
  /** ms. */
  readonly duration: number;
}

export const defaults = { vus: 1 } as const;

export function validate(raw: unknown, where: string): ConstantVusConfig {
  const fields = Fields.of(raw, where, NAME, ['vus', 'duration']);
  const vus = fields.number('vus', { integer: true, min: 1, default: defaults.vus });
  const duration = fields.duration('duration', { positive: true });
  fields.finish();
  return Object.freeze({ executor: NAME, vus, duration });
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
  validate,
  totalDuration,
  vusAt,
  maxVUs,
} as const satisfies VuExecutor<ConstantVusConfig>;
