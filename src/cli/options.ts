import { parseDuration } from '../engine/executors/duration.js';
import { invalidInput } from '../errors.js';

/** Pure flag parsers: each names the flag in its error, so a bad value exits 2 with one line. */
export function parseCount(flag: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw.replaceAll('_', '')) ? Number(raw.replaceAll('_', '')) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidInput('FLAG_INVALID', `${flag}: expected a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function parsePort(flag: string, raw: string): number {
  return parseCount(flag, raw, 1, 65_535);
}

/** A duration flag: k6's syntax ("500ms", "10s", "1m30s"), a bare number in seconds. */
export function durationFlag(flag: string, raw: string, zeroOk = false): number {
  const ms = parseDuration(/^\d+$/.test(raw) ? `${raw}s` : raw, flag);
  if (ms < (zeroOk ? 0 : 1_000)) throw invalidInput('FLAG_INVALID', `${flag}: expected a duration of at least ${zeroOk ? '0s' : '1s'}, got "${raw}"`);
  return ms;
}

/** A number flag that may have a fraction ("20", "2.5"), from min to max. */
export function parseNumber(flag: string, raw: string, min: number, max: number): number {
  const value = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw invalidInput('FLAG_INVALID', `${flag}: expected a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** `--compress N` as loadScenario takes it: simulated seconds per real second, as `city.clock.compress`. */
export function compressOption(raw: string | undefined): { compress?: number } {
  return raw === undefined ? {} : { compress: parseNumber('--compress', raw, 1, 3600) };
}
