import { matches } from '../engine/aggregate.js';
import { OUTCOMES, type Outcome } from '../engine/second.js';
import { evaluate, type CounterAggregate, type GaugeAggregate, type MetricSource, type RateAggregate, type Tags, type Threshold, type TrendAggregate } from '../engine/thresholds.js';
import { CustomWindow, customViews, type CustomMetricView } from './custom.js';
import type { RunDir, RunSecond } from './read.js';
import type { Slo } from './slo.js';
import { decodeSparse, LatencyWindow, type Sparse } from './window.js';

/**
 * What a run directory says about where the target failed: reads only the run's files (through
 * readRunDir) and knows nothing of health codes.
 *
 * - Every second, each SLO is judged over the window of seconds ending there.
 * - The breaking point is the first sustained violation: the first second from which some SLO
 *   stays violated for `sustain` seconds (or to the end of the run); when, at what offered rate,
 *   which SLO, by how much.
 * - Capacity: the best windowed goodput (ok responses per second) while every SLO held, before
 *   the breaking point; a lower bound when nothing broke.
 * - Each fault: goodput before it, goodput, errors and p99 while it was on, and how long after
 *   it ended the SLOs held again (recoveryS).
 * - Metastable failure: a trigger (a fault, or the load once it fell back below capacity) gone,
 *   and the SLOs still not holding `metastableAfter` seconds later.
 * - The journeys' custom metrics: each one's run values, per-second series and peak (custom.ts).
 */
export interface SecondPoint {
  readonly t: number;
  readonly offered: number;
  readonly achieved: number;
  readonly good: number;
  readonly failed: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  readonly dropped: number;
  readonly inFlight: number;
  /** Over all requests of this second, ms; null without requests. */
  readonly latency: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number } | null;
  /** Every SLO held over the window ending here. */
  readonly sloOk: boolean;
}

export interface SloVerdict {
  readonly key: string;
  readonly expr: string;
  /** Held in every window (no sustained violation). */
  readonly ok: boolean;
  readonly violatedSeconds: number;
  /** The worst window: where and its value. */
  readonly worst: { readonly atS: number; readonly value: number } | null;
}

export interface BreakingPoint {
  readonly atS: number;
  readonly offeredRps: number;
  readonly reason: string;
  readonly slo: string;
  readonly value: number;
  readonly limit: number;
  readonly exceededBy: number;
}

export interface FaultImpact {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly startS: number | null;
  readonly endS: number | null;
  readonly goodputBefore: number | null;
  readonly goodputDuring: number | null;
  readonly errorRateDuring: number | null;
  readonly p99During: number | null;
  /** Seconds from the fault's end until the SLOs held again; null if they never did in the run. */
  readonly recoveryS: number | null;
  /**
   * Requests whose rate rose to at least SURGE_FACTOR × what it was before the fault, in the
   * SURGE_WINDOW_S after it ended: what came back at once (clients reconnecting or signing in
   * again after a restart, their queued retries), the largest rise first.
   */
  readonly surges: readonly RequestSurge[];
}

export interface RequestSurge {
  /** The request's name (the journeys' step). */
  readonly name: string;
  /** Its mean rate (completed requests/s) over the SLO window before the fault began. */
  readonly beforeRps: number;
  readonly peakRps: number;
  readonly atS: number;
}

/** How long after a fault's end a surge is looked for, and how far above its rate before. */
export const SURGE_WINDOW_S = 30;
export const SURGE_FACTOR = 2;

export interface Trigger {
  readonly kind: 'load' | 'fault';
  readonly name: string;
  readonly goneS: number;
  readonly recoveredAtS: number | null;
  readonly metastable: boolean | null;
}

export interface Analysis {
  readonly slo: { readonly windowS: number; readonly sustainS: number; readonly metastableAfterS: number; readonly source: 'scenario' | 'default'; readonly verdicts: readonly SloVerdict[] };
  readonly breakingPoint: BreakingPoint | null;
  /**
   * The best windowed goodput (ok responses/s) while every SLO held, before the breaking point,
   * with the offered arrival rate of that window. A lower bound when nothing broke, or when the
   * load jumped past it (the breaking point's offered rate above 1.5× this window's).
   */
  readonly capacity: { readonly goodRps: number; readonly offeredRps: number; readonly atS: number; readonly lowerBound: boolean } | null;
  readonly faults: readonly FaultImpact[];
  readonly metastable: { readonly flagged: boolean; readonly triggers: readonly Trigger[] };
  readonly series: readonly SecondPoint[];
  readonly names: readonly string[];
  /** The custom metrics the run's journeys declared, in name order; [] without any. */
  readonly custom: readonly CustomMetricView[];
}

interface Cell {
  readonly name: string;
  readonly outcome: Outcome;
  readonly count: number;
  readonly sparse: Sparse | undefined;
}

/** Window sums for one threshold filter: the requests it matches, their latency and failures. */
class FilterWindow {
  readonly latency = new LatencyWindow();
  total = 0;
  failed = 0;
  constructor(readonly tags: Tags) {}
}

class WindowSource implements MetricSource {
  readonly #filters = new Map<string, FilterWindow>();
  readonly #ring: { cells: Cell[]; dropped: number; iterations: number }[] = [];
  readonly #custom: CustomWindow;
  dropped = 0;
  iterations = 0;
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
    this.dropped += second.dropped;
    this.iterations += second.iterations;
    this.#ring.push({ cells, dropped: second.dropped, iterations: second.iterations });
    if (this.#ring.length > this.windowS) {
      const old = this.#ring.shift()!;
      this.#apply(old.cells, -1);
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

export interface FaultWindow {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly startS: number | null;
  readonly endS: number | null;
}

export function analyze(run: RunDir, slo: Slo, faultWindows: readonly FaultWindow[] = faultsFromEvents(run)): Analysis {
  const window = new WindowSource(slo.windowS, slo.thresholds);
  const second = new LatencyWindow();
  const series: SecondPoint[] = [];
  const judged: { ok: boolean; results: { key: string; expr: string; ok: boolean; value: number | null; limit: number }[] }[] = [];
  const goodput: number[] = [];
  const offered: number[] = [];
  for (const s of run.seconds) {
    const cells: Cell[] = [];
    const byOutcome = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    for (const r of s.requests) {
      for (const o of OUTCOMES) {
        const count = r.counts[o];
        if (count === undefined || count === 0) continue;
        byOutcome[o] += count;
        const encoded = r.hdr[o];
        cells.push({ name: r.name, outcome: o, count, sparse: encoded === undefined ? undefined : decodeSparse(encoded) });
      }
    }
    for (const c of cells) if (c.sparse !== undefined) second.add(c.sparse);
    const [p50 = 0, p95 = 0, p99 = 0, max = 0] = second.percentiles([50, 95, 99, 100]);
    const latency = second.count > 0 ? { p50, p95, p99, max } : null;
    for (const c of cells) if (c.sparse !== undefined) second.add(c.sparse, -1);
    window.push(cells, s);
    const results = evaluate(slo.thresholds, window, (s.t + 1) * 1000).map((r) => ({ key: r.threshold.key, expr: r.threshold.expr, ok: r.ok, value: r.value, limit: r.threshold.value }));
    const ok = results.every((r) => r.ok);
    judged.push({ ok, results });
    const total = OUTCOMES.reduce((sum, o) => sum + byOutcome[o], 0);
    series.push({ t: s.t, offered: s.offered, achieved: s.started, good: byOutcome.ok, failed: total - byOutcome.ok, byOutcome, dropped: s.dropped, inFlight: s.inFlightMax, latency, sloOk: ok });
    goodput.push(byOutcome.ok);
    offered.push(s.offered);
  }
  const n = series.length;
  const avgOver = (xs: readonly number[], from: number, to: number): number => {
    const a = Math.max(0, from);
    const b = Math.min(xs.length - 1, to);
    if (b < a) return 0;
    let sum = 0;
    for (let i = a; i <= b; i++) sum += xs[i] ?? 0;
    return sum / (b - a + 1);
  };
  const windowed = (xs: readonly number[], t: number) => avgOver(xs, t - slo.windowS + 1, t);
  const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

  // A violation is sustained from t when it holds at every second of [t, t + sustain) that the run has.
  const sustainedFrom = (t: number, bad: (i: number) => boolean): boolean => {
    const end = Math.min(n, t + slo.sustainS);
    if (end - t < Math.min(slo.sustainS, 1)) return false;
    for (let i = t; i < end; i++) if (!bad(i)) return false;
    return true;
  };
  const heldFrom = (t: number): boolean => sustainedFrom(t, (i) => judged[i]?.ok === true);

  let breakingPoint: BreakingPoint | null = null;
  for (let t = 0; t < n && breakingPoint === null; t++) {
    if (judged[t]?.ok !== false) continue;
    if (!sustainedFrom(t, (i) => judged[i]?.ok === false)) continue;
    const failing = judged[t]!.results.find((r) => !r.ok)!;
    const value = failing.value ?? 0;
    const rate = round(windowed(offered, t));
    breakingPoint = {
      atS: t,
      offeredRps: rate,
      reason: `${failing.key}: ${failing.expr} failed at ${round(value, 3)} over the ${slo.windowS} s window ending at ${t} s, offered ${rate}/s`,
      slo: failing.key,
      value: round(value, 3),
      limit: failing.limit,
      exceededBy: round(value - failing.limit, 3),
    };
  }

  let best: { good: number; offered: number; atS: number } | null = null;
  const limit = breakingPoint?.atS ?? n;
  for (let t = 0; t < limit; t++) {
    if (judged[t]?.ok !== true) continue;
    const good = windowed(goodput, t);
    if (best === null || good > best.good) best = { good, offered: windowed(offered, t), atS: t };
  }
  const capacity: Analysis['capacity'] =
    best === null
      ? null
      : {
          goodRps: round(best.good),
          offeredRps: round(best.offered),
          atS: best.atS,
          lowerBound: breakingPoint === null || breakingPoint.offeredRps > 1.5 * best.offered,
        };

  const recoveredAfter = (from: number): number | null => {
    for (let t = Math.max(0, from); t < n; t++) if (heldFrom(t)) return t;
    return null;
  };

  // Completed requests per second, by request name.
  const perName = new Map<string, number[]>();
  run.seconds.forEach((s, i) => {
    for (const r of s.requests) {
      const xs = perName.get(r.name) ?? new Array<number>(n).fill(0);
      xs[i] = (xs[i] ?? 0) + OUTCOMES.reduce((sum, o) => sum + (r.counts[o] ?? 0), 0);
      perName.set(r.name, xs);
    }
  });
  const surgesAfter = (startS: number, endS: number): RequestSurge[] => {
    const start = Math.floor(startS);
    const from = Math.ceil(endS);
    const to = Math.min(n - 1, from + SURGE_WINDOW_S - 1);
    const out: (RequestSurge & { ratio: number })[] = [];
    for (const [name, xs] of perName) {
      const before = avgOver(xs, start - slo.windowS, start - 1);
      let peak = 0;
      let atS = from;
      for (let t = from; t <= to; t++) {
        if ((xs[t] ?? 0) > peak) {
          peak = xs[t] ?? 0;
          atS = series[t]?.t ?? t;
        }
      }
      if (peak > 0 && peak >= SURGE_FACTOR * Math.max(before, 1)) out.push({ name, beforeRps: round(before), peakRps: peak, atS, ratio: peak / Math.max(before, 1) });
    }
    return out.sort((a, b) => b.ratio - a.ratio).map(({ ratio: _, ...s }) => s);
  };

  const faults: FaultImpact[] = faultWindows.map((f) => {
    if (f.startS === null) return { ...f, goodputBefore: null, goodputDuring: null, errorRateDuring: null, p99During: null, recoveryS: null, surges: [] };
    const start = Math.floor(f.startS);
    const end = Math.min(n - 1, Math.ceil(f.endS ?? n) - 1);
    const during = series.slice(start, end + 1);
    const total = during.reduce((sum, p) => sum + p.good + p.failed, 0);
    const failed = during.reduce((sum, p) => sum + p.failed, 0);
    const p99s = during.map((p) => p.latency?.p99 ?? 0);
    const recoveredAt = f.endS === null ? null : recoveredAfter(Math.ceil(f.endS));
    return {
      ...f,
      goodputBefore: start === 0 ? null : round(avgOver(goodput, start - slo.windowS, start - 1)),
      goodputDuring: during.length === 0 ? null : round(avgOver(goodput, start, end)),
      errorRateDuring: total === 0 ? null : round(failed / total, 4),
      p99During: p99s.length === 0 ? null : Math.max(...p99s),
      recoveryS: recoveredAt === null || f.endS === null ? null : round(Math.max(0, recoveredAt - f.endS)),
      surges: f.endS === null ? [] : surgesAfter(f.startS, f.endS),
    };
  });

  const triggers: Trigger[] = [];
  const judge = (kind: Trigger['kind'], name: string, goneS: number): void => {
    const recoveredAt = recoveredAfter(Math.ceil(goneS));
    const waited = n - goneS;
    const metastable =
      recoveredAt !== null ? recoveredAt - goneS > slo.metastableAfterS : waited >= slo.metastableAfterS ? true : null; // null: the run ended too soon to tell
    triggers.push({ kind, name, goneS, recoveredAtS: recoveredAt, metastable });
  };
  for (const f of faultWindows) if (f.endS !== null && f.startS !== null) judge('fault', f.name, f.endS);
  // The load is a trigger when it broke the target by rising past what it had handled; it is
  // gone once the offered rate is back at or below that.
  const ceiling = capacity?.offeredRps ?? 0;
  if (breakingPoint !== null && breakingPoint.offeredRps > 1.1 * ceiling) {
    for (let t = breakingPoint.atS; t < n; t++) {
      if (windowed(offered, t) <= ceiling) {
        judge('load', 'offered load back below capacity', t);
        break;
      }
    }
  }

  return {
    slo: {
      windowS: slo.windowS,
      sustainS: slo.sustainS,
      metastableAfterS: slo.metastableAfterS,
      source: slo.source,
      verdicts: slo.thresholds.map((th, i) => {
        let violated = 0;
        let worst: SloVerdict['worst'] = null;
        let sustained = false;
        judged.forEach((j, t) => {
          const r = j.results[i];
          if (r === undefined || r.ok) return;
          violated++;
          if (!sustained && sustainedFrom(t, (k) => judged[k]?.results[i]?.ok === false)) sustained = true;
          const v = r.value ?? 0;
          const worse = worst === null || (th.op.startsWith('<') ? v > worst.value : v < worst.value);
          if (worse) worst = { atS: t, value: round(v, 3) };
        });
        return { key: th.key, expr: th.expr, ok: !sustained, violatedSeconds: violated, worst };
      }),
    },
    breakingPoint,
    capacity,
    faults,
    metastable: { flagged: triggers.some((t) => t.metastable === true), triggers },
    series,
    names: run.names,
    custom: customViews(run, faultWindows),
  };
}

/** Faults as events.ndjson tells them: begin and end times, by name. */
export function faultsFromEvents(run: RunDir): FaultWindow[] {
  const out = new Map<string, { name: string; kind: string; target: string; startS: number | null; endS: number | null }>();
  for (const e of run.events) {
    if (e.event !== 'fault-begin' && e.event !== 'fault-end' && e.event !== 'fault-failed') continue;
    const name = String(e['fault'] ?? '');
    const f = out.get(name) ?? { name, kind: String(e['kind'] ?? ''), target: String(e['target'] ?? ''), startS: null, endS: null };
    if (e.event === 'fault-begin') f.startS = e.t;
    if (e.event === 'fault-end') f.endS = e.t;
    out.set(name, f);
  }
  return [...out.values()];
}
