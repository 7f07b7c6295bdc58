import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Analysis } from '../analyze/analyze.js';
import type { Summary } from '../run-files/summary.js';
import { CORRECTNESS_CHART_ID, CUSTOM_CHART_ID, type ChartSpec } from './charts.js';
import { correctnessHtml } from './correctness.js';
import { customRows, SECTION_TITLE } from './custom.js';
import { esc } from './escape.js';
import { story, surgeText } from './markdown.js';
import { serverLabel, settingsOf } from './settings.js';

/**
 * report.html: one self-contained page (Chart.js and chartjs-plugin-annotation inlined, the data
 * inlined as JSON) that opens offline from disk. The verdict and the story first — what broke,
 * when, at what rate, how long it took to recover — then what the journeys' custom metrics say
 * (when they have any), then the tables, then the charts.
 */
const require = createRequire(import.meta.url);

let libraries: string | undefined;
/** Chart.js and chartjs-plugin-annotation as inline <script> elements (report.html, the live dashboard). */
export function inlineLibraries(): string {
  if (libraries === undefined) {
    const chart = readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
    const annotation = readFileSync(path.join(path.dirname(require.resolve('chartjs-plugin-annotation')), 'chartjs-plugin-annotation.min.js'), 'utf8');
    libraries = `<script>${scriptSafe(chart)}</script>\n<script>${scriptSafe(annotation)}</script>`;
  }
  return libraries;
}

/** Text inside <script> must not close it. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1');
}

export interface HtmlRun {
  readonly summary: Summary;
  readonly analysis: Analysis;
  readonly charts: readonly ChartSpec[];
}

export function renderHtml(run: HtmlRun): string {
  const { summary, analysis } = run;
  const body = [
    `<header class="${summary.verdict}"><h1>${esc(summary.scenario)}: ${summary.verdict.toUpperCase()}${summary.interrupted ? ' (interrupted)' : ''}</h1>`,
    `<p class="meta">seed ${esc(summary.seed)} · ${summary.profile === null ? '' : `profile ${esc(serverLabel(summary.profile, settingsOf(summary)) ?? summary.profile)} · `}target ${esc(summary.target)} · started ${esc(summary.startedAt)} · ${esc(summary.durationS)} s</p></header>`,
    '<section><h2>What happened</h2><ul>',
    ...story(summary, analysis).map((line) => `<li>${esc(line).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')}</li>`),
    '</ul></section>',
    people(analysis, run.charts),
    correctness(summary, run.charts),
    numbers(summary),
    verdicts(summary, analysis),
    faults(analysis),
    chartsHtml(run.charts.filter((c) => c.id !== CUSTOM_CHART_ID && c.id !== CORRECTNESS_CHART_ID)),
  ].join('\n');
  return page(`codestorm: ${summary.scenario}`, body, run.charts);
}

export function page(title: string, body: string, charts: readonly ChartSpec[]): string {
  const data = JSON.stringify(charts.map((c) => ({ id: c.id, config: c.config, groups: c.groups ?? null }))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:0 16px 48px;color:#222;background:#fff}
header{padding:12px 16px;margin:16px 0;border-radius:6px}header.pass{background:#e8f5e9}header.fail{background:#fdecea}
h1{margin:0;font-size:22px}h2{font-size:17px;margin:26px 0 8px}.meta{margin:4px 0 0;color:#555}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}
#people td,#people th{text-align:left}#people tr.tags td{color:#555;font-size:13px}#people tr.tags td:first-child{padding-left:22px}
.ok{color:#1b7f2a}.bad{color:#c62828;font-weight:600}
.chart{margin:18px 0;border:1px solid #eee;border-radius:6px;padding:8px}canvas{max-width:100%}
</style></head><body>
${body}
<script type="application/json" id="charts">${data}</script>
${inlineLibraries()}
<script>
(function () {
  var plugin = window['chartjs-plugin-annotation'];
  if (plugin) Chart.register(plugin);
  var specs = JSON.parse(document.getElementById('charts').textContent);
  specs.forEach(function (spec) {
    var canvas = document.getElementById('chart-' + spec.id);
    if (!canvas) return;
    var chart = new Chart(canvas.getContext('2d'), spec.config);
    if (!spec.groups || spec.groups.length === 0) return;
    // One request name at a time: a menu above the chart chooses which.
    var menu = document.createElement('select');
    menu.id = 'choose-' + spec.id;
    spec.groups.forEach(function (g) {
      var option = document.createElement('option');
      option.value = g;
      option.textContent = g;
      menu.appendChild(option);
    });
    menu.addEventListener('change', function () {
      chart.data.datasets.forEach(function (d) { d.hidden = d.group !== menu.value; });
      chart.update();
    });
    canvas.parentNode.insertBefore(menu, canvas);
  });
  document.body.setAttribute('data-charts-drawn', String(specs.length));
})();
</script>
</body></html>
`;
}

/** The custom metrics' table and chart; nothing when the journeys declared none. */
function people(a: Analysis, charts: readonly ChartSpec[]): string {
  if (a.custom.length === 0) return '';
  const rows = customRows(a).map(
    (r) => `<tr${r.tagRow ? ' class="tags"' : ''}><td><code>${esc(r.metric)}</code></td><td>${esc(r.description)}</td><td>${esc(r.value)}</td><td>${esc(r.peak)}</td></tr>`,
  );
  const chart = charts.find((c) => c.id === CUSTOM_CHART_ID);
  return `<section id="people"><h2>${esc(SECTION_TITLE)}</h2><table><tr><th>metric</th><th>what</th><th>over the run</th><th>peak second</th></tr>${rows.join('')}</table>${chart === undefined ? '' : chartsHtml([chart], '')}</section>`;
}

/** What the correctness check found, with its chart; nothing when no check ran. */
function correctness(summary: Summary, charts: readonly ChartSpec[]): string {
  const chart = charts.find((c) => c.id === CORRECTNESS_CHART_ID);
  return correctnessHtml(summary, chart === undefined ? '' : chartsHtml([chart], ''));
}

function numbers(s: Summary): string {
  const l = s.latencyMs;
  return `<section><h2>Numbers</h2><table><tr><th>requests</th><th>ok</th><th>failed</th><th>dropped arrivals</th><th>offered avg</th><th>achieved avg</th><th>peak offered</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>
<tr><td>${s.requests.total}</td><td>${s.requests.ok}</td><td>${s.requests.failed}</td><td>${s.requests.dropped}</td><td>${s.rate.offeredAvg}/s</td><td>${s.rate.achievedAvg}/s</td><td>${s.rate.peakOffered}/s</td><td>${l?.p50 ?? '–'} ms</td><td>${l?.p95 ?? '–'} ms</td><td>${l?.p99 ?? '–'} ms</td><td>${l?.max ?? '–'} ms</td></tr></table></section>`;
}

function verdicts(s: Summary, a: Analysis): string {
  const rows = [
    ...s.thresholds.map((t) => `<tr><td>threshold</td><td>${esc(t.metric)}</td><td>${esc(t.expr)}</td><td class="${t.ok ? 'ok' : 'bad'}">${t.ok ? 'held' : 'failed'}</td><td>${t.value ?? 'no data'}</td></tr>`),
    ...a.slo.verdicts.map(
      (v) =>
        `<tr><td>SLO (${a.slo.windowS} s windows)</td><td>${esc(v.key)}</td><td>${esc(v.expr)}</td><td class="${v.ok ? 'ok' : 'bad'}">${v.ok ? 'held' : `violated ${v.violatedSeconds} s`}</td><td>${v.worst === null ? '–' : `worst ${v.worst.value} at ${v.worst.atS} s`}</td></tr>`,
    ),
  ];
  const note = a.slo.source === 'default' ? '<p class="meta">The scenario gives no <code>slo</code>: these are the defaults (p(99) &lt; 1000 ms, failures &lt; 5 %).</p>' : '';
  return `<section><h2>Thresholds and SLOs</h2><table><tr><th>kind</th><th>metric</th><th>objective</th><th>verdict</th><th>value</th></tr>${rows.join('')}</table>${note}</section>`;
}

function faults(a: Analysis): string {
  if (a.faults.length === 0) return '';
  const rows = a.faults.map(
    (f) =>
      `<tr><td>${esc(f.name)}</td><td>${esc(f.kind)}</td><td>${esc(f.target)}</td><td>${f.startS ?? '–'} s</td><td>${f.endS ?? '–'} s</td><td>${f.goodputBefore ?? '–'}/s</td><td>${f.goodputDuring ?? '–'}/s</td><td>${f.errorRateDuring === null ? '–' : `${Math.round(f.errorRateDuring * 1000) / 10} %`}</td><td>${f.p99During ?? '–'} ms</td><td>${f.recoveryS === null ? (f.endS === null ? '–' : 'not within the run') : `${f.recoveryS} s`}</td><td>${f.surges.length === 0 ? '–' : esc(surgeText(f.surges))}</td></tr>`,
  );
  return `<section><h2>Faults</h2><table><tr><th>fault</th><th>kind</th><th>target</th><th>from</th><th>to</th><th>goodput before</th><th>during</th><th>errors during</th><th>p99 during</th><th>recovered after</th><th>surged after it ended</th></tr>${rows.join('')}</table></section>`;
}

/** The charts' canvases, in a section titled `title` ('' for bare canvases inside another section). */
export function chartsHtml(charts: readonly ChartSpec[], title = 'Over time'): string {
  const canvases = charts
    .map((c) => `<div class="chart"><canvas id="chart-${esc(c.id)}" width="1120" height="320" aria-label="${esc(c.title)}" role="img"></canvas></div>`)
    .join('\n');
  return title === '' ? canvases : `<section><h2>${esc(title)}</h2>${canvases}</section>`;
}
