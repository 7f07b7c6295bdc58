import { parseDuration } from '../../src/engine/executors/duration.js';
import type { City, RetryInput } from '../city/schema.js';
import { MORNING, type MorningModel } from '../city/morning.js';
import { parseClockTime } from '../clock.js';
import { PEOPLE, RETRY_DEFAULTS, type People, type RetryPolicy } from '../people.js';

/** Throws (a plain Error naming the field) on a model time that is not a time of day; the
 *  schema has checked them already, so this is a guard, not a user-facing path. */
export function clockOf(text: string, field: string): number {
  const s = parseClockTime(text);
  if (s === undefined) throw new Error(`city.model.${field}: not a time of day: ${text}`);
  return s;
}

/** The built-in morning (sim/city/morning.ts) with the scenario's `city.model` laid over it. */
export function resolveModel(overrides: City['model']): MorningModel {
  return {
    ...MORNING,
    ...stripUndefined(overrides ?? {}),
    commute: { ...MORNING.commute, ...stripUndefined(overrides?.commute ?? {}) },
    round: { ...MORNING.round, ...stripUndefined(overrides?.round ?? {}) },
  } as MorningModel;
}

/** The built-in people (sim/people.ts) with the scenario's `city.people` laid over them. */
export function resolvePeople(overrides: City['people']): People {
  return {
    patienceMs: overrides?.patience === undefined ? PEOPLE.patienceMs : parseDuration(overrides.patience, 'city.people.patience'),
    reinstall: {
      young: overrides?.reinstall?.young ?? PEOPLE.reinstall.young,
      adult: overrides?.reinstall?.adult ?? PEOPLE.reinstall.adult,
      elderly: overrides?.reinstall?.elderly ?? PEOPLE.reinstall.elderly,
    },
    scanFailure: overrides?.scanFailure ?? PEOPLE.scanFailure,
    hospitalShare: overrides?.hospitalShare ?? PEOPLE.hospitalShare,
    positivity: overrides?.positivity ?? PEOPLE.positivity,
    comeBack: {
      times: overrides?.comeBack?.times ?? PEOPLE.comeBack.times,
      afterMs: overrides?.comeBack?.after === undefined ? PEOPLE.comeBack.afterMs : parseDuration(overrides.comeBack.after, 'city.people.comeBack.after'),
    },
  };
}

/** The retry policy: the defaults, then each layer given (the city's, a journey's) over it. */
export function resolveRetry(...layers: readonly (RetryInput | undefined)[]): RetryPolicy {
  let out: RetryPolicy = RETRY_DEFAULTS;
  for (const layer of layers) {
    if (layer === undefined) continue;
    out = {
      policy: layer.policy ?? out.policy,
      maxAttempts: layer.maxAttempts ?? out.maxAttempts,
      tapMs: layer.tap === undefined ? out.tapMs : parseDuration(layer.tap, 'retry.tap'),
      baseMs: layer.base === undefined ? out.baseMs : parseDuration(layer.base, 'retry.base'),
      capMs: layer.cap === undefined ? out.capMs : parseDuration(layer.cap, 'retry.cap'),
      budget: layer.budget ?? out.budget,
    };
  }
  return out;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
