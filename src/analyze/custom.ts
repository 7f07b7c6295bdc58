import { accumulate, compareCodeUnits, k6Values, newAccumulator, seriesKey, tagsInclude, withinExtremes, type CustomAccumulator, type K6Values } from '../engine/custom-metrics.js';
import type { MetricKind, MetricTags, MetricUnit } from '../engine/journey.js';
import { unitOf } from '../engine/metric-declarations.js';
import type { CustomLine } from './read.js';
import type { CounterAggregate, GaugeAggregate, RateAggregate, Tags, Threshold, TrendAggregate } from '../engine/thresholds.js';
import type { RunDir } from './read.js';
import { decodeSparse, LatencyWindow, type Sparse } from './window.js';

/**
 * The journeys' custom metrics as a run directory has them: what the report shows of each (its
 * run values as k6 gives them, one point per second, the peak and when, relative to the faults),
 * and sliding windows of them for SLOs that name them. Reads only RunDir.
 */

/** Where a peak fell against the faults: during one, or so long after the latest that had ended. */
export interface FaultRelation {
  readonly name: string;
  readonly relation: 'during' | 'after';
  /** For 'after': seconds from the fault's end to the peak's second. */
  readonly afterS: number | null;
}

export interface CustomPeak {
  readonly value: number;
  readonly atS: number;
  readonly fault: FaultRelation | null;
}

export interface CustomMetricView {
  readonly metric: string;
  readonly type: MetricKind;
  readonly description: string;
  readonly unit: MetricUnit;
  /** Over the run, as k6's summary gives them (custom-metrics.ts k6Values). */
  readonly values: K6Values;
  /**
   * One point per second of the run: a counter's sum in the second (0 without samples), a rate's
   * share of passes, a gauge's latest value, a trend's p(95); null where a second had no samples.
   */
  readonly perSecond: readonly (number | null)[];
  /** The highest point of perSecond (a gauge: its highest value), the first second it was reached; null without samples. */
  readonly peak: CustomPeak | null;
  readonly byTags: readonly { readonly tags: MetricTags; readonly values: K6Values }[];
  readonly tagsDropped: number;
}

export interface FaultSpan {
  readonly name: string;
  readonly startS: number | null;
  readonly endS: number | null;
}

/** What each declared metric did over the run, in name order. */
export function customViews(run: RunDir, faults: readonly FaultSpan[]): CustomMetricView[] {
  const n = run.seconds.length;
  return Object.keys(run.metrics)
    .sort(compareCodeUnits)
    .map((metric) => {
      const d = run.metrics[metric]!;
      const total = newAccumulator({ metric, type: d.type, tags: {} });
      const totalWindow = d.type === 'trend' ? new LatencyWindow('value') : undefined;
      const series = new Map<string, { acc: CustomAccumulator; window: LatencyWindow | undefined }>();
      const second = d.type === 'trend' ? new LatencyWindow('value') : undefined;
      const perSecond: (number | null)[] = [];
      const peaks: (number | null)[] = [];
      for (const s of run.seconds) {
        const mine = s.custom.filter((c) => c.metric === metric);
        const inSecond = newAccumulator({ metric, type: d.type, tags: {} });
        const sparses: Sparse[] = [];
        for (const c of mine) {
          accumulate(total, c);
          accumulate(inSecond, c);
          const key = seriesKey(metric, c.tags);
          let own = series.get(key);
          if (own === undefined) {
            own = { acc: newAccumulator(c), window: d.type === 'trend' ? new LatencyWindow('value') : undefined };
            series.set(key, own);
          }
          accumulate(own.acc, c);
          if (c.hdr !== undefined) {
            const sparse = decodeSparse(c.hdr, 'value');
            sparses.push(sparse);
            own.window?.add(sparse);
            totalWindow?.add(sparse);
          }
        }
        const point = pointOf(d.type, inSecond, second, sparses);
        perSecond.push(point);
        peaks.push(d.type === 'gauge' ? (inSecond.count > 0 ? inSecond.max : null) : point);
      }
      let peak: CustomPeak | null = null;
      peaks.forEach((v, t) => {
        if (v !== null && (peak === null || v > peak.value)) peak = { value: v, atS: t, fault: null };
      });
      const found = peak as CustomPeak | null;
      const pct = (w: LatencyWindow | undefined) => (w === undefined ? undefined : (p: number) => w.percentile(p));
      return {
        metric,
        type: d.type,
        description: d.description,
        unit: unitOf(d),
        values: k6Values(total, pct(totalWindow), n),
        perSecond,
        peak: found === null || total.count === 0 ? null : { ...found, fault: relationTo(found.atS, faults) },
        byTags: [...series.entries()]
          .filter(([, s]) => Object.keys(s.acc.tags).length > 0)
          .sort(([a], [b]) => compareCodeUnits(a, b))
          .map(([, s]) => ({ tags: s.acc.tags, values: k6Values(s.acc, pct(s.window), n) })),
        tagsDropped: total.tagsDropped,
      };
    });
}

function pointOf(type: MetricKind, acc: CustomAccumulator, window: LatencyWindow | undefined, sparses: readonly Sparse[]): number | null {
  switch (type) {
    case 'counter':
      return acc.sum;
    case 'rate':
      return acc.count === 0 ? null : acc.sum / acc.count;
    case 'gauge':
      return acc.count === 0 ? null : acc.value;
    case 'trend': {
      if (acc.count === 0 || window === undefined) return null;
      for (const s of sparses) window.add(s);
      const p95 = withinExtremes((p) => window.percentile(p), acc.min, acc.max)(95);
      for (const s of sparses) window.add(s, -1);
      return p95;
    }
  }
}

/** During a fault that was on at `atS`, else after the latest one that had ended by then. */
export function relationTo(atS: number, faults: readonly FaultSpan[]): FaultRelation | null {
  // Second `atS` covers [atS, atS + 1): a fault that began within it was on during it.
  const during = faults.find((f) => f.startS !== null && f.startS < atS + 1 && (f.endS === null || atS < f.endS));
  if (during !== undefined) return { name: during.name, relation: 'during', afterS: null };
  let latest: FaultSpan | undefined;
  for (const f of faults) if (f.endS !== null && f.endS <= atS && (latest === undefined || f.endS > latest.endS!)) latest = f;
  return latest === undefined ? null : { name: latest.name, relation: 'after', afterS: Math.round((atS - latest.endS!) * 10) / 10 };
}

/**
 * The custom metrics over a sliding window of seconds, for SLOs that name them: sums and extremes
 * recomputed from the window's lines (a window is a few seconds), trend percentiles from one
 * dense histogram per threshold filter that seconds are added to and taken from.
 */
export class CustomWindow {
  readonly #ring: (readonly CustomLine[])[] = [];
  readonly #trends = new Map<string, { metric: string; tags: Tags; window: LatencyWindow; ring: Sparse[][] }>();

  constructor(readonly windowS: number, thresholds: readonly Threshold[]) {
    for (const t of thresholds) {
      if (!t.custom || t.type !== 'trend') continue;
      const key = seriesKey(t.metric, t.tags);
      if (!this.#trends.has(key)) this.#trends.set(key, { metric: t.metric, tags: t.tags, window: new LatencyWindow('value'), ring: [] });
    }
  }

  push(lines: readonly CustomLine[]): void {
    this.#ring.push(lines);
    const decoded = new Map<CustomLine, Sparse>();
    for (const w of this.#trends.values()) {
      const added: Sparse[] = [];
      for (const c of lines) {
        if (c.metric !== w.metric || c.hdr === undefined || !tagsInclude(c.tags, w.tags)) continue;
        let sparse = decoded.get(c);
        if (sparse === undefined) {
          sparse = decodeSparse(c.hdr, 'value');
          decoded.set(c, sparse);
        }
        w.window.add(sparse);
        added.push(sparse);
      }
      w.ring.push(added);
      if (w.ring.length > this.windowS) for (const s of w.ring.shift()!) w.window.add(s, -1);
    }
    if (this.#ring.length > this.windowS) this.#ring.shift();
  }

  #over(metric: string, tags: Tags): CustomAccumulator | undefined {
    let acc: CustomAccumulator | undefined;
    for (const lines of this.#ring) {
      for (const c of lines) {
        if (c.metric !== metric || !tagsInclude(c.tags, tags)) continue;
        acc ??= newAccumulator(c);
        accumulate(acc, c);
      }
    }
    return acc;
  }

  counter(metric: string, tags: Tags): CounterAggregate {
    const count = this.#over(metric, tags)?.sum ?? 0;
    return { count, perSecond: this.#ring.length === 0 ? 0 : count / this.#ring.length };
  }

  rate(metric: string, tags: Tags): RateAggregate | undefined {
    const c = this.#over(metric, tags);
    return c === undefined || c.count === 0 ? undefined : { passes: c.sum, total: c.count };
  }

  gauge(metric: string, tags: Tags): GaugeAggregate | undefined {
    const c = this.#over(metric, tags);
    return c === undefined || c.count === 0 ? undefined : { value: c.value, min: c.min, max: c.max };
  }

  trend(metric: string, tags: Tags): TrendAggregate | undefined {
    const c = this.#over(metric, tags);
    const w = this.#trends.get(seriesKey(metric, tags))?.window;
    if (c === undefined || c.count === 0 || w === undefined) return undefined;
    return { percentile: withinExtremes((p) => w.percentile(p), c.min, c.max), avg: c.sum / c.count, min: c.min, max: c.max, count: c.count };
  }
}
