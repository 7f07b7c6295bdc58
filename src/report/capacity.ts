import { CLIFF_KEPT, PLATEAU_KEPT, shapeStep, type OverloadStep } from '../analyze/overload.js';
import { p99Comparison, type CapacityReport } from '../analyze/capacity-verdict.js';
import type { ChartSpec } from './charts.js';
import { esc } from './escape.js';
import { chartsHtml, page } from './html.js';
import { junitXml } from './junit.js';
import { serverLabel } from './settings.js';

/**
 * What the capacity charts draw: a finished search's report, or (the live dashboard) the steps
 * so far, before there is a knee.
 */
export type CapacityCurve = Pick<CapacityReport, 'steps' | 'knee' | 'capacityRps' | 'peakGoodputRps' | 'goodputLimitMs'> & {
  readonly overload: readonly Pick<OverloadStep, 'offeredRps' | 'goodputRps' | 'p99Ms' | 'errorShare'>[];
};

/**
 * The renderings of `codestorm capacity`: the curve of rate against latency and errors with the
 * knee (the capacity) marked, goodput against offered load over every step (the search's and the
 * overload's: a plateau for a target that sheds, a cliff for one that collapses), the steps, and
 * the verdict; as a page, as Markdown for a CI step summary, and as JUnit.
 */
export function capacityChart(r: CapacityCurve): ChartSpec {
  const steps = [...r.steps].sort((a, b) => a.rateRps - b.rateRps);
  const overload = [...r.overload].sort((a, b) => a.offeredRps - b.offeredRps);
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
          // Past the knee, as points of their own: they are not part of the search's curve.
          ...(overload.length === 0
            ? []
            : [
                { label: 'p99 ms, overload steps', data: overload.map((o) => ({ x: o.offeredRps, y: o.p99Ms })), showLine: false, pointStyle: 'triangle', pointRadius: 6, borderColor: '#d62728', backgroundColor: '#d62728', yAxisID: 'y' },
                { label: 'errors %, overload steps', data: overload.map((o) => ({ x: o.offeredRps, y: o.errorShare === null ? null : Math.round(o.errorShare * 1000) / 10 })), showLine: false, pointStyle: 'triangle', pointRadius: 6, borderColor: '#ff7f0e', backgroundColor: '#ff7f0e', yAxisID: 'errors' },
              ]),
        ],
      },
      options: {
        animation: false,
        responsive: false,
        elements: { point: { radius: 3 } },
        plugins: { title: { display: true, text: 'Rate against latency and errors (each point a step; triangles: the overload steps)' }, legend: { position: 'bottom' }, annotation: { annotations } },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'arrivals per second' } },
          y: { type: 'logarithmic', title: { display: true, text: 'ms' } },
          errors: { type: 'linear', position: 'right', min: 0, max: 100, title: { display: true, text: 'errors %' }, grid: { drawOnChartArea: false } },
        },
      },
    },
  };
}

/**
 * Goodput against offered load, every step: the search's up to the knee and beyond it, then the
 * overload steps from the knee on. Where goodput stays near the peak the target sheds what it
 * cannot do; where it falls towards 0 it collapsed. The bands of the shape rule are drawn.
 */
export function goodputChart(r: CapacityCurve): ChartSpec {
  const search = [...r.steps].sort((a, b) => a.rateRps - b.rateRps).map((s) => ({ x: s.rateRps, y: s.goodputRps }));
  const overload = [...r.overload].sort((a, b) => a.offeredRps - b.offeredRps).map((o) => ({ x: o.offeredRps, y: o.goodputRps }));
  const top = Math.max(0, ...search.map((p) => p.x), ...overload.map((p) => p.x));
  const kneePoint = r.knee === null ? [] : [{ x: r.knee.rateRps, y: r.knee.goodputRps }];
  return {
    id: 'goodput',
    title: 'Goodput against offered load',
    config: {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'goodput, search steps', data: search, showLine: true, borderColor: '#1f77b4', backgroundColor: '#1f77b4' },
          { label: 'goodput, overload steps', data: [...kneePoint, ...overload], showLine: true, borderColor: '#d62728', backgroundColor: '#d62728', pointStyle: 'triangle', pointRadius: 6 },
          { label: 'offered (every arrival answered in time)', data: [{ x: 0, y: 0 }, { x: top, y: top }], showLine: true, borderColor: '#999', borderDash: [4, 4], pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        responsive: false,
        plugins: {
          title: { display: true, text: `Goodput against offered load (good: ok${r.goodputLimitMs === null ? '' : ` within ${r.goodputLimitMs} ms`})` },
          legend: { position: 'bottom' },
          annotation: { annotations: goodputAnnotations(r) },
        },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'offered arrivals per second' } },
          y: { type: 'linear', min: 0, title: { display: true, text: 'good responses per second' } },
        },
      },
    },
  };
}

/** The capacity and the knee, and (with overload steps) the shape rule's bands at shares of the peak goodput. */
function goodputAnnotations(r: CapacityCurve): Record<string, unknown> {
  const annotations: Record<string, unknown> = {};
  if (r.knee !== null) {
    annotations['capacity'] = {
      type: 'line',
      xMin: r.capacityRps,
      xMax: r.capacityRps,
      borderColor: '#2ca02c',
      borderWidth: 2,
      borderDash: [6, 4],
      label: { display: true, content: `capacity ${r.capacityRps}/s`, position: 'start', backgroundColor: '#2ca02c', font: { size: 10 } },
    };
    annotations['knee'] = { type: 'point', xValue: r.knee.rateRps, yValue: r.knee.goodputRps, radius: 8, backgroundColor: 'rgba(44,160,44,0.25)', borderColor: '#2ca02c', borderWidth: 2 };
    annotations['knee-label'] = { type: 'label', xValue: r.knee.rateRps, yValue: r.knee.goodputRps, yAdjust: -18, content: 'knee', color: '#2ca02c', font: { size: 11, weight: 'bold' } };
  }
  const peak = r.peakGoodputRps;
  if (peak !== null && r.overload.length > 0) {
    const band = (share: number, colour: string, text: string) => ({
      type: 'line',
      yMin: share * peak,
      yMax: share * peak,
      borderColor: colour,
      borderWidth: 1,
      borderDash: [3, 3],
      label: { display: true, content: text, position: 'end', backgroundColor: colour, font: { size: 10 } },
    });
    annotations['plateau'] = band(PLATEAU_KEPT, '#1b7f2a', `${PLATEAU_KEPT * 100} % of peak goodput: a plateau above`);
    annotations['cliff'] = band(CLIFF_KEPT, '#c62828', `${CLIFF_KEPT * 100} %: a cliff below`);
  }
  return annotations;
}

/**
 * "plateau: at 2× (400/s) it kept 97 % of its peak goodput (200/s)": the shape and the step it was
 * judged at, for stdout, summary.md and capacity.html.
 */
export function overloadLine(r: Pick<CapacityReport, 'overload' | 'overloadShape' | 'peakGoodputRps'>): string {
  const at = shapeStep(r.overload);
  if (r.overloadShape === null || at === undefined || at.keptShare === null) return 'no overload steps ran';
  return `${r.overloadShape}: at ${at.multiple}× (${at.offeredRps}/s) it kept ${pct(at.keptShare)} of its peak goodput (${r.peakGoodputRps}/s)`;
}

/** What each overload number means, in one paragraph (src/analyze/overload.ts has the rule). */
function overloadDefinitions(r: CapacityReport): string {
  return `Goodput: ok responses${r.goodputLimitMs === null ? '' : ` within ${r.goodputLimitMs} ms (the SLO's latency limit)`} per second of a step's judged part. Peak: the highest goodput of any step that held the SLO (${r.peakGoodputRps ?? '–'}/s). The shape is judged at the step nearest 2×: a plateau at ${PLATEAU_KEPT * 100} % of the peak or more, a cliff at ${CLIFF_KEPT * 100} % or less, degrading between. Overload steps are measured, not gated.`;
}

function overloadCells(o: OverloadStep): string[] {
  const outcomes = Object.entries(o.byOutcome).map(([k, v]) => `${k} ${pct(v)}`).join(', ');
  return [`${o.multiple}×`, `${o.offeredRps}/s`, `${o.goodputRps}/s`, pct(o.keptShare), pct(o.errorShare), outcomes === '' ? '–' : outcomes, pct(o.lateShare), String(o.dropped), `${o.p50Ms ?? '–'} ms`, `${o.p99Ms ?? '–'} ms`];
}

const OVERLOAD_HEADINGS = ['multiple', 'offered', 'goodput', 'kept of peak', 'errors', 'by outcome', 'ok but late', 'dropped', 'p50', 'p99'];

function pct(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 1000) / 10} %`;
}

export function renderCapacityHtml(r: CapacityReport): string {
  const charts = [capacityChart(r), goodputChart(r)];
  const rows = r.steps
    .map(
      (s, i) =>
        `<tr><td>${i + 1}</td><td>${s.rateRps}/s</td><td class="${s.ok ? 'ok' : 'bad'}">${s.ok ? 'held' : 'broke'}</td><td>${s.p50Ms ?? '–'} ms</td><td>${s.p99Ms ?? '–'} ms</td><td>${s.errorRate === null ? '–' : `${Math.round(s.errorRate * 1000) / 10} %`}</td><td>${s.goodRps}/s</td><td>${s.goodputRps}/s</td><td>${esc(s.reason ?? '')}</td></tr>`,
    )
    .join('');
  const overload =
    r.overload.length === 0
      ? `<section><h2>Overload</h2><p>No overload steps ran${r.sloHeld ? ' (--no-overload, or --max left no room above the capacity)' : ': the SLO held at no rate'}.</p></section>`
      : `<section><h2>Overload</h2><p><strong>${esc(overloadLine(r))}</strong>.</p><p class="meta">${esc(overloadDefinitions(r))}</p><table><tr>${OVERLOAD_HEADINGS.map((h) => `<th>${h}</th>`).join('')}</tr>${r.overload.map((o) => `<tr>${overloadCells(o).map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table></section>`;
  const server = serverLabel(r.profile, r.settings);
  const base =
    r.baseline === null
      ? ''
      : `<section><h2>Baseline</h2><p>${esc(r.baseline.file)}: capacity ${r.baseline.capacityRps}/s → ${r.capacityRps}/s (${r.baseline.capacityChangePct} %), ${esc(p99Comparison(r.baseline, r))}; allowed regression ${r.baseline.maxRegressionPct} %: <strong class="${r.baseline.ok ? 'ok' : 'bad'}">${r.baseline.ok ? 'within it' : 'beyond it'}</strong>.</p></section>`;
  const body = [
    `<header class="${r.verdict}"><h1>${esc(r.scenario)}: capacity ${r.verdict.toUpperCase()}</h1><p class="meta">target ${esc(r.target)}${server === null ? '' : ` · profile ${esc(server)}`} · SLO ${esc(r.slo.join(', '))}</p></header>`,
    `<section><h2>Answer</h2><p>${esc(r.reason)}</p></section>`,
    base,
    `<section><h2>Steps</h2><table><tr><th>#</th><th>rate</th><th>verdict</th><th>p50</th><th>p99</th><th>errors</th><th>ok</th><th>goodput</th><th>why</th></tr>${rows}</table></section>`,
    overload,
    chartsHtml(charts),
  ].join('\n');
  return page(`codestorm capacity: ${r.scenario}`, body, charts);
}

export function renderCapacityMarkdown(r: CapacityReport): string {
  const server = serverLabel(r.profile, r.settings);
  const lines = [
    `# ${r.verdict === 'pass' ? '✅' : '❌'} ${r.scenario}: capacity ${r.verdict.toUpperCase()}`,
    '',
    r.reason,
    '',
    `SLO: ${r.slo.map((s) => `\`${s}\``).join(', ')}${server === null ? '' : ` · profile: ${server}`}`,
    '',
    '| step | rate | verdict | p50 | p99 | errors |',
    '| ---: | ---: | --- | ---: | ---: | ---: |',
    ...r.steps.map((s, i) => `| ${i + 1} | ${s.rateRps}/s | ${s.ok ? 'held' : 'broke'} | ${s.p50Ms ?? '–'} ms | ${s.p99Ms ?? '–'} ms | ${s.errorRate === null ? '–' : `${Math.round(s.errorRate * 1000) / 10} %`} |`),
  ];
  if (r.baseline !== null) {
    lines.push('', `Baseline ${r.baseline.file}: capacity ${r.baseline.capacityRps}/s → ${r.capacityRps}/s (${r.baseline.capacityChangePct} %), ${p99Comparison(r.baseline, r)}, allowed regression ${r.baseline.maxRegressionPct} %: ${r.baseline.ok ? 'within it' : '**beyond it**'}.`);
  }
  if (r.overload.length > 0) {
    lines.push(
      '',
      '## Overload (measured, not gated)',
      '',
      `**${overloadLine(r)}**.`,
      '',
      overloadDefinitions(r),
      '',
      `| ${OVERLOAD_HEADINGS.join(' | ')} |`,
      `| ${OVERLOAD_HEADINGS.map((h) => (h === 'by outcome' ? '---' : '---:')).join(' | ')} |`,
      ...r.overload.map((o) => `| ${overloadCells(o).join(' | ')} |`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderCapacityJunit(r: CapacityReport): string {
  return junitXml('codestorm capacity', { name: r.scenario }, [
    { classname: 'capacity', name: `SLO held at some rate (${r.slo.join(', ')})`, failure: r.sloHeld ? undefined : r.reason },
    ...(r.baseline === null ? [] : [{ classname: 'capacity', name: `no regression beyond ${r.baseline.maxRegressionPct} % against ${r.baseline.file}`, failure: r.baseline.ok ? undefined : r.reason }]),
    // Informational, never failing: the gate is capacity and p99, and a shape that was never
    // gated on before must not turn a build red by itself.
    ...r.overload.map((o) => ({
      classname: 'overload',
      name: `overload ${o.multiple}× (${o.offeredRps}/s, informational): goodput ${o.goodputRps}/s, ${pct(o.keptShare)} of the peak ${r.peakGoodputRps ?? '–'}/s, errors ${pct(o.errorShare)}, p99 ${o.p99Ms ?? '–'} ms`,
    })),
  ]);
}
