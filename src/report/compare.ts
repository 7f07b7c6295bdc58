import type { Analysis } from '../analyze/analyze.js';
import type { MetricKind } from '../engine/journey.js';
import type { Summary } from '../run-files/summary.js';
import type { ChartSpec } from './charts.js';
import { esc } from './escape.js';
import { chartsHtml, page } from './html.js';
import { settingsOf, settingsText } from './settings.js';

/**
 * One page for two runs: the same charts with both runs overlaid (A solid, B dashed), and a table
 * of differences. Runs are aligned on their second 0.
 */
export interface ComparedRun {
  readonly label: string;
  readonly summary: Summary;
  readonly analysis: Analysis;
}

export interface Difference {
  readonly what: string;
  readonly a: number | string | null;
  readonly b: number | string | null;
  /** (b − a) / a as a percentage, when both are numbers and a is not 0. */
  readonly changePct: number | null;
}

export function differences(a: ComparedRun, b: ComparedRun): Difference[] {
  const row = (what: string, x: number | string | null | undefined, y: number | string | null | undefined): Difference => ({
    what,
    a: x ?? null,
    b: y ?? null,
    changePct: typeof x === 'number' && typeof y === 'number' && x !== 0 ? Math.round((1000 * (y - x)) / x) / 10 : null,
  });
  const failRate = (s: Summary) => (s.requests.total === 0 ? null : Math.round((10000 * s.requests.failed) / s.requests.total) / 10000);
  const rows: Difference[] = [
    row('verdict', a.summary.verdict, b.summary.verdict),
    row('profile', a.summary.profile ?? 'external target', b.summary.profile ?? 'external target'),
    row('settings (--set)', settingsText(settingsOf(a.summary)) || 'none', settingsText(settingsOf(b.summary)) || 'none'),
    row('requests', a.summary.requests.total, b.summary.requests.total),
    row('failed share', failRate(a.summary), failRate(b.summary)),
    row('offered avg /s', a.summary.rate.offeredAvg, b.summary.rate.offeredAvg),
    row('latency p50 ms', a.summary.latencyMs?.p50, b.summary.latencyMs?.p50),
    row('latency p95 ms', a.summary.latencyMs?.p95, b.summary.latencyMs?.p95),
    row('latency p99 ms', a.summary.latencyMs?.p99, b.summary.latencyMs?.p99),
    row('latency max ms', a.summary.latencyMs?.max, b.summary.latencyMs?.max),
    row('capacity (good /s)', a.analysis.capacity?.goodRps, b.analysis.capacity?.goodRps),
    row('breaking point (s)', a.analysis.breakingPoint?.atS ?? 'none', b.analysis.breakingPoint?.atS ?? 'none'),
    row('breaking point offered /s', a.analysis.breakingPoint?.offeredRps, b.analysis.breakingPoint?.offeredRps),
    row('metastable', a.analysis.metastable.flagged ? 'yes' : 'no', b.analysis.metastable.flagged ? 'yes' : 'no'),
  ];
  rows.push(...goodputRows(a, b, row));
  const faults = new Set([...a.analysis.faults, ...b.analysis.faults].map((f) => f.name));
  for (const name of faults) {
    const fa = a.analysis.faults.find((f) => f.name === name);
    const fb = b.analysis.faults.find((f) => f.name === name);
    rows.push(row(`fault ${name}: recovered after (s)`, fa?.recoveryS ?? (fa === undefined ? '–' : 'not within the run'), fb?.recoveryS ?? (fb === undefined ? '–' : 'not within the run')));
    const surge = (f: typeof fa): string =>
      f === undefined ? '–' : f.surges.length === 0 ? 'none' : f.surges.slice(0, LARGEST_SURGES).map((s) => `${s.name} ${s.peakRps}/s at ${s.atS} s`).join('; ');
    rows.push(row(`fault ${name}: largest surges after it`, surge(fa), surge(fb)));
  }
  // The journeys' custom metrics side by side: each by the value k6's summary leads with.
  const metrics = [...new Set([...a.analysis.custom, ...b.analysis.custom].map((m) => m.metric))].sort();
  for (const metric of metrics) {
    const ma = a.analysis.custom.find((m) => m.metric === metric);
    const mb = b.analysis.custom.find((m) => m.metric === metric);
    const type = (ma ?? mb)!.type;
    for (const key of LEADING_VALUES[type]) {
      const round3 = (v: number | null | undefined) => (v === null || v === undefined ? v : Math.round(v * 1000) / 1000);
      rows.push(row(`${metric} ${key}`, ma === undefined ? '–' : round3(ma.values[key]), mb === undefined ? '–' : round3(mb.values[key])));
    }
  }
  return rows;
}

/** Each goodput span of either run: its goodput, and what it kept of the first span's. */
function goodputRows(a: ComparedRun, b: ComparedRun, row: (what: string, x: number | string | null | undefined, y: number | string | null | undefined) => Difference): Difference[] {
  const ga = a.analysis.goodput;
  const gb = b.analysis.goodput;
  const out: Difference[] = [];
  const names = [...new Set([...(ga?.windows ?? []), ...(gb?.windows ?? [])].map((w) => w.name))];
  for (const name of names) {
    const wa = ga?.windows.find((w) => w.name === name);
    const wb = gb?.windows.find((w) => w.name === name);
    const w = (wa ?? wb)!;
    const within = (ga ?? gb)?.withinMs;
    const label = `goodput ${name} (${w.from}–${w.to}${within === null || within === undefined ? '' : `, within ${within / 1000} s`}) /s`;
    out.push(row(label, wa === undefined ? '–' : wa.goodRps, wb === undefined ? '–' : wb.goodRps));
    const first = (ga ?? gb)!.windows[0]!;
    if (first.name !== name) out.push(row(`goodput ${name}: kept of ${first.name}`, wa === undefined ? '–' : wa.ofFirst, wb === undefined ? '–' : wb.ofFirst));
  }
  return out;
}

/** How many of a fault's surges `compare` names, largest first (the report lists them all). */
const LARGEST_SURGES = 3;

const LEADING_VALUES: Readonly<Record<MetricKind, readonly string[]>> = {
  counter: ['count', 'rate'],
  rate: ['rate'],
  gauge: ['value', 'max'],
  trend: ['p(95)', 'avg'],
};

/** The charts of A and B with B's datasets dashed and both labelled, one chart per kind. */
export function overlay(a: readonly ChartSpec[], b: readonly ChartSpec[], labels: readonly [string, string]): ChartSpec[] {
  const out: ChartSpec[] = [];
  // A chart only one run has (its custom metrics, its server's) is drawn with that run alone.
  for (const base of [...a, ...b.filter((cb) => !a.some((ca) => ca.id === cb.id))]) {
    const ca = a.find((c) => c.id === base.id) ?? { ...base, config: { ...base.config, data: { labels: [], datasets: [] } } };
    const cb = b.find((c) => c.id === base.id);
    const dataA = (ca.config['data'] ?? {}) as { labels: number[]; datasets: Record<string, unknown>[] };
    const dataB = (cb?.config['data'] ?? { labels: [], datasets: [] }) as { labels: number[]; datasets: Record<string, unknown>[] };
    const length = Math.max(dataA.labels.length, dataB.labels.length);
    const pad = (d: unknown) => {
      const xs = [...((d as (number | null)[] | undefined) ?? [])];
      while (xs.length < length) xs.push(null);
      return xs;
    };
    const options = structuredClone(ca.config['options']) as { plugins: { title: { text: string }; annotation?: unknown } };
    options.plugins.title.text = `${ca.title}: ${labels[0]} (solid) vs ${labels[1]} (dashed)`;
    // Fault windows and breaking points differ between runs: not drawn on an overlay.
    delete options.plugins.annotation;
    out.push({
      id: ca.id,
      title: ca.title,
      ...(ca.groups === undefined ? {} : { groups: ca.groups }),
      config: {
        ...ca.config,
        data: {
          labels: Array.from({ length }, (_, i) => i),
          datasets: [
            ...dataA.datasets.map((d) => ({ ...d, label: `${labels[0]}: ${String(d['label'])}`, data: pad(d['data']), borderDash: [] })),
            ...dataB.datasets.map((d) => ({ ...d, label: `${labels[1]}: ${String(d['label'])}`, data: pad(d['data']), borderDash: [6, 4] })),
          ],
        },
        options,
      },
    });
  }
  return out;
}

export function renderCompareHtml(a: ComparedRun, b: ComparedRun, charts: readonly ChartSpec[]): string {
  const rows = differences(a, b)
    .map((d) => `<tr><td>${esc(d.what)}</td><td>${esc(d.a ?? '–')}</td><td>${esc(d.b ?? '–')}</td><td>${d.changePct === null ? '' : `${d.changePct > 0 ? '+' : ''}${d.changePct} %`}</td></tr>`)
    .join('');
  const body = [
    `<header class="${b.summary.verdict}"><h1>${esc(a.label)} vs ${esc(b.label)}</h1><p class="meta">A: ${esc(a.summary.scenario)}, started ${esc(a.summary.startedAt)} · B: ${esc(b.summary.scenario)}, started ${esc(b.summary.startedAt)}</p></header>`,
    `<section><h2>Differences</h2><table><tr><th>measure</th><th>A</th><th>B</th><th>change</th></tr>${rows}</table></section>`,
    chartsHtml(charts),
  ].join('\n');
  return page(`codestorm: ${a.label} vs ${b.label}`, body, charts);
}
