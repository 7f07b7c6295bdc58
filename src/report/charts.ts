import type { Analysis } from '../analyze/analyze.js';
import type { Scrape } from '../run-files/server.js';
import { OUTCOMES } from '../run-files/metrics.js';
import type { RunDir } from '../run-files/run-dir.js';

/**
 * The report's charts as plain Chart.js configurations (JSON: no functions), so that the same
 * definitions draw in the browser (report.html) and on @napi-rs/canvas (charts/*.png). Every
 * time chart has the seconds of the run on x, fault windows shaded and the breaking point marked
 * (chartjs-plugin-annotation). Nothing here knows what the requests mean.
 */
export interface ChartSpec {
  /** File name stem and element id. */
  readonly id: string;
  readonly title: string;
  readonly config: Record<string, unknown>;
  /** Interactive only (report.html): datasets carry a `group`, and a menu shows one group at a time. */
  readonly groups?: readonly string[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
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

export function chartSpecs(run: RunDir, analysis: Analysis, label = ''): ChartSpec[] {
  const s = analysis.series;
  const t = s.map((p) => p.t);
  const annotations = annotationsOf(analysis);
  const time = (id: string, title: string, yTitle: string, datasets: Record<string, unknown>[], extra: Record<string, unknown> = {}): ChartSpec => ({
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
          y: { title: { display: true, text: yTitle }, beginAtZero: true, ...(extra['y'] as object | undefined) },
        },
      },
    },
  });
  const line = (name: string, data: readonly (number | null)[], colour: string, more: Record<string, unknown> = {}) => ({
    label: name,
    data,
    borderColor: colour,
    backgroundColor: colour,
    ...more,
  });

  const charts: ChartSpec[] = [
    time('throughput', 'Throughput: offered, achieved and good', 'per second', [
      line('offered (arrivals)', s.map((p) => p.offered), '#7f7f7f', { borderDash: [4, 3] }),
      line('achieved (arrivals started)', s.map((p) => p.achieved), '#1f77b4'),
      line('good (ok responses)', s.map((p) => p.good), '#2ca02c'),
      line('failed responses', s.map((p) => p.failed), '#d62728'),
    ]),
    time('latency', 'Latency of all requests (from the scheduled time)', 'ms', [
      line('p50', s.map((p) => p.latency?.p50 ?? null), '#2ca02c'),
      line('p95', s.map((p) => p.latency?.p95 ?? null), '#ff7f0e'),
      line('p99', s.map((p) => p.latency?.p99 ?? null), '#d62728'),
      line('max', s.map((p) => p.latency?.max ?? null), '#7f7f7f', { borderDash: [2, 2] }),
    ]),
    time(
      'latency-by-name',
      'p99 latency by request name',
      'ms',
      run.names.map((name, i) => {
        const byT = new Map<number, number>();
        for (const sec of run.seconds) for (const r of sec.requests) if (r.name === name) byT.set(sec.t, r.latency.p99);
        return line(name, t.map((x) => byT.get(x) ?? null), COLOURS[i % COLOURS.length]!);
      }),
    ),
    perName(
      time(
        'latency-per-name',
        'Latency of one request name (choose it above the chart)',
        'ms',
        run.names.flatMap((name, i) => {
          const by = new Map<number, { p50: number; p95: number; p99: number; max: number }>();
          for (const sec of run.seconds) for (const r of sec.requests) if (r.name === name) by.set(sec.t, r.latency);
          const series = (k: 'p50' | 'p95' | 'p99' | 'max', colour: string, more: Record<string, unknown> = {}) =>
            line(`${name} ${k}`, t.map((x) => by.get(x)?.[k] ?? null), colour, { group: name, hidden: i !== 0, ...more });
          return [series('p50', '#2ca02c'), series('p95', '#ff7f0e'), series('p99', '#d62728'), series('max', '#7f7f7f', { borderDash: [2, 2] })];
        }),
      ),
      run.names,
    ),
    time(
      'errors',
      'Responses by outcome',
      'per second',
      OUTCOMES.filter((o) => o !== 'ok' && s.some((p) => p.byOutcome[o] > 0)).map((o) =>
        line(o, s.map((p) => p.byOutcome[o]), OUTCOME_COLOURS[o] ?? '#333', { fill: true, stack: 'outcomes', backgroundColor: `${OUTCOME_COLOURS[o] ?? '#333333'}88` }),
      ),
      { y: { stacked: true } },
    ),
    time('in-flight', 'In flight and dropped', 'count', [
      line('in flight (max in the second)', s.map((p) => p.inFlight), '#1f77b4'),
      line('dropped arrivals', s.map((p) => p.dropped), '#d62728'),
    ]),
  ];
  const custom = customChart(analysis, time, line);
  if (custom !== undefined) charts.splice(1, 0, custom);
  charts.push(...serverCharts(run.server, t, time, line));
  return charts;
}

export const CUSTOM_CHART_ID = 'custom-metrics';

/**
 * The journeys' counters per second (left axis) and rates as a share of their samples (right
 * axis, %), when the run has any: what its people did, on the same clock as the load and faults.
 */
function customChart(analysis: Analysis, time: TimeChart, line: Line): ChartSpec | undefined {
  // A metric with no samples has no line to draw (the table says so).
  const counters = analysis.custom.filter((m) => m.type === 'counter' && m.peak !== null);
  const rates = analysis.custom.filter((m) => m.type === 'rate' && m.peak !== null);
  if (counters.length + rates.length === 0) return undefined;
  const datasets = [
    ...counters.map((m, i) => line(`${m.metric} per second`, m.perSecond, COLOURS[i % COLOURS.length]!, { yAxisID: 'y' })),
    ...rates.map((m, i) =>
      line(`${m.metric} (% of samples)`, m.perSecond.map((v) => (v === null ? null : Math.round(v * 1000) / 10)), COLOURS[(counters.length + i) % COLOURS.length]!, {
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

function perName(spec: ChartSpec, names: readonly string[]): ChartSpec {
  return { ...spec, groups: names };
}

function annotationsOf(analysis: Analysis): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  analysis.faults.forEach((f, i) => {
    if (f.startS === null) return;
    out[`fault${i}`] = {
      type: 'box',
      xMin: Math.floor(f.startS),
      xMax: Math.ceil(f.endS ?? analysis.series.length - 1),
      backgroundColor: 'rgba(255, 99, 71, 0.12)',
      borderWidth: 0,
      // Labels of faults that start together are stacked, not drawn over each other.
      label: { display: true, content: f.name, position: { x: 'start', y: 'start' }, yAdjust: 4 + 14 * i, font: { size: 10 }, color: '#a33' },
    };
  });
  const bp = analysis.breakingPoint;
  if (bp !== null) {
    out['breakingPoint'] = {
      type: 'line',
      xMin: bp.atS,
      xMax: bp.atS,
      borderColor: '#d62728',
      borderWidth: 2,
      borderDash: [6, 4],
      label: { display: true, content: `breaking point ${bp.atS} s`, position: 'center', backgroundColor: '#d62728', font: { size: 10 } },
    };
  }
  return out;
}

type TimeChart = (id: string, title: string, yTitle: string, datasets: Record<string, unknown>[], extra?: Record<string, unknown>) => ChartSpec;
type Line = (name: string, data: readonly (number | null)[], colour: string, more?: Record<string, unknown>) => Record<string, unknown>;

/**
 * The target's own metrics where server.ndjson has them: Prometheus series summed over their
 * labels (workers, profiles). Counters become per-second rates. Charts appear only for what was
 * scraped: pool waiters, cache hit ratio, event-loop lag, shed requests.
 */
function serverCharts(server: readonly Scrape[], t: readonly number[], time: TimeChart, line: Line): ChartSpec[] {
  if (server.length === 0) return [];
  const at = (s: Scrape) => Math.max(0, Math.floor(s.t));
  const sum = (metrics: Readonly<Record<string, number>>, name: string, label?: string): number | undefined => {
    let total: number | undefined;
    for (const [key, value] of Object.entries(metrics)) {
      const brace = key.indexOf('{');
      const base = brace === -1 ? key : key.slice(0, brace);
      if (base !== name) continue;
      if (label !== undefined && !key.includes(label)) continue;
      total = (total ?? 0) + value;
    }
    return total;
  };
  const gauge = (name: string, label?: string): (number | null)[] => {
    const byT = new Map<number, number>();
    for (const s of server) {
      if (s.metrics === undefined) continue;
      const v = sum(s.metrics, name, label);
      if (v !== undefined) byT.set(at(s), v);
    }
    return t.map((x) => byT.get(x) ?? null);
  };
  const rate = (name: string, label?: string): (number | null)[] => {
    const points: { t: number; v: number }[] = [];
    for (const s of server) {
      if (s.metrics === undefined) continue;
      const v = sum(s.metrics, name, label);
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
  };
  const has = (xs: readonly (number | null)[]) => xs.some((x) => x !== null);
  const charts: ChartSpec[] = [];

  const waiting = gauge('db_pool_waiting');
  const shed = rate('requests_shed_total');
  if (has(waiting) || has(shed)) {
    charts.push(time('server-pool', 'Server: database pool waiters and shed requests', 'count / per second', [line('waiting for a DB connection', waiting, '#9467bd'), line('shed (503) per second', shed, '#ff7f0e')]));
  }
  const hits = rate('cache_requests_total', 'outcome="hit"');
  const near = rate('cache_requests_total', 'outcome="near"');
  const all = rate('cache_requests_total');
  if (has(all)) {
    const ratio = t.map((_, i) => {
      const a = all[i];
      if (a === null || a === undefined || a === 0) return null;
      return Math.round((1000 * ((hits[i] ?? 0) + (near[i] ?? 0))) / a) / 1000;
    });
    charts.push(time('server-cache', 'Server: cache hit ratio', 'share of reads', [line('hit ratio (Redis or near cache)', ratio, '#2ca02c')], { y: { max: 1 } }));
  }
  const lag = gauge('nodejs_eventloop_lag_seconds');
  if (has(lag)) charts.push(time('server-lag', 'Server: event-loop lag (summed over workers)', 'seconds', [line('event-loop lag', lag, '#d62728')]));
  return charts;
}
