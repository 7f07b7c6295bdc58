import type { Analysis } from '../analyze/analyze.js';
import type { CustomMetricView } from '../analyze/custom.js';
import type { K6Values } from '../engine/custom-metrics.js';
import type { MetricUnit } from '../engine/journey.js';

/**
 * The journeys' custom metrics as the report's rows — "what it meant for people": each metric's
 * description, its value over the run, and its peak second against the faults. Plain strings, so
 * report.html and summary.md show the same table. Nothing here knows what the metrics mean.
 */
export interface CustomRow {
  /** `metric` or `metric{k:v}` for a tag set's row. */
  readonly metric: string;
  readonly description: string;
  readonly value: string;
  readonly peak: string;
  /** A tag set's row, under its metric's. */
  readonly tagRow: boolean;
}

export const SECTION_TITLE = 'What it meant for people';
const MAX_TAG_ROWS = 12;

export function customRows(analysis: Analysis): CustomRow[] {
  const rows: CustomRow[] = [];
  for (const m of analysis.custom) {
    const dropped = m.tagsDropped > 0 ? ` (${formatNumber(m.tagsDropped)} samples without their tags: too many tag sets)` : '';
    rows.push({ metric: m.metric, description: m.description + dropped, value: describeValues(m.type, m.unit, m.values), peak: describePeak(m), tagRow: false });
    for (const t of m.byTags.slice(0, MAX_TAG_ROWS)) {
      const tags = Object.entries(t.tags).map(([k, v]) => `${k}:${v}`).join(',');
      rows.push({ metric: `${m.metric}{${tags}}`, description: '', value: describeValues(m.type, m.unit, t.values), peak: '', tagRow: true });
    }
    if (m.byTags.length > MAX_TAG_ROWS) rows.push({ metric: `${m.metric}{…}`, description: `and ${m.byTags.length - MAX_TAG_ROWS} more tag sets (summary.json has them all)`, value: '', peak: '', tagRow: true });
  }
  return rows;
}

/** One metric's values over the run, in words and its unit. */
export function describeValues(type: CustomMetricView['type'], unit: MetricUnit, v: K6Values): string {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '–' : formatIn(unit, x));
  switch (type) {
    case 'counter':
      return `${f(v['count'])} (${formatNumber(v['rate'] ?? 0, 2)}/s)`;
    case 'rate':
      return v['rate'] === null || v['rate'] === undefined ? 'no samples' : `${formatPercent(v['rate'])} of ${formatNumber((v['passes'] ?? 0) + (v['fails'] ?? 0))}`;
    case 'gauge':
      return v['value'] === null ? 'no samples' : `last ${f(v['value'])} (min ${f(v['min'])}, max ${f(v['max'])})`;
    case 'trend':
      return v['avg'] === null ? 'no samples' : `p95 ${f(v['p(95)'])}, med ${f(v['med'])}, avg ${f(v['avg'])}, max ${f(v['max'])}`;
  }
}

/** "212/s at +95 s, 4 s after restore ended". */
export function describePeak(m: CustomMetricView): string {
  const p = m.peak;
  if (p === null) return '–';
  const what =
    m.type === 'counter' ? `${formatIn(m.unit, p.value)}/s` : m.type === 'rate' ? formatPercent(p.value) : m.type === 'trend' ? `p95 ${formatIn(m.unit, p.value)}` : formatIn(m.unit, p.value);
  const f = p.fault;
  const when = f === null ? '' : f.relation === 'during' ? `, during ${f.name}` : `, ${f.afterS} s after ${f.name} ended`;
  return `${what} at +${p.atS} s${when}`;
}

export function formatIn(unit: MetricUnit, x: number): string {
  switch (unit) {
    case 'ms':
      return Math.abs(x) >= 10_000 ? `${formatNumber(x / 1000, 1)} s` : `${formatNumber(x, 1)} ms`;
    case 'clock':
      return clock(x);
    default:
      return formatNumber(x, 3);
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const day = ((s % 86_400) + 86_400) % 86_400;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(day / 3600))}:${two(Math.floor((day % 3600) / 60))}:${two(day % 60)}`;
}

export function formatNumber(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function formatPercent(share: number): string {
  return `${formatNumber(share * 100, 1)} %`;
}
