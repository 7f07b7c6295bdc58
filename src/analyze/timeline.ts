import { OUTCOMES, type Outcome } from '../engine/second.js';
import { evaluate } from '../engine/thresholds.js';
import type { SecondPoint } from './analysis-types.js';
import type { RunDir, RunSecond } from './read.js';
import type { Slo } from './slo.js';
import { countAtMost, decodeSparse, LatencyWindow } from './window.js';
import { WindowSource, type Cell } from './window-source.js';

/**
 * Each second's SLO judgement: every threshold's result over the window ending there. `ok` is
 * null when nothing was answered in the window (not even a timeout) while journeys were in
 * flight: a target, or a generator, that went silent has not shown that its SLOs hold, and a
 * stretch of silence must not read as a recovery.
 */
export interface Judgement {
  readonly ok: boolean | null;
  readonly results: readonly { readonly key: string; readonly expr: string; readonly ok: boolean; readonly value: number | null; readonly limit: number }[];
}

/** The run second by second, judged: what every later stage of the analysis reads. */
export interface Timeline {
  readonly series: readonly SecondPoint[];
  readonly judged: readonly Judgement[];
  /** ok responses, offered arrivals and completed journeys per second. */
  readonly goodput: readonly number[];
  /** ok responses within the SLO's goodput bound (`slo.goodput.within`) per second; goodput when it has none. */
  readonly goodWithin: readonly number[];
  readonly offered: readonly number[];
  readonly completed: readonly number[];
  readonly slo: Slo;
}

export function buildTimeline(run: RunDir, slo: Slo): Timeline {
  const timeline = new TimelineBuilder(slo);
  for (const s of run.seconds) timeline.push(s);
  return timeline;
}

/**
 * The timeline a second at a time, for a run still being written (the live dashboard):
 * buildTimeline is this over a whole run. One sliding window is kept between seconds, so each
 * second's histograms are decoded once, when it comes.
 */
export class TimelineBuilder implements Timeline {
  readonly series: SecondPoint[] = [];
  readonly judged: Judgement[] = [];
  readonly goodput: number[] = [];
  readonly goodWithin: number[] = [];
  readonly offered: number[] = [];
  readonly completed: number[] = [];
  readonly slo: Slo;
  readonly #window: WindowSource;
  readonly #second = new LatencyWindow();

  constructor(slo: Slo) {
    this.slo = slo;
    this.#window = new WindowSource(slo.windowS, slo.thresholds);
  }

  /** Judges the next second; returns its requests' cells, decoded, for whoever sums the run beside it. */
  push(s: RunSecond): readonly Cell[] {
    const { cells, byOutcome } = cellsOf(s);
    const second = this.#second;
    for (const c of cells) if (c.sparse !== undefined) second.add(c.sparse);
    const [p50 = 0, p95 = 0, p99 = 0, max = 0] = second.percentiles([50, 95, 99, 100]);
    const latency = second.count > 0 ? { p50, p95, p99, max } : null;
    for (const c of cells) if (c.sparse !== undefined) second.add(c.sparse, -1);
    this.#window.push(cells, s);
    const results = evaluate(this.slo.thresholds, this.#window, (s.t + 1) * 1000).map((r) => ({ key: r.threshold.key, expr: r.threshold.expr, ok: r.ok, value: r.value, limit: r.threshold.value }));
    const silent = this.#window.answers === 0 && s.inFlightMax > 0;
    const ok = results.some((r) => !r.ok) ? false : silent ? null : true;
    this.judged.push({ ok, results });
    const total = OUTCOMES.reduce((sum, o) => sum + byOutcome[o], 0);
    this.series.push({ t: s.t, offered: s.offered, achieved: s.started, completed: s.iterations, good: byOutcome.ok, failed: total - byOutcome.ok, byOutcome, dropped: s.dropped, inFlight: s.inFlightMax, latency, sloOk: ok });
    this.goodput.push(byOutcome.ok);
    this.goodWithin.push(goodWithin(cells, this.slo.goodput?.withinMs ?? null, byOutcome.ok));
    this.offered.push(s.offered);
    this.completed.push(s.iterations);
    return cells;
  }
}

/** ok answers within `withinMs`; one without its histogram counts as within (a k6 import's may lack one). */
function goodWithin(cells: readonly Cell[], withinMs: number | null, ok: number): number {
  if (withinMs === null) return ok;
  let n = 0;
  for (const c of cells) if (c.outcome === 'ok') n += c.sparse === undefined ? c.count : countAtMost(c.sparse, withinMs);
  return n;
}

function cellsOf(s: RunSecond): { cells: Cell[]; byOutcome: Record<Outcome, number> } {
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
  return { cells, byOutcome };
}

/** The mean of xs over [from, to], clipped to the array; 0 when nothing is left. */
export function avgOver(xs: readonly number[], from: number, to: number): number {
  const a = Math.max(0, from);
  const b = Math.min(xs.length - 1, to);
  if (b < a) return 0;
  let sum = 0;
  for (let i = a; i <= b; i++) sum += xs[i] ?? 0;
  return sum / (b - a + 1);
}

/** The mean of xs over the SLO window ending at t. */
export function windowed(tl: Timeline, xs: readonly number[], t: number): number {
  return avgOver(xs, t - tl.slo.windowS + 1, t);
}

export function round(v: number, d = 1): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}

/** A violation is sustained from t when it holds at every second of [t, t + sustain) that the run has. */
export function sustainedFrom(tl: Timeline, t: number, bad: (i: number) => boolean): boolean {
  const n = tl.series.length;
  const end = Math.min(n, t + tl.slo.sustainS);
  if (end - t < Math.min(tl.slo.sustainS, 1)) return false;
  for (let i = t; i < end; i++) if (!bad(i)) return false;
  return true;
}

/** The first second from `from` on at which the SLOs held for `sustain` seconds; null if none. */
export function recoveredAfter(tl: Timeline, from: number): number | null {
  const held = (i: number): boolean => tl.judged[i]?.ok === true;
  for (let t = Math.max(0, from); t < tl.series.length; t++) if (sustainedFrom(tl, t, held)) return t;
  return null;
}
