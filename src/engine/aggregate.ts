import { accumulate, compareCodeUnits, frozenCell, newAccumulator, seriesKey, tagsInclude, trendPercentile, withinExtremes, type CustomAccumulator, type MergedCustom } from './custom-metrics.js';
import { createHistogram, createLatencyHistogram, mergeInto, percentileMs, summarize, VALUE_LAYOUT, type LatencyHistogram, type LatencySummary } from './histogram.js';
import { OUTCOMES, type MergedSecond, type Outcome } from './second.js';
import { CHECKED_AFTER_RUN, METRIC_TYPES, type CounterAggregate, type GaugeAggregate, type MetricSource, type RateAggregate, type Tags, type TrendAggregate } from './thresholds.js';

/**
 * The whole run so far, built from merged seconds: per request name and outcome, one latency
 * histogram and a count; the arrival totals; and per custom metric and tag set, its samples summed
 * (custom-metrics.ts). It answers the thresholds (MetricSource) and the summary. Tags a threshold
 * may filter on: `name` and `outcome` for the built-in metrics, a custom metric's own tags for it.
 */
export class RunAggregate implements MetricSource {
  readonly #cells = new Map<string, { count: number; latency: LatencyHistogram }>();
  /** By seriesKey; histograms are this aggregate's own copies. */
  readonly #custom = new Map<string, CustomAccumulator>();
  readonly #customCache = new Map<string, CustomAccumulator>();
  offered = 0;
  started = 0;
  dropped = 0;
  iterations = 0;
  /** Seconds with any data, the tail of answers after the schedule included. */
  seconds = 0;
  /** Seconds up to the last one with arrivals: what the rates are averaged over. */
  offeredSeconds = 0;
  peakOffered = 0;
  /** Every request's send lag (MergedSecond.sendLag), µs. */
  readonly #sendLag = createLatencyHistogram();
  readonly #trendCache = new Map<string, TrendAggregate | undefined>();

  add(second: MergedSecond): void {
    this.#trendCache.clear();
    this.#customCache.clear();
    for (const c of second.custom) {
      const key = seriesKey(c.metric, c.tags);
      let acc = this.#custom.get(key);
      if (acc === undefined) {
        acc = newAccumulator(c);
        if (c.type === 'trend') acc.histogram = createHistogram(VALUE_LAYOUT);
        this.#custom.set(key, acc);
      }
      accumulate(acc, c, c.histogram);
    }
    this.offered += second.offered;
    this.started += second.started;
    this.dropped += second.dropped;
    this.iterations += second.iterations;
    this.seconds = Math.max(this.seconds, second.t + 1);
    this.peakOffered = Math.max(this.peakOffered, second.offered);
    if (second.offered > 0) this.offeredSeconds = Math.max(this.offeredSeconds, second.t + 1);
    if (second.sendLag !== undefined) mergeInto(this.#sendLag, second.sendLag);
    for (const request of second.requests.values()) {
      for (const [outcome, cell] of request.outcomes) {
        const key = `${request.name}\u0000${outcome}`;
        let mine = this.#cells.get(key);
        if (mine === undefined) {
          mine = { count: 0, latency: createLatencyHistogram() };
          this.#cells.set(key, mine);
        }
        mine.count += cell.count;
        mergeInto(mine.latency, cell.latency);
      }
    }
  }

  /** Requests by outcome, over names matching `tags`. */
  counts(tags: Tags = {}): Record<Outcome, number> {
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const [key, cell] of this.#cells) {
      const [name, outcome] = key.split('\u0000') as [string, Outcome];
      if (matches(tags, name, outcome)) counts[outcome] += cell.count;
    }
    return counts;
  }

  latency(tags: Tags = {}): LatencyHistogram | undefined {
    let merged: LatencyHistogram | undefined;
    for (const [key, cell] of this.#cells) {
      const [name, outcome] = key.split('\u0000') as [string, Outcome];
      if (!matches(tags, name, outcome)) continue;
      merged ??= createLatencyHistogram();
      mergeInto(merged, cell.latency);
    }
    return merged;
  }

  summary(tags: Tags = {}): LatencySummary | undefined {
    const h = this.latency(tags);
    return h === undefined ? undefined : summarize(h);
  }

  /** How late requests were written after they were due, over the run; undefined before any was. */
  sendLag(): LatencySummary | undefined {
    return this.#sendLag.totalCount === 0 ? undefined : summarize(this.#sendLag);
  }

  trend(metric: string, tags: Tags): TrendAggregate | undefined {
    if (metric !== 'http_req_duration') {
      const c = this.#customOver(metric, tags);
      const h = c?.histogram;
      if (c === undefined || c.count === 0 || h === undefined) return undefined;
      return { percentile: withinExtremes((p) => trendPercentile(h, p), c.min, c.max), avg: c.sum / c.count, min: c.min, max: c.max, count: c.count };
    }
    const key = JSON.stringify(tags);
    if (this.#trendCache.has(key)) return this.#trendCache.get(key);
    const h = this.latency(tags);
    const trend =
      h === undefined || h.totalCount === 0
        ? undefined
        : { percentile: (p: number) => percentileMs(h, p), avg: summarize(h).mean, min: percentileMs(h, 0), max: percentileMs(h, 100), count: h.totalCount };
    this.#trendCache.set(key, trend);
    return trend;
  }

  rate(metric: string, tags: Tags): RateAggregate | undefined {
    if (CHECKED_AFTER_RUN.has(metric)) return undefined;
    if (metric !== 'http_req_failed') {
      const c = this.#customOver(metric, tags);
      return c === undefined || c.count === 0 ? undefined : { passes: c.sum, total: c.count };
    }
    const counts = this.counts(tags);
    const total = OUTCOMES.reduce((sum, o) => sum + counts[o], 0);
    return total === 0 ? undefined : { passes: total - counts.ok, total };
  }

  counter(metric: string, tags: Tags): CounterAggregate | undefined {
    if (CHECKED_AFTER_RUN.has(metric)) return undefined;
    if (!Object.hasOwn(METRIC_TYPES, metric)) {
      const count = this.#customOver(metric, tags)?.sum ?? 0;
      return { count, perSecond: this.seconds === 0 ? 0 : count / this.seconds };
    }
    const counts = this.counts(tags);
    const count =
      metric === 'dropped_iterations' ? this.dropped : metric === 'iterations' ? this.iterations : OUTCOMES.reduce((sum, o) => sum + counts[o], 0);
    return { count, perSecond: this.seconds === 0 ? 0 : count / this.seconds };
  }

  gauge(metric: string, tags: Tags): GaugeAggregate | undefined {
    const c = this.#customOver(metric, tags);
    return c === undefined || c.count === 0 ? undefined : { value: c.value, min: c.min, max: c.max };
  }

  /** Every custom series so far (metric, then tag set, in code-unit order), histograms included. */
  customSeries(): MergedCustom[] {
    return [...this.#custom.keys()].sort(compareCodeUnits).map((k) => frozenCell(this.#custom.get(k)!));
  }

  /** A custom metric's series whose tags include `tags`, summed; cached until the next second. */
  #customOver(metric: string, tags: Tags): CustomAccumulator | undefined {
    const key = seriesKey(metric, tags);
    const cached = this.#customCache.get(key);
    if (cached !== undefined) return cached;
    let acc: CustomAccumulator | undefined;
    for (const c of this.#custom.values()) {
      if (c.metric !== metric || !tagsInclude(c.tags, tags)) continue;
      if (acc === undefined) {
        acc = newAccumulator(c);
        if (c.type === 'trend') acc.histogram = createHistogram(VALUE_LAYOUT);
      }
      accumulate(acc, c, c.histogram === undefined ? undefined : c.histogram);
    }
    if (acc !== undefined) this.#customCache.set(key, acc);
    return acc;
  }
}

/** Whether a request (name, outcome) carries every tag of a threshold's filter. */
export function matches(tags: Tags, name: string, outcome: string): boolean {
  for (const [k, v] of Object.entries(tags)) {
    if (k === 'name' ? v !== name : k === 'outcome' ? v !== outcome : true) return false;
  }
  return true;
}
