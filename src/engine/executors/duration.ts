import { invalidFields } from '../../errors.js';
import { describeValue } from './describe-value.js';

/**
 * Durations in executor config, as k6 reads them (types.GetDurationValue / ParseExtendedDuration),
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
 */
export function parseDuration(raw: unknown, where: string): number {
  const result = readDuration(raw);
  if (typeof result === 'string') throw invalidFields('INVALID_DURATION', [{ path: where, message: result }]);
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
  if (!SEGMENTS.test(raw)) return `${DURATION_EXPECTED}, got ${describeValue(raw)}`;
  let ms = 0;
  for (const match of raw.matchAll(SEGMENT)) {
    ms += scaled(match[1] ?? '', UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(ms)) return `${DURATION_EXPECTED}, got ${describeValue(raw)}`;
  return ms;
}

/** "1.1" × 1000 as 1000 + 1 × 1000 / 10, which is exact where Number("1.1") × 1000 is not. */
function scaled(decimal: string, unitMs: number): number {
  const [whole = '', fraction = ''] = decimal.split('.');
  const wholeMs = whole === '' ? 0 : Number(whole) * unitMs;
  return fraction === '' ? wholeMs : wholeMs + (Number(fraction) * unitMs) / 10 ** fraction.length;
}
