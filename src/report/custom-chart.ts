import type { Analysis } from '../analyze/analyze.js';
import { colourAt, line, type ChartSpec, type TimeChart } from './chart-spec.js';

export const CUSTOM_CHART_ID = 'custom-metrics';

/**
 * The journeys' counters per second (left axis) and rates as a share of their samples (right
 * axis, %), when the run has any: what its people did, on the same clock as the load and faults.
 */
export function customChart(analysis: Analysis, time: TimeChart): ChartSpec | undefined {
  // A metric with no samples has no line to draw (the table says so).
  const counters = analysis.custom.filter((m) => m.type === 'counter' && m.peak !== null);
  const rates = analysis.custom.filter((m) => m.type === 'rate' && m.peak !== null);
  if (counters.length + rates.length === 0) return undefined;
  const datasets = [
    ...counters.map((m, i) => line(`${m.metric} per second`, m.perSecond, colourAt(i), { yAxisID: 'y' })),
    ...rates.map((m, i) =>
      line(`${m.metric} (% of samples)`, m.perSecond.map((v) => (v === null ? null : Math.round(v * 1000) / 10)), colourAt(counters.length + i), {
        yAxisID: 'y1',
        borderDash: [5, 3],
      }),
    ),
  ];
  const spec = time(CUSTOM_CHART_ID, 'Custom metrics: counters per second and rates', 'per second', datasets);
  const options = spec.config['options'] as { scales: Record<string, Record<string, unknown>> };
  if (counters.length === 0) delete options.scales['y'];
  if (rates.length > 0) {
    options.scales['y1'] = { position: 'right', min: 0, max: 100, title: { display: true, text: '% of samples' }, grid: { drawOnChartArea: false } };
  }
  return spec;
}
