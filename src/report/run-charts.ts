import type { Analysis } from '../analyze/analyze.js';
import { OUTCOMES } from '../run-files/metrics.js';
import type { RunDir } from '../run-files/run-dir.js';
import { colourAt, line, type ChartSpec, type TimeChart } from './chart-spec.js';

/**
 * The charts every run has, from its own measurements (metrics.ndjson, as analysed): one builder
 * each, drawn in the order of RUN_CHARTS.
 */
export interface RunCharts {
  readonly run: RunDir;
  readonly analysis: Analysis;
  readonly t: readonly number[];
  readonly time: TimeChart;
}

const OUTCOME_COLOURS: Readonly<Record<string, string>> = {
  ok: '#2ca02c',
  '4xx': '#bcbd22',
  '5xx': '#d62728',
  shed: '#ff7f0e',
  timeout: '#9467bd',
  refused: '#8c564b',
  reset: '#e377c2',
  other: '#7f7f7f',
};

type Percentile = 'p50' | 'p95' | 'p99' | 'max';

function throughput({ analysis, time }: RunCharts): ChartSpec {
  const s = analysis.series;
  return time('throughput', 'Throughput: offered, achieved and good', 'per second', [
    line('offered (arrivals)', s.map((p) => p.offered), '#7f7f7f', { borderDash: [4, 3] }),
    line('achieved (arrivals started)', s.map((p) => p.achieved), '#1f77b4'),
    line('good (ok responses)', s.map((p) => p.good), '#2ca02c'),
    line('failed responses', s.map((p) => p.failed), '#d62728'),
  ]);
}

function latency({ analysis, time }: RunCharts): ChartSpec {
  const s = analysis.series;
  return time('latency', 'Latency of all requests (from the scheduled time)', 'ms', [
    line('p50', s.map((p) => p.latency?.p50 ?? null), '#2ca02c'),
    line('p95', s.map((p) => p.latency?.p95 ?? null), '#ff7f0e'),
    line('p99', s.map((p) => p.latency?.p99 ?? null), '#d62728'),
    line('max', s.map((p) => p.latency?.max ?? null), '#7f7f7f', { borderDash: [2, 2] }),
  ]);
}

/** One request name's latency percentiles, by second of the run. */
function latencyOf(run: RunDir, name: string): Map<number, Readonly<Record<Percentile, number>>> {
  const by = new Map<number, Readonly<Record<Percentile, number>>>();
  for (const sec of run.seconds) for (const r of sec.requests) if (r.name === name) by.set(sec.t, r.latency);
  return by;
}

function latencyByName({ run, t, time }: RunCharts): ChartSpec {
  return time(
    'latency-by-name',
    'p99 latency by request name',
    'ms',
    run.names.map((name, i) => {
      const by = latencyOf(run, name);
      return line(name, t.map((x) => by.get(x)?.p99 ?? null), colourAt(i));
    }),
  );
}

/** Interactive: a menu shows one request name at a time (the first at first). */
function latencyPerName({ run, t, time }: RunCharts): ChartSpec {
  const datasets = run.names.flatMap((name, i) => {
    const by = latencyOf(run, name);
    const series = (k: Percentile, colour: string, more: Record<string, unknown> = {}) =>
      line(`${name} ${k}`, t.map((x) => by.get(x)?.[k] ?? null), colour, { group: name, hidden: i !== 0, ...more });
    return [series('p50', '#2ca02c'), series('p95', '#ff7f0e'), series('p99', '#d62728'), series('max', '#7f7f7f', { borderDash: [2, 2] })];
  });
  return { ...time('latency-per-name', 'Latency of one request name (choose it above the chart)', 'ms', datasets), groups: run.names };
}

function errors({ analysis, time }: RunCharts): ChartSpec {
  const s = analysis.series;
  const failing = OUTCOMES.filter((o) => o !== 'ok' && s.some((p) => p.byOutcome[o] > 0));
  const datasets = failing.map((o) =>
    line(o, s.map((p) => p.byOutcome[o]), OUTCOME_COLOURS[o] ?? '#333', { fill: true, stack: 'outcomes', backgroundColor: `${OUTCOME_COLOURS[o] ?? '#333333'}88` }),
  );
  return time('errors', 'Responses by outcome', 'per second', datasets, { y: { stacked: true } });
}

function inFlight({ analysis, time }: RunCharts): ChartSpec {
  const s = analysis.series;
  return time('in-flight', 'In flight and dropped', 'count', [
    line('in flight (max in the second)', s.map((p) => p.inFlight), '#1f77b4'),
    line('dropped arrivals', s.map((p) => p.dropped), '#d62728'),
  ]);
}

export const RUN_CHARTS: readonly ((charts: RunCharts) => ChartSpec)[] = [throughput, latency, latencyByName, latencyPerName, errors, inFlight];
