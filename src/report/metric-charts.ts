import type { Scrape } from '../run-files/server.js';
import type { MetricChart, MetricLine, MetricSeries } from '../server/charts.js';
import { line, type ChartSpec, type TimeChart } from './chart-spec.js';

/**
 * The target's own metrics where server.ndjson has them, drawn from a chart list that says which
 * series to read and how (src/server/charts.ts has the reference server's, and the rules). Nothing
 * here knows what a metric means. A chart none of whose lines was scraped is left out.
 */
type Points = (number | null)[];

export function metricCharts(charts: readonly MetricChart[], server: readonly Scrape[], t: readonly number[], time: TimeChart): ChartSpec[] {
  if (server.length === 0) return [];
  const out: ChartSpec[] = [];
  for (const chart of charts) {
    const lines = chart.lines.map((l) => lineOf(l, server, t));
    if (!lines.some((l) => l.scraped)) continue;
    const datasets = chart.lines.map((l, i) => line(l.label, lines[i]!.data, l.colour));
    out.push(time(chart.id, chart.title, chart.yTitle, datasets, chart.yMax === undefined ? {} : { y: { max: chart.yMax } }));
  }
  return out;
}

/** A line's points on the seconds `t`, and whether what it is drawn from was scraped at all. */
function lineOf(l: MetricLine, server: readonly Scrape[], t: readonly number[]): { data: Points; scraped: boolean } {
  const parts = l.sum.map((s) => seriesOf(s, server, t));
  if (l.over === undefined) {
    const data = parts.length === 1 ? parts[0]! : t.map((_, i) => (parts.every((p) => p[i] === null) ? null : parts.reduce((sum, p) => sum + (p[i] ?? 0), 0)));
    return { data, scraped: has(data) };
  }
  const whole = seriesOf(l.over, server, t);
  const data = t.map((_, i) => {
    const w = whole[i];
    if (w === null || w === undefined || w === 0) return null;
    return Math.round((1000 * parts.reduce((sum, p) => sum + (p[i] ?? 0), 0)) / w) / 1000;
  });
  return { data, scraped: has(whole) };
}

function has(points: Points): boolean {
  return points.some((x) => x !== null);
}

function seriesOf(series: MetricSeries, server: readonly Scrape[], t: readonly number[]): Points {
  return series.kind === 'gauge' ? gauge(series, server, t) : rate(series, server, t);
}

/** Every sample of the series in one scrape, summed; undefined when it has none. */
function sampleSum(metrics: Readonly<Record<string, number>>, series: MetricSeries): number | undefined {
  let total: number | undefined;
  for (const [key, value] of Object.entries(metrics)) {
    const brace = key.indexOf('{');
    if ((brace === -1 ? key : key.slice(0, brace)) !== series.metric) continue;
    if (series.label !== undefined && !key.includes(series.label)) continue;
    total = (total ?? 0) + value;
  }
  return total;
}

function gauge(series: MetricSeries, server: readonly Scrape[], t: readonly number[]): Points {
  const byT = new Map<number, number>();
  for (const s of server) {
    const v = s.metrics === undefined ? undefined : sampleSum(s.metrics, series);
    if (v !== undefined) byT.set(Math.max(0, Math.floor(s.t)), v);
  }
  return t.map((x) => byT.get(x) ?? null);
}

/** A counter's increase per second between consecutive scrapes that have it. */
function rate(series: MetricSeries, server: readonly Scrape[], t: readonly number[]): Points {
  const points: { t: number; v: number }[] = [];
  for (const s of server) {
    const v = s.metrics === undefined ? undefined : sampleSum(s.metrics, series);
    if (v !== undefined) points.push({ t: s.t, v });
  }
  const byT = new Map<number, number>();
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    // A restarted process starts its counters again from 0: no negative rate.
    if (b.t > a.t) byT.set(Math.floor(b.t), Math.max(0, (b.v - a.v) / (b.t - a.t)));
  }
  return t.map((x) => byT.get(x) ?? null);
}
