import type { Analysis } from '../analyze/analyze.js';
import type { RunDir } from '../run-files/run-dir.js';
import type { Summary } from '../run-files/summary.js';
import { SERVER_CHARTS, type MetricChart } from '../server/charts.js';
import { annotationsOf } from './annotations.js';
import { timeChart, type ChartSpec } from './chart-spec.js';
import { correctnessChart } from './correctness.js';
import { customChart, CUSTOM_CHART_ID } from './custom-chart.js';
import { metricCharts } from './metric-charts.js';
import { RUN_CHARTS } from './run-charts.js';

export type { ChartSpec } from './chart-spec.js';
export { CUSTOM_CHART_ID } from './custom-chart.js';
export { CORRECTNESS_CHART_ID } from './correctness.js';

/**
 * The report's charts as plain Chart.js configurations (JSON: no functions), so that the same
 * definitions draw in the browser (report.html) and on @napi-rs/canvas (charts/*.png). Every
 * time chart has the seconds of the run on x, fault windows shaded and the breaking point marked
 * (chartjs-plugin-annotation). Nothing here knows what the requests mean.
 *
 * In order: the run's own charts (run-charts.ts) with the custom metrics' second, then the
 * target's, drawn from `targetCharts` where the run's server.ndjson has their series. The list
 * is the reference server's (src/server/charts.ts) unless one is given: it is data, and comes with
 * the code, so a report rendered again from a run directory draws the same charts.
 */
export function chartSpecs(run: RunDir, analysis: Analysis, label = '', targetCharts: readonly MetricChart[] = SERVER_CHARTS): ChartSpec[] {
  const t = analysis.series.map((p) => p.t);
  const time = timeChart(t, annotationsOf(analysis), label);
  const charts = RUN_CHARTS.map((chart) => chart({ run, analysis, t, time }));
  const custom = customChart(analysis, time);
  if (custom !== undefined) charts.splice(1, 0, custom);
  charts.push(...metricCharts(targetCharts, run.server, t, time));
  return charts;
}

/**
 * A finished run's charts: chartSpecs, and after the throughput and custom charts the correctness
 * check's, which only the summary knows (the check runs after the load).
 */
export function reportChartSpecs(run: RunDir, analysis: Analysis, summary: Pick<Summary, 'correctness'>): ChartSpec[] {
  const charts = chartSpecs(run, analysis);
  const t = analysis.series.map((p) => p.t);
  const correctness = correctnessChart(summary, t, timeChart(t, annotationsOf(analysis), ''));
  if (correctness !== undefined) charts.splice(charts.findIndex((c) => c.id === CUSTOM_CHART_ID) + 1 || 1, 0, correctness);
  return charts;
}

/** The target's charts alone, for a run with no load of its own (`codestorm faults`: k6 loads elsewhere). */
export function targetChartSpecs(run: RunDir, analysis: Analysis, targetCharts: readonly MetricChart[] = SERVER_CHARTS): ChartSpec[] {
  const t = analysis.series.map((p) => p.t);
  return metricCharts(targetCharts, run.server, t, timeChart(t, annotationsOf(analysis), ''));
}
