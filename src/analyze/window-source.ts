import { matches } from '../engine/aggregate.js';
import type { Outcome } from '../engine/second.js';
import type { CounterAggregate, GaugeAggregate, MetricSource, RateAggregate, Tags, Threshold, TrendAggregate } from '../engine/thresholds.js';
import { CustomWindow } from './custom.js';
import type { RunSecond } from './read.js';
import { LatencyWindow, type Sparse } from './window.js';

/** The SLO's sliding window as a MetricSource: the last `windowS` seconds' sums, per threshold filter. */
export interface Cell {
  readonly name: string;
  readonly outcome: Outcome;
  readonly count: number;
  readonly sparse: Sparse | undefined;
}

/** Window sums for one threshold filter: the requests it matches, their latency and failures. */
export class FilterWindow {
  readonly latency = new LatencyWindow();
  total = 0;
  failed = 0;
  constructor(readonly tags: Tags) {}
}

export class WindowSource implements MetricSource {
  readonly #filters = new Map<string, FilterWindow>();
  readonly #ring: { cells: Cell[]; dropped: number; iterations: number }[] = [];
  readonly #custom: CustomWindow;
  dropped = 0;
  iterations = 0;
  /** Requests answered (any outcome, timeouts included) in the window. */
  answers = 0;
  constructor(readonly windowS: number, thresholds: readonly Threshold[]) {
    this.#custom = new CustomWindow(windowS, thresholds);
    for (const t of thresholds) {
      if (t.custom) continue;
      const key = JSON.stringify(t.tags);
      if (!this.#filters.has(key)) this.#filters.set(key, new FilterWindow(t.tags));
    }
  }

  get needsLatency(): boolean {
    return this.#filters.size > 0;
  }

  push(cells: Cell[], second: RunSecond): void {
    this.#custom.push(second.custom);
    this.#apply(cells, 1);
    this.answers += countOf(cells);
    this.dropped += second.dropped;
    this.iterations += second.iterations;
    this.#ring.push({ cells, dropped: second.dropped, iterations: second.iterations });
    if (this.#ring.length > this.windowS) {
      const old = this.#ring.shift()!;
      this.#apply(old.cells, -1);
      this.answers -= countOf(old.cells);
      this.dropped -= old.dropped;
      this.iterations -= old.iterations;
    }
  }

  get seconds(): number {
    return this.#ring.length;
  }

  #apply(cells: readonly Cell[], sign: 1 | -1): void {
    for (const f of this.#filters.values()) {
      for (const c of cells) {
        if (!matches(f.tags, c.name, c.outcome)) continue;
        f.total += sign * c.count;
        if (c.outcome !== 'ok') f.failed += sign * c.count;
        if (c.sparse !== undefined) f.latency.add(c.sparse, sign);
      }
    }
  }

  trend(metric: string, tags: Tags): TrendAggregate | undefined {
    if (metric !== 'http_req_duration') return this.#custom.trend(metric, tags);
    const f = this.#filters.get(JSON.stringify(tags));
    if (f === undefined || f.latency.count <= 0) return undefined;
    const w = f.latency;
    // Lazy: a threshold asks for one aggregation, and each costs a pass over the buckets.
    return {
      percentile: (p) => w.percentile(p),
      get avg() {
        return w.avg;
      },
      get min() {
        return w.percentile(0);
      },
      get max() {
        return w.percentile(100);
      },
      count: w.count,
    };
  }

  rate(metric: string, tags: Tags): RateAggregate | undefined {
    if (metric !== 'http_req_failed') return this.#custom.rate(metric, tags);
    const f = this.#filters.get(JSON.stringify(tags));
    return f === undefined || f.total <= 0 ? undefined : { passes: f.failed, total: f.total };
  }

  counter(metric: string, tags: Tags): CounterAggregate | undefined {
    if (metric !== 'http_reqs' && metric !== 'dropped_iterations' && metric !== 'iterations') return this.#custom.counter(metric, tags);
    const f = this.#filters.get(JSON.stringify(tags));
    const count = metric === 'dropped_iterations' ? this.dropped : metric === 'iterations' ? this.iterations : (f?.total ?? 0);
    return { count, perSecond: this.seconds === 0 ? 0 : count / this.seconds };
  }

  gauge(metric: string, tags: Tags): GaugeAggregate | undefined {
    return this.#custom.gauge(metric, tags);
  }
}

function countOf(cells: readonly Cell[]): number {
  let n = 0;
  for (const c of cells) n += c.count;
  return n;
}
