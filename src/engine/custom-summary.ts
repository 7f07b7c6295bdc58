import { percentileMs, type LatencyHistogram } from './histogram.js';
import type { MetricTags } from './journey.js';
import type { CustomValues } from './custom-values.js';

/** Reading an accumulated custom series: its percentiles, k6's summary values, a threshold's tag filter. */

/** A trend's percentile in its unit (the histogram holds thousandths); `percent` as k6's p(N). */
export function trendPercentile(h: LatencyHistogram, percent: number): number {
  return percentileMs(h, percent);
}

/**
 * A percentile read from a histogram is the top of its bucket, which can pass the exact extremes
 * (by up to 0.1 %: 30 s of a time of day at 09:00); it is held inside [min, max], which are exact.
 */
export function withinExtremes(percentile: (p: number) => number, min: number, max: number): (p: number) => number {
  return (p) => Math.min(max, Math.max(min, percentile(p)));
}

/**
 * The values k6's handleSummary gives a metric of this type, from an accumulated series:
 * counter {count, rate}, gauge {value, min, max}, rate {rate, passes, fails}, trend {avg, min,
 * med, max, p(90), p(95), p(99)}. `seconds` is what a counter's rate is per. No samples: a
 * counter counts 0, the others are null.
 */
export type K6Values = Readonly<Record<string, number | null>>;

export function k6Values(c: CustomValues, percentile: ((p: number) => number) | undefined, seconds: number): K6Values {
  const none = c.count === 0;
  switch (c.type) {
    case 'counter':
      return { count: c.sum, rate: seconds > 0 ? c.sum / seconds : 0 };
    case 'gauge':
      return none ? { value: null, min: null, max: null } : { value: c.value, min: c.min, max: c.max };
    case 'rate':
      return none ? { rate: null, passes: 0, fails: 0 } : { rate: c.sum / c.count, passes: c.sum, fails: c.count - c.sum };
    case 'trend': {
      if (none || percentile === undefined) return { avg: null, min: null, med: null, max: null, 'p(90)': null, 'p(95)': null, 'p(99)': null };
      percentile = withinExtremes(percentile, c.min, c.max);
      return { avg: c.sum / c.count, min: c.min, med: percentile(50), max: c.max, 'p(90)': percentile(90), 'p(95)': percentile(95), 'p(99)': percentile(99) };
    }
  }
}

/** Whether a series' tags include every pair of a threshold's filter. */
export function tagsInclude(tags: MetricTags, filter: Readonly<Record<string, string>>): boolean {
  for (const k in filter) if (!Object.hasOwn(tags, k) || tags[k] !== filter[k]) return false;
  return true;
}
