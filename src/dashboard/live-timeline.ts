import type { SecondPoint } from '../analyze/analyze.js';
import type { Slo } from '../analyze/slo.js';
import { TimelineBuilder, type Timeline } from '../analyze/timeline.js';
import { decodeSparse, LatencyWindow } from '../analyze/window.js';
import { FilterWindow, type Cell } from '../analyze/window-source.js';
import { matches } from '../engine/aggregate.js';
import { accumulate, k6Values, newAccumulator, seriesKey, tagsInclude, withinExtremes, type CustomAccumulator, type K6Values } from '../engine/custom-metrics.js';
import type { MetricDeclarations } from '../engine/journey.js';
import { OUTCOMES, type Outcome } from '../engine/second.js';
import { evaluate, type CounterAggregate, type GaugeAggregate, type MetricSource, type RateAggregate, type Tags, type ThresholdResult, type ThresholdSet, type TrendAggregate } from '../engine/thresholds.js';
import type { RunSecond } from '../run-files/index.js';

/**
 * The analysis's timeline of a run that is still growing (TimelineBuilder, the same points and
 * SLO judgements as buildTimeline, one second at a time), and beside it the run so far
 * (RunSoFar): its totals, its latency and the scenario's thresholds over every second, as a
 * MetricSource whose memory does not grow with the run. Each second's histograms are decoded
 * once, when it comes, for both.
 */
export class LiveTimeline {
  readonly run: RunSoFar;
  readonly #timeline: TimelineBuilder;

  constructor(slo: Slo, thresholds: ThresholdSet) {
    this.#timeline = new TimelineBuilder(slo);
    this.run = new RunSoFar(thresholds);
  }

  /** What the analysis reads of a timeline (breaking point, SLO verdicts). */
  get timeline(): Timeline {
    return this.#timeline;
  }

  get series(): readonly SecondPoint[] {
    return this.#timeline.series;
  }

  get judged(): Timeline['judged'] {
    return this.#timeline.judged;
  }

  push(s: RunSecond): void {
    this.run.push(this.#timeline.push(s), s);
  }
}

/**
 * The run from second 0 to the latest, summed as it comes: what the page shows as "so far" and
 * what the scenario's thresholds are judged against, as the engine judges them at the end
 * (k6's semantics: over the whole run). Per threshold filter (and the whole run, {}), the
 * requests it matches, their latency and failures, as the SLO's window keeps them
 * (FilterWindow), never taken away.
 */
export class RunSoFar implements MetricSource {
  readonly all = new FilterWindow({});
  readonly byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  offered = 0;
  started = 0;
  dropped = 0;
  iterations = 0;
  seconds = 0;
  /** Seconds up to the last with arrivals: what the rates are averaged over, as in summary.json. */
  offeredSeconds = 0;
  readonly #thresholds: ThresholdSet;
  readonly #filters = new Map<string, FilterWindow>();
  /** Custom metrics: each series (metric and tag set) added up. */
  readonly #series = new Map<string, CustomAccumulator>();
  /** Custom trends' values, per threshold filter and per metric as a whole ({} tags). */
  readonly #trends = new Map<string, { readonly metric: string; readonly tags: Tags; readonly window: LatencyWindow }>();

  constructor(thresholds: ThresholdSet) {
    this.#thresholds = thresholds;
    for (const t of thresholds) {
      if (!t.custom && !this.#filters.has(JSON.stringify(t.tags))) this.#filters.set(JSON.stringify(t.tags), new FilterWindow(t.tags));
      if (t.custom && t.type === 'trend') this.#trendWindow(t.metric, t.tags);
    }
  }

  #trendWindow(metric: string, tags: Tags): void {
    const key = seriesKey(metric, tags);
    if (!this.#trends.has(key)) this.#trends.set(key, { metric, tags, window: new LatencyWindow('value') });
  }

  push(cells: readonly Cell[], s: RunSecond): void {
    for (const c of cells) {
      for (const r of [this.all, ...this.#filters.values()]) {
        if (!matches(r.tags, c.name, c.outcome)) continue;
        r.total += c.count;
        if (c.outcome !== 'ok') r.failed += c.count;
        if (c.sparse !== undefined) r.latency.add(c.sparse);
      }
      this.byOutcome[c.outcome] += c.count;
    }
    for (const line of s.custom) {
      const key = seriesKey(line.metric, line.tags);
      const own = this.#series.get(key) ?? this.#series.set(key, newAccumulator(line)).get(key)!;
      accumulate(own, line);
      if (line.hdr === undefined) continue;
      this.#trendWindow(line.metric, {});
      const sparse = decodeSparse(line.hdr, 'value');
      for (const w of this.#trends.values()) if (w.metric === line.metric && tagsInclude(line.tags, w.tags)) w.window.add(sparse);
    }
    this.offered += s.offered;
    this.started += s.started;
    this.dropped += s.dropped;
    this.iterations += s.iterations;
    this.seconds = s.t + 1;
    if (s.offered > 0) this.offeredSeconds = s.t + 1;
  }

  /** The scenario's thresholds over the run so far. */
  thresholds(): ThresholdResult[] {
    return evaluate(this.#thresholds, this, this.seconds * 1000);
  }

  /** Each declared custom metric's values so far, as k6's summary gives them. */
  custom(declared: MetricDeclarations): { readonly metric: string; readonly values: K6Values }[] {
    return Object.entries(declared).map(([metric, d]) => {
      const whole = this.#over(metric, {}) ?? newAccumulator({ metric, type: d.type, tags: {} });
      return { metric, values: k6Values(whole, this.#percentile(metric, {}), this.seconds) };
    });
  }

  trend(metric: string, tags: Tags): TrendAggregate | undefined {
    if (metric !== 'http_req_duration') {
      const c = this.#over(metric, tags);
      const percentile = this.#percentile(metric, tags);
      if (c === undefined || c.count === 0 || percentile === undefined) return undefined;
      return { percentile: withinExtremes(percentile, c.min, c.max), avg: c.sum / c.count, min: c.min, max: c.max, count: c.count };
    }
    const w = this.#filters.get(JSON.stringify(tags))?.latency;
    if (w === undefined || w.count <= 0) return undefined;
    return { percentile: (p) => w.percentile(p), avg: w.avg, min: w.percentile(0), max: w.percentile(100), count: w.count };
  }

  rate(metric: string, tags: Tags): RateAggregate | undefined {
    if (metric !== 'http_req_failed') {
      const c = this.#over(metric, tags);
      return c === undefined || c.count === 0 ? undefined : { passes: c.sum, total: c.count };
    }
    const f = this.#filters.get(JSON.stringify(tags));
    return f === undefined || f.total <= 0 ? undefined : { passes: f.failed, total: f.total };
  }

  counter(metric: string, tags: Tags): CounterAggregate | undefined {
    const builtIn = metric === 'http_reqs' || metric === 'dropped_iterations' || metric === 'iterations';
    const count = !builtIn ? (this.#over(metric, tags)?.sum ?? 0) : metric === 'dropped_iterations' ? this.dropped : metric === 'iterations' ? this.iterations : (this.#filters.get(JSON.stringify(tags))?.total ?? 0);
    return { count, perSecond: this.seconds === 0 ? 0 : count / this.seconds };
  }

  gauge(metric: string, tags: Tags): GaugeAggregate | undefined {
    const c = this.#over(metric, tags);
    return c === undefined || c.count === 0 ? undefined : { value: c.value, min: c.min, max: c.max };
  }

  /** A custom metric's series whose tags include `tags`, added up (at most MAX_TAG_SETS a worker). */
  #over(metric: string, tags: Tags): CustomAccumulator | undefined {
    let out: CustomAccumulator | undefined;
    for (const s of this.#series.values()) {
      if (s.metric !== metric || !tagsInclude(s.tags, tags)) continue;
      out ??= newAccumulator({ ...s, tags });
      accumulate(out, s);
    }
    return out;
  }

  /** A custom trend's percentiles over the values `tags` filter, when they are kept (a threshold's, or the whole metric's). */
  #percentile(metric: string, tags: Tags): ((p: number) => number) | undefined {
    const w = this.#trends.get(seriesKey(metric, tags))?.window;
    return w === undefined || w.count <= 0 ? undefined : (p) => w.percentile(p);
  }
}

