/**
 * What every chart of the report is made of: a plain Chart.js configuration (JSON, no functions,
 * so that it draws alike in the browser and on @napi-rs/canvas), and the builder of a time chart:
 * the seconds of the run on x, the run's annotations (fault windows, breaking point) over it.
 */
export interface ChartSpec {
  /** File name stem and element id. */
  readonly id: string;
  readonly title: string;
  readonly config: Record<string, unknown>;
  /** Interactive only (report.html): datasets carry a `group`, and a menu shows one group at a time. */
  readonly groups?: readonly string[];
}

export type Dataset = Record<string, unknown>;
export type TimeChart = (id: string, title: string, yTitle: string, datasets: Dataset[], extra?: { readonly y?: object }) => ChartSpec;

export const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function colourAt(i: number): string {
  return COLOURS[i % COLOURS.length]!;
}

/** One line of a chart; `more` adds to or overrides its Chart.js fields. */
export function line(name: string, data: readonly (number | null)[], colour: string, more: Dataset = {}): Dataset {
  return { label: name, data, borderColor: colour, backgroundColor: colour, ...more };
}

/** Time charts over the seconds `t`, all carrying `annotations`; `label` names the run in titles (compare). */
export function timeChart(t: readonly number[], annotations: Record<string, unknown>, label: string): TimeChart {
  return (id, title, yTitle, datasets, extra = {}) => ({
    id,
    title,
    config: {
      type: 'line',
      data: { labels: t, datasets },
      options: {
        animation: false,
        responsive: false,
        normalized: true,
        spanGaps: true,
        elements: { point: { radius: 0 }, line: { borderWidth: 1.5, tension: 0 } },
        interaction: { mode: 'index', intersect: false },
        plugins: {
          title: { display: true, text: label === '' ? title : `${title} (${label})` },
          legend: { position: 'bottom' },
          annotation: { annotations },
        },
        scales: {
          x: { title: { display: true, text: 'seconds from the start' }, ticks: { maxTicksLimit: 20 } },
          y: { title: { display: true, text: yTitle }, beginAtZero: true, ...extra.y },
        },
      },
    },
  });
}
