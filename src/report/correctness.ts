import type { CorrectnessSummary, Summary } from '../run-files/summary.js';
import { colourAt, line, type ChartSpec, type TimeChart } from './chart-spec.js';
import { esc } from './escape.js';
import type { JunitCase } from './junit.js';

/**
 * The correctness check (summary.json `correctness`) as every rendering shows it: one row, and
 * one junit test case, per invariant (anomaly kind) with its first example and time; report.html
 * also draws the anomalies per second on the run's clock, fault windows shaded.
 */
export const CORRECTNESS_CHART_ID = 'correctness';

interface InvariantRow {
  readonly kind: string;
  readonly violations: number;
  /** "+12.345 s: what was seen against what was true", or '' when there is none. */
  readonly first: string;
}

function rows(c: CorrectnessSummary): InvariantRow[] {
  return Object.entries(c.byKind).map(([kind, violations]) => {
    const first = c.examples.find((e) => e.kind === kind);
    return { kind, violations, first: first === undefined ? '' : `+${first.t.toFixed(3)} s: ${first.detail}` };
  });
}

function title(c: CorrectnessSummary): string {
  const notKept = c.notKept ? `, ${c.notKept.toLocaleString('en')} over the history's cap not kept` : '';
  return `Correctness (${c.operations.toLocaleString('en')} operations judged${notKept}; staleness bound ${c.staleBoundMs} ms)`;
}

function verdictLine(c: CorrectnessSummary): string {
  const recovered = Object.entries(c.recovered).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  const violations = c.violations === 0 ? '✅ no violations' : `❌ ${c.violations.toLocaleString('en')} violations`;
  return `${violations}; checks ${c.checks.passes.toLocaleString('en')} of ${c.checks.total.toLocaleString('en')} passed; recovered (indeterminate writes that applied): ${recovered}`;
}

export function correctnessMarkdown(summary: Summary): string[] {
  const c = summary.correctness;
  if (c === null) return [];
  const out = [`## ${title(c)}`, '', verdictLine(c), '', '| | invariant | violations | first example |', '| --- | --- | ---: | --- |'];
  for (const r of rows(c)) out.push(`| ${r.violations === 0 ? '✅' : '❌'} | ${r.kind} | ${r.violations} | ${r.first === '' ? '–' : r.first.replace(/\|/g, '\\|')} |`);
  out.push('');
  return out;
}

/** report.html's section: the same table, every example kept (up to summary.json's few per kind), and the chart's canvas. */
export function correctnessHtml(summary: Summary, canvas: string): string {
  const c = summary.correctness;
  if (c === null) return '';
  const table = rows(c).map(
    (r) =>
      `<tr><td class="${r.violations === 0 ? 'ok' : 'bad'}">${r.violations === 0 ? '✓' : '✗'} ${esc(r.kind)}</td><td>${r.violations.toLocaleString('en')}</td><td>${r.first === '' ? '–' : esc(r.first)}</td></tr>`,
  );
  const examples = c.examples.map(
    (e) => `<tr><td>${esc(e.kind)}</td><td>+${e.t.toFixed(3)} s</td><td>${esc(Object.entries(e.keys).map(([k, v]) => `${k} ${v}`).join(', '))}</td><td>${esc(e.detail)}</td></tr>`,
  );
  return [
    `<section id="correctness"><h2>${esc(title(c))}</h2><p>${esc(verdictLine(c))}</p>`,
    `<table><tr><th>invariant</th><th>violations</th><th>first example</th></tr>${table.join('')}</table>`,
    examples.length === 0 ? '' : `<h3>Examples</h3><table id="correctness-examples"><tr><th>kind</th><th>began</th><th>keys</th><th>seen against true</th></tr>${examples.join('')}</table>`,
    canvas,
    '</section>',
  ].join('\n');
}

/** Anomalies per second by kind, stacked, on the run's clock; none when the check found none. */
export function correctnessChart(summary: Pick<Summary, 'correctness'>, t: readonly number[], time: TimeChart): ChartSpec | undefined {
  const c = summary.correctness;
  if (c === null || c.bySecond.length === 0) return undefined;
  const index = new Map(t.map((x, i) => [x, i]));
  const timed = new Set(c.bySecond.map((s) => s.kind));
  const kinds = Object.keys(c.byKind).filter((k) => timed.has(k));
  const datasets = kinds.map((kind, i) => {
    const data: number[] = t.map(() => 0);
    for (const s of c.bySecond) {
      // An operation that began in the run's last, partial second may fall past the series: it counts in the last second drawn.
      const at = index.get(s.t) ?? (s.t > (t.at(-1) ?? 0) ? t.length - 1 : undefined);
      if (s.kind === kind && at !== undefined) data[at]! += s.count;
    }
    const colour = colourAt(i + 1);
    return line(kind, data, colour, { fill: true, stack: 'anomalies', backgroundColor: `${colour}88` });
  });
  return time(CORRECTNESS_CHART_ID, 'Correctness violations by the second their operation began', 'per second', datasets, { y: { stacked: true } });
}

export function correctnessCases(summary: Summary): JunitCase[] {
  const c = summary.correctness;
  if (c === null) return [];
  return rows(c).map((r) => ({ classname: 'correctness', name: r.kind, failure: r.violations === 0 ? undefined : `${r.violations} violations; first at ${r.first || '?'}` }));
}
