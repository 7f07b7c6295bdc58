import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, JsHistogram, type Histogram } from 'hdr-histogram-js';
import { invalidInput } from '../errors.js';

/**
 * Latency histograms: HDR histograms of whole microseconds from 1 µs to 120 s at 3 significant
 * digits, so any value is kept to within 0.1% and histograms from different workers (or seconds)
 * add up exactly, as autocannon does. They travel as HDR's standard compressed base64 (V2), which
 * other HDR tools (Java, Go, Rust, the online plotters) can read too.
 *
 * Plain JS Int32 buckets: WASM records ~5x faster (measured 36 vs 180 ns) but its histograms must
 * be destroy()ed by hand and cannot be add()ed to JS ones; 180 ns is noise beside an HTTP request.
 * "packed" buckets save memory but encode ~40x slower. Each histogram holds 18,432 counters (~74 KB).
 *
 * Only `recordLatency` may record: the histogram does not resize, and its own recordValue throws
 * above its range, which would kill a worker mid-run.
 */
export type LatencyHistogram = JsHistogram;

export const LOWEST_US = 1;
export const HIGHEST_US = 120_000_000;
export const SIGNIFICANT_DIGITS = 3 as const;

export interface LatencySummary {
  readonly count: number;
  /** Milliseconds, to the histogram's resolution (0.1%). */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

/** The range and precision of a family of histograms; histograms of one layout merge exactly. */
export interface HistogramLayout {
  readonly lowest: number;
  readonly highest: number;
  readonly digits: 1 | 2 | 3 | 4 | 5;
  /** What it holds, for error messages. */
  readonly what: string;
}

export const LATENCY_LAYOUT: HistogramLayout = Object.freeze({ lowest: LOWEST_US, highest: HIGHEST_US, digits: SIGNIFICANT_DIGITS, what: 'a latency histogram' });

/**
 * Custom trends (k6's Trend) hold any number a journey records: a time in ms, a time of day in
 * seconds, a plain quantity. HDR keeps whole numbers, so a value is recorded in thousandths of its
 * unit (µs for a trend in ms), rounded: the resolution is 0.001 of the unit or 0.1 % of the value,
 * whichever is coarser, up to 2^40 thousandths (about 1.1e9 of the unit: 12.7 days in ms). A value
 * outside [0, that] is recorded at the nearer edge and counted as clamped; the trend's count, sum,
 * min and max are kept exactly beside the histogram, so avg, min and max are exact and only
 * percentiles carry the histogram's resolution (held inside the exact min and max; for a time of
 * day, 0.1 % is about 30 s at 09:00). 32,768 counters (128 KB) a histogram.
 */
export const VALUE_SCALE = 1000;
export const HIGHEST_VALUE = 2 ** 40;
export const VALUE_LAYOUT: HistogramLayout = Object.freeze({ lowest: 1, highest: HIGHEST_VALUE, digits: SIGNIFICANT_DIGITS, what: 'a custom trend histogram' });

export function createLatencyHistogram(): LatencyHistogram {
  return createHistogram(LATENCY_LAYOUT);
}

export function createHistogram(layout: HistogramLayout): LatencyHistogram {
  const h = build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: layout.lowest,
    highestTrackableValue: layout.highest,
    numberOfSignificantValueDigits: layout.digits,
    useWebAssembly: false,
  });
  if (!(h instanceof JsHistogram)) throw new Error('hdr-histogram-js built a WASM histogram without being asked to');
  return h;
}

/**
 * Records a custom trend's value (in its unit) into a VALUE_LAYOUT histogram; returns true when
 * it was out of range and recorded at the edge (a negative, or above HIGHEST_VALUE thousandths).
 */
export function recordValue(h: LatencyHistogram, value: number): boolean {
  const scaled = Math.round(value * VALUE_SCALE);
  if (scaled >= 0 && scaled <= HIGHEST_VALUE) {
    h.recordValue(scaled);
    return false;
  }
  h.recordValue(scaled > HIGHEST_VALUE ? HIGHEST_VALUE : 0);
  return true;
}

/**
 * Records `us` microseconds, rounded to a whole number. A value above HIGHEST_US is recorded as
 * HIGHEST_US, and a negative or NaN one as 0; either way it returns true so the caller can count it.
 */
export function recordLatency(h: LatencyHistogram, us: number): boolean {
  if (us >= 0 && us <= HIGHEST_US) {
    h.recordValue(Math.round(us));
    return false;
  }
  h.recordValue(us > HIGHEST_US ? HIGHEST_US : 0);
  return true;
}

export function encodeHistogram(h: LatencyHistogram): string {
  return encodeIntoCompressedBase64(h);
}

/**
 * The inverse of encodeHistogram. Throws METRICS_HISTOGRAM_INVALID (exit 2) for a string that is not a
 * V2 HDR histogram or one with another range or precision, which mergeInto could not add exactly.
 */
export function decodeHistogram(encoded: string, layout: HistogramLayout = LATENCY_LAYOUT): LatencyHistogram {
  let h: Histogram;
  try {
    h = decodeFromCompressedBase64(encoded);
  } catch (err) {
    throw invalidInput('METRICS_HISTOGRAM_INVALID', `not an encoded HDR histogram: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (
    !(h instanceof JsHistogram) ||
    h.lowestDiscernibleValue !== layout.lowest ||
    h.highestTrackableValue !== layout.highest ||
    h.numberOfSignificantValueDigits !== layout.digits
  ) {
    const shape = h instanceof JsHistogram ? `${h.lowestDiscernibleValue}..${h.highestTrackableValue}` : '?';
    throw invalidInput(
      'METRICS_HISTOGRAM_INVALID',
      `expected ${layout.what} of ${layout.lowest}..${layout.highest} at ${layout.digits} digits, got ${shape} at ${h.numberOfSignificantValueDigits}`,
    );
  }
  return h;
}

/** Adds every count of `source` to `target`, exactly (both have the same buckets). */
export function mergeInto(target: LatencyHistogram, source: LatencyHistogram): void {
  target.add(source);
}

/** One value in milliseconds; `percent` as in k6: 95, 99.9, 100. 0 for an empty histogram. */
export function percentileMs(h: LatencyHistogram, percent: number): number {
  return toMs(h.getValueAtPercentile(percent));
}

/**
 * Where a percentile of the population may lie, given only this sample of it: a distribution-free
 * confidence interval for a quantile, from order statistics. The number K of samples below the
 * true quantile q is Binomial(n, q); the interval runs from the sample at rank l to the one at
 * rank u, chosen from K's exact distribution so that each side misses with probability at most
 * (1 − confidence) / 2. When even the largest sample is too likely to lie below the quantile
 * (0.99^n > 2.5 %, fewer than 368 samples for a p99 at 95 %), the top is open: null.
 *
 * With 200 samples a p99 is known only to lie above about the p97.5, nothing more; with 1,000,
 * between about the p98.4 and the p99.6. A gate comparing p99s must not read a change inside
 * that band as a regression.
 */
export function percentileIntervalMs(h: LatencyHistogram, percent: number, confidence = 0.95): readonly [number, number | null] {
  const n = h.totalCount;
  if (n === 0) return [0, 0];
  if (!(percent > 0 && percent < 100)) return [percentileMs(h, percent), percentileMs(h, percent)];
  const q = percent / 100;
  const tail = (1 - confidence) / 2;
  // Walk K's distribution down from k = n, summing P(K ≥ k) in log space (q^n underflows).
  const step = Math.log((1 - q) / q);
  let logPmf = n * Math.log(q);
  let atLeast = 0;
  let upper = n + 1;
  let lower = 0;
  for (let k = n; k >= 1; k--) {
    atLeast += Math.exp(logPmf);
    if (atLeast <= tail) upper = k;
    if (atLeast >= 1 - tail) {
      lower = k;
      break;
    }
    logPmf += Math.log(k) - Math.log(n - k + 1) + step;
  }
  const atRank = (rank: number): number => percentileMs(h, (100 * (rank - 0.5)) / n);
  return [lower === 0 ? 0 : atRank(lower), upper > n ? null : atRank(upper)];
}

/**
 * Count, min, max, mean and percentiles in milliseconds. min and max are the edges of the lowest and
 * highest non-empty buckets (percentiles 0 and 100), not the raw extremes a live histogram keeps,
 * so a histogram summarizes the same before and after an encode/decode or merge.
 */
export function summarize(h: LatencyHistogram): LatencySummary {
  return {
    count: h.totalCount,
    min: percentileMs(h, 0),
    max: percentileMs(h, 100),
    mean: toMs(meanUs(h)),
    p50: percentileMs(h, 50),
    p90: percentileMs(h, 90),
    p95: percentileMs(h, 95),
    p99: percentileMs(h, 99),
    p999: percentileMs(h, 99.9),
  };
}

/**
 * The same sum, in the same order, as hdr's `mean` getter (the midpoint of each bucket times its
 * count), without its iterator, which costs ~2.5 ms per histogram against ~50 µs here.
 */
function meanUs(h: LatencyHistogram): number {
  if (h.totalCount === 0) return 0;
  let sum = 0;
  for (let i = 0; i < h.countsArrayLength; i++) {
    const count = h.getCountAtIndex(i);
    if (count !== 0) sum += h.medianEquivalentValue(h.valueFromIndex(i)) * count;
  }
  return sum / h.totalCount;
}

function toMs(us: number): number {
  return Math.round(us) / 1000;
}
