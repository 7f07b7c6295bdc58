import type { BaselineVerdict, CapacityReport } from '../cli/capacity.js';
import type { ChartSpec } from './charts.js';
import { esc } from './escape.js';
import { chartsHtml, page } from './html.js';
import { junitXml } from './junit.js';

/**
 * The renderings of `codestorm capacity`: the curve of rate against latency and errors with the
 * knee (the capacity) marked, the steps, and the verdict; as a page, as Markdown for a CI step
 * summary, and as JUnit.
 */
export function capacityChart(r: CapacityReport): ChartSpec {
  const steps = [...r.steps].sort((a, b) => a.rateRps - b.rateRps);
  const annotations: Record<string, unknown> = {};
  if (r.knee !== null) {
    annotations['knee'] = {
      type: 'line',
      xMin: r.knee.rateRps,
      xMax: r.knee.rateRps,
      borderColor: '#2ca02c',
      borderWidth: 2,
      borderDash: [6, 4],
      label: { display: true, content: `capacity ${r.capacityRps}/s`, position: 'start', backgroundColor: '#2ca02c', font: { size: 10 } },
    };
  }
  return {
    id: 'capacity',
    title: 'Rate against latency and errors',
    config: {
      type: 'line',
      data: {
        datasets: [
          { label: 'p99 ms', data: steps.map((s) => ({ x: s.rateRps, y: s.p99Ms })), borderColor: '#d62728', backgroundColor: '#d62728', yAxisID: 'y' },
          { label: 'p50 ms', data: steps.map((s) => ({ x: s.rateRps, y: s.p50Ms })), borderColor: '#2ca02c', backgroundColor: '#2ca02c', yAxisID: 'y' },
          { label: 'errors %', data: steps.map((s) => ({ x: s.rateRps, y: s.errorRate === null ? null : Math.round(s.errorRate * 1000) / 10 })), borderColor: '#ff7f0e', backgroundColor: '#ff7f0e', borderDash: [4, 3], yAxisID: 'errors' },
        ],
      },
      options: {
        animation: false,
        responsive: false,
        elements: { point: { radius: 3 } },
        plugins: { title: { display: true, text: 'Rate against latency and errors (each point a step)' }, legend: { position: 'bottom' }, annotation: { annotations } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'arrivals per second' } },
          y: { type: 'logarithmic', title: { display: true, text: 'ms' } },
          errors: { type: 'linear', position: 'right', min: 0, max: 100, title: { display: true, text: 'errors %' }, grid: { drawOnChartArea: false } },
        },
      },
    },
  };
}

export function renderCapacityHtml(r: CapacityReport): string {
  const chart = capacityChart(r);
  const rows = r.steps
    .map(
      (s, i) =>
        `<tr><td>${i + 1}</td><td>${s.rateRps}/s</td><td class="${s.ok ? 'ok' : 'bad'}">${s.ok ? 'held' : 'broke'}</td><td>${s.p50Ms ?? '–'} ms</td><td>${s.p99Ms ?? '–'} ms</td><td>${s.errorRate === null ? '–' : `${Math.round(s.errorRate * 1000) / 10} %`}</td><td>${s.goodRps}/s</td><td>${esc(s.reason ?? '')}</td></tr>`,
    )
    .join('');
  const base =
    r.baseline === null
      ? ''
      : `<section><h2>Baseline</h2><p>${esc(r.baseline.file)}: capacity ${r.baseline.capacityRps}/s → ${r.capacityRps}/s (${r.baseline.capacityChangePct} %), ${esc(p99Comparison(r.baseline, r))}; allowed regression ${r.baseline.maxRegressionPct} %: <strong class="${r.baseline.ok ? 'ok' : 'bad'}">${r.baseline.ok ? 'within it' : 'beyond it'}</strong>.</p></section>`;
  const body = [
    `<header class="${r.verdict}"><h1>${esc(r.scenario)}: capacity ${r.verdict.toUpperCase()}</h1><p class="meta">target ${esc(r.target)} · SLO ${esc(r.slo.join(', '))}</p></header>`,
    `<section><h2>Answer</h2><p>${esc(r.reason)}</p></section>`,
    base,
    `<section><h2>Steps</h2><table><tr><th>#</th><th>rate</th><th>verdict</th><th>p50</th><th>p99</th><th>errors</th><th>good</th><th>why</th></tr>${rows}</table></section>`,
    chartsHtml([chart]),
  ].join('\n');
  return page(`codestorm capacity: ${r.scenario}`, body, [chart]);
}

export function renderCapacityMarkdown(r: CapacityReport): string {
  const lines = [
    `# ${r.verdict === 'pass' ? '✅' : '❌'} ${r.scenario}: capacity ${r.verdict.toUpperCase()}`,
    '',
    r.reason,
    '',
    `SLO: ${r.slo.map((s) => `\`${s}\``).join(', ')}`,
    '',
    '| step | rate | verdict | p50 | p99 | errors |',
    '| ---: | ---: | --- | ---: | ---: | ---: |',
    ...r.steps.map((s, i) => `| ${i + 1} | ${s.rateRps}/s | ${s.ok ? 'held' : 'broke'} | ${s.p50Ms ?? '–'} ms | ${s.p99Ms ?? '–'} ms | ${s.errorRate === null ? '–' : `${Math.round(s.errorRate * 1000) / 10} %`} |`),
  ];
  if (r.baseline !== null) {
    lines.push('', `Baseline ${r.baseline.file}: capacity ${r.baseline.capacityRps}/s → ${r.capacityRps}/s (${r.baseline.capacityChangePct} %), ${p99Comparison(r.baseline, r)}, allowed regression ${r.baseline.maxRegressionPct} %: ${r.baseline.ok ? 'within it' : '**beyond it**'}.`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * "p99 at the first step 9.3 ms [7.1–12.6] → 7.4 ms [6.2–9.9] (-20.5 %, within sampling noise)":
 * the intervals are what the gate compares. One wording for stderr, summary.md and capacity.html.
 */
export function p99Comparison(b: BaselineVerdict, now: Pick<CapacityReport, 'p99AtStartMs' | 'p99AtStartIntervalMs'>): string {
  const at = (ms: number | null, interval: readonly [number, number | null] | null): string =>
    ms === null ? '–' : `${ms} ms${interval === null ? '' : ` [${interval[0]}–${interval[1] ?? 'open'}]`}`;
  const change = b.p99ChangePct === null ? '' : ` (${b.p99ChangePct > 0 ? '+' : ''}${b.p99ChangePct} %${b.p99ChangeSignificant === false ? ', within sampling noise' : ''})`;
  return `p99 at the first step ${at(b.p99AtStartMs, b.p99AtStartIntervalMs)} → ${at(now.p99AtStartMs, now.p99AtStartIntervalMs)}${change}`;
}

export function renderCapacityJunit(r: CapacityReport): string {
  return junitXml('codestorm capacity', { name: r.scenario }, [
    { classname: 'capacity', name: `SLO held at some rate (${r.slo.join(', ')})`, failure: r.sloHeld ? undefined : r.reason },
    ...(r.baseline === null ? [] : [{ classname: 'capacity', name: `no regression beyond ${r.baseline.maxRegressionPct} % against ${r.baseline.file}`, failure: r.baseline.ok ? undefined : r.reason }]),
  ]);
}
