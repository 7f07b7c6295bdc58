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
export const SIGNIFICANT_DIGITS = 3;

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

export function createLatencyHistogram(): LatencyHistogram {
  const h = build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
  if (!(h instanceof JsHistogram)) throw new Error('hdr-histogram-js built a WASM histogram without being asked to');
  return h;
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
 * The inverse of encodeHistogram. Throws METRICS_BAD_HISTOGRAM (exit 2) for a string that is not a
 * V2 HDR histogram or one with another range or precision, which mergeInto could not add exactly.
 */
export function decodeHistogram(encoded: string): LatencyHistogram {
  let h: Histogram;
  try {
    h = decodeFromCompressedBase64(encoded);
  } catch (err) {
    throw invalidInput('METRICS_BAD_HISTOGRAM', `not an encoded HDR histogram: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (
    !(h instanceof JsHistogram) ||
    h.lowestDiscernibleValue !== LOWEST_US ||
    h.highestTrackableValue !== HIGHEST_US ||
    h.numberOfSignificantValueDigits !== SIGNIFICANT_DIGITS
  ) {
    const shape = h instanceof JsHistogram ? `${h.lowestDiscernibleValue}..${h.highestTrackableValue}` : '?';
    throw invalidInput(
      'METRICS_BAD_HISTOGRAM',
      `expected a latency histogram of ${LOWEST_US}..${HIGHEST_US} µs at ${SIGNIFICANT_DIGITS} digits, got ${shape} at ${h.numberOfSignificantValueDigits}`,
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
