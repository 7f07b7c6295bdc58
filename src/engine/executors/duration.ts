import { invalidFields } from '../../errors.js';
import { describeValue } from './describe-value.js';

/**
 * The one duration grammar of the project (scenario, executor, fault, SLO, city and threshold
 * fields, CLI flags all read durations here). Durations in config, as k6 reads them (types.GetDurationValue / ParseExtendedDuration),
 * always returned as milliseconds (possibly fractional):
 *
 *   duration := number                  a JSON number: milliseconds
 *             | plain                   a string with no unit: milliseconds, as k6 ("500")
 *             | segment { segment }     Go's time.ParseDuration plus k6's "d": "1m30s", "1.5h", "2d"
 *   plain    := digits [ "." digits ] | "." digits
 *   segment  := plain unit
 *   unit     := "ns" | "us" | "µs" | "ms" | "s" | "m" | "h" | "d"
 *
 * No sign, no spaces, no exponent. Negative durations are rejected: no executor field wants one.
 * Where a unit is required (a threshold's delayAbortEval, as k6's time.ParseDuration), only
 * `segment { segment }` is accepted: readUnitDuration.
 */
export function parseDuration(raw: unknown, where: string): number {
  const result = readDuration(raw);
  if (typeof result === 'string') throw invalidFields('DURATION_INVALID', [{ path: where, message: result }]);
  return result;
}

export const DURATION_EXPECTED = 'expected a duration such as "10s", "500ms", "1m30s", "2h" or a number of milliseconds';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu, which Go also accepts
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PLAIN = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const SEGMENTS = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d))+$/;
const SEGMENT = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/g;

/** Milliseconds, or the reason (without the field name) the value is not a duration. */
export function readDuration(raw: unknown): number | string {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return `${DURATION_EXPECTED}, got ${describeValue(raw)}`;
    if (raw < 0) return `expected a duration >= 0, got ${describeValue(raw)}`;
    return raw;
  }
  if (typeof raw !== 'string') return `${DURATION_EXPECTED}, got ${describeValue(raw)}`;
  if (raw.startsWith('-') && typeof readDuration(raw.slice(1)) === 'number') {
    return `expected a duration >= 0, got ${describeValue(raw)}`;
  }
  if (PLAIN.test(raw)) return scaled(raw, 1);
  return readUnitDuration(raw) ?? `${DURATION_EXPECTED}, got ${describeValue(raw)}`;
}

/** `segment { segment }` only (every part has its unit), in milliseconds; undefined otherwise. */
export function readUnitDuration(text: string): number | undefined {
  if (!SEGMENTS.test(text)) return undefined;
  let ms = 0;
  for (const match of text.matchAll(SEGMENT)) {
    ms += scaled(match[1] ?? '', UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(ms) ? ms : undefined;
}

/** "1.1" × 1000 as 1000 + 1 × 1000 / 10, which is exact where Number("1.1") × 1000 is not. */
function scaled(decimal: string, unitMs: number): number {
  const [whole = '', fraction = ''] = decimal.split('.');
  const wholeMs = whole === '' ? 0 : Number(whole) * unitMs;
  return fraction === '' ? wholeMs : wholeMs + (Number(fraction) * unitMs) / 10 ** fraction.length;
}

/**
 * When something happens in a scenario: "09:02" (a time of day on a city scenario's clock) or
 * "+30s" (an offset from the start, in the scenario's time). Faults' `at` and the SLO's goodput
 * windows read it; what it is in real seconds is the clock's business (src/faults/timeline.ts).
 */
export const AT_EXPECTED = 'expected a time of day "HH:MM[:SS]" on the city clock, or an offset such as "+30s"';
export function isScenarioTime(t: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(t) || (t.startsWith('+') && typeof readDuration(t.slice(1)) === 'number');
}
