import type { Analysis } from '../analyze/analyze.js';
import type { ChartSpec } from '../report/charts.js';
import type { RunDir, Scrape } from '../run-files/index.js';
import { chartData, setPointsFrom, type PointsChange } from './protocol.js';

/** The report's chart builders over a run (src/report/charts.ts chartSpecs, or the target's alone). */
export type ChartBuilder = (run: RunDir, analysis: Analysis) => ChartSpec[];

/**
 * The report's charts of a run that is still growing, kept up to date for the cost of its new
 * seconds rather than of the whole run. Every point of a time chart depends on its own second
 * (and, for a scraped counter's rate, on the scrape before it), so each new second's points are
 * those the same builders draw for a small run made of that second, with that second's point
 * as the whole run's analysis has it (the SLO judged over the window ending there): what the
 * report will show at that second.
 *
 * What such a small run cannot know is which lines exist (an outcome that failed at second 12,
 * a request name first seen at 30, a scraped metric): so it also holds a "witness" second for
 * every line, one in which the line appeared. When a second brings a line or a chart the
 * charts do not have yet, they are built once from the whole run and that second becomes a
 * witness; that happens once per line, so the cost of a run stays its seconds plus a full build
 * per line. The seconds ahead of the last measured one (a fault began, its second not yet
 * measured) are on the axis with no points.
 */
export interface ChartChange {
  readonly points?: PointsChange;
  readonly charts?: readonly ChartSpec[];
}

export class ChartTrack {
  readonly #build: ChartBuilder;
  readonly #analyzeSmall: (run: RunDir) => Analysis;
  readonly #analyzeWhole: (run: RunDir) => Analysis;
  #charts: ChartSpec[] = [];
  #shape = '';
  /** Seconds (their t) whose lines every small run carries, in order. */
  readonly #witnesses: number[] = [];
  /** Labels on the time axis. */
  #length = 0;

  /** `analyzeSmall` analyses a small run of the whole's seconds (as they were judged in it); `analyzeWhole` the whole run. */
  constructor(build: ChartBuilder, analyzeSmall: (run: RunDir) => Analysis, analyzeWhole: (run: RunDir) => Analysis) {
    this.#build = build;
    this.#analyzeSmall = analyzeSmall;
    this.#analyzeWhole = analyzeWhole;
  }

  get charts(): readonly ChartSpec[] {
    return this.#charts;
  }

  /**
   * `run` now has `fresh` more seconds at its end, and the axis should reach `axis` labels;
   * `scrapes` gives the scrapes a set of seconds needs (theirs and the second before each).
   */
  advance(run: RunDir, fresh: number, axis: number, scrapes: (seconds: readonly number[]) => Scrape[]): ChartChange | undefined {
    const n = run.seconds.length;
    const to = Math.max(n, axis);
    if (fresh === 0 && to <= this.#length) return undefined;
    const from = fresh > 0 ? n - fresh : this.#length;
    const news = run.seconds.slice(n - fresh).map((s) => s.t);
    let specs: readonly ChartSpec[] = [];
    let at = new Map<number, number>();
    if (fresh > 0) {
      const seconds = [...this.#witnesses, ...news];
      const small: RunDir = { ...run, seconds: seconds.map((t) => run.seconds[t]!), server: scrapes(seconds) };
      specs = this.#build(small, this.#analyzeSmall(small));
      if (shapeOf(specs) !== this.#shape) return this.#rebuild(run, news, to);
      at = new Map(seconds.map((t, i) => [t, i]));
    }
    const labels = range(from, to);
    const values: Record<string, (number | null)[][]> = {};
    this.#charts.forEach((chart, i) => {
      const own = specs[i] === undefined ? undefined : chartData(specs[i]!);
      values[chart.id] = chartData(chart).datasets.map((_, j) => {
        const points = own?.datasets[j]?.data;
        return labels.map((t) => {
          const k = at.get(t);
          return k === undefined || points === undefined ? null : ((points[k] as number | null | undefined) ?? null);
        });
      });
    });
    const points: PointsChange = { from, labels, values };
    this.#apply(points);
    return { points };
  }

  /** The charts anew from the whole run: once a line first appears, and at the end. */
  reset(charts: ChartSpec[]): ChartChange {
    this.#charts = charts;
    this.#shape = shapeOf(charts);
    this.#length = charts[0] === undefined ? 0 : chartData(charts[0]).labels.length;
    return { charts };
  }

  #rebuild(run: RunDir, news: readonly number[], to: number): ChartChange {
    this.#witnesses.push(...news);
    const change = this.reset(this.#build(run, this.#analyzeWhole(run)));
    if (to > this.#length) this.#apply({ from: this.#length, labels: range(this.#length, to), values: {} });
    return change;
  }

  #apply(points: PointsChange): void {
    for (const chart of this.#charts) setPointsFrom(chartData(chart), points.from, points.labels, points.values[chart.id] ?? []);
    this.#length = points.from + points.labels.length;
  }
}

/** Which charts there are and which lines each has: what a small run must agree on. */
function shapeOf(charts: readonly ChartSpec[]): string {
  return JSON.stringify(charts.map((c) => [c.id, c.groups ?? null, chartData(c).datasets.map((d) => (d as { label?: unknown }).label)]));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
