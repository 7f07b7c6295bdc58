import { SURGE_WINDOW_S, type Analysis, type RequestSurge } from '../analyze/analyze.js';
import type { Summary } from '../run-files/summary.js';
import { correctnessMarkdown } from './correctness.js';
import { customRows, SECTION_TITLE } from './custom.js';

/**
 * summary.md: the verdict and the key numbers in GitHub-flavoured Markdown, for a CI step
 * summary ($GITHUB_STEP_SUMMARY): the story first (what broke, when, at what rate, how long it
 * took to recover), then thresholds, SLOs, faults, and the charts when they were rendered.
 */
export function renderMarkdown(summary: Summary, analysis: Analysis, charts: readonly string[] = []): string {
  const out: string[] = [];
  const icon = summary.verdict === 'pass' ? '✅' : '❌';
  out.push(`# ${icon} ${summary.scenario}: ${summary.verdict.toUpperCase()}${summary.interrupted ? ' (interrupted)' : ''}`);
  out.push('');
  out.push(...story(summary, analysis).map((line) => `- ${line}`));
  out.push('');
  if (analysis.custom.length > 0) {
    out.push(`## ${SECTION_TITLE}`, '', '| metric | what | over the run | peak second |', '| --- | --- | --- | --- |');
    for (const r of customRows(analysis)) out.push(`| ${r.tagRow ? '↳ ' : ''}\`${cell(r.metric)}\` | ${cell(r.description)} | ${cell(r.value)} | ${cell(r.peak)} |`);
    out.push('');
  }
  out.push('| requests | ok | failed | dropped | offered avg | achieved avg | p50 | p95 | p99 | max |');
  out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const l = summary.latencyMs;
  out.push(
    `| ${summary.requests.total} | ${summary.requests.ok} | ${summary.requests.failed} | ${summary.requests.dropped} | ${summary.rate.offeredAvg}/s | ${summary.rate.achievedAvg}/s | ${l?.p50 ?? '–'} ms | ${l?.p95 ?? '–'} ms | ${l?.p99 ?? '–'} ms | ${l?.max ?? '–'} ms |`,
  );
  out.push('');
  if (summary.thresholds.length > 0) {
    out.push('## Thresholds', '', '| | metric | threshold | value |', '| --- | --- | --- | ---: |');
    for (const t of summary.thresholds) out.push(`| ${t.ok ? '✅' : '❌'} | \`${t.metric}\` | \`${t.expr}\` | ${t.value ?? 'no data'} |`);
    out.push('');
  }
  out.push(...correctnessMarkdown(summary));
  const s = analysis.slo;
  out.push(`## SLOs (${s.windowS} s windows, sustained ${s.sustainS} s${s.source === 'default' ? '; the default, the scenario gives none' : ''})`, '');
  out.push('| | metric | objective | seconds violated | worst |', '| --- | --- | --- | ---: | --- |');
  for (const v of s.verdicts) out.push(`| ${v.ok ? '✅' : '❌'} | \`${v.key}\` | \`${v.expr}\` | ${v.violatedSeconds} | ${v.worst === null ? '–' : `${v.worst.value} at ${v.worst.atS} s`} |`);
  out.push('');
  if (analysis.faults.length > 0) {
    out.push('## Faults', '', '| fault | kind | target | from | to | goodput before | during | errors during | p99 during | recovered after |', '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const f of analysis.faults) {
      out.push(
        `| ${f.name} | ${f.kind} | ${f.target} | ${f.startS ?? '–'} s | ${f.endS ?? '–'} s | ${f.goodputBefore ?? '–'}/s | ${f.goodputDuring ?? '–'}/s | ${f.errorRateDuring === null ? '–' : `${Math.round(f.errorRateDuring * 1000) / 10} %`} | ${f.p99During ?? '–'} ms | ${f.recoveryS === null ? (f.endS === null ? '–' : 'not within the run') : `${f.recoveryS} s`} |`,
      );
    }
    out.push('');
  }
  for (const c of charts) out.push(`![${c}](charts/${c})`);
  return `${out.join('\n')}\n`;
}

/** The run in plain sentences: what broke, when, at what rate, how long it took to recover. */
export function story(summary: Summary, analysis: Analysis): string[] {
  const lines: string[] = [];
  const bp = analysis.breakingPoint;
  if (bp === null) {
    lines.push(`The SLOs held throughout (${analysis.slo.verdicts.map((v) => `${v.key} ${v.expr}`).join(', ')}).`);
  } else {
    lines.push(breakingPointText(bp));
  }
  const c = analysis.capacity;
  if (c !== null) lines.push(`Capacity${c.lowerBound ? ' (at least)' : ''}: ${c.goodRps} good responses/s, ${c.completedRps} journeys/s completed of ${c.offeredRps} arrivals/s offered, around ${c.atS} s.`);
  const g = goodputText(analysis);
  if (g !== null) lines.push(g);
  for (const f of analysis.faults) {
    if (f.startS === null) {
      lines.push(`Fault ${f.name} (${f.kind} on ${f.target}) never began.`);
      continue;
    }
    const rec = f.recoveryS === null ? (f.endS === null ? '' : '; the SLOs did not hold again within the run') : `; the SLOs held again ${f.recoveryS} s after it ended`;
    lines.push(`Fault ${f.name} (${f.kind} on ${f.target}) from ${f.startS} s to ${f.endS ?? 'the end'} s: goodput ${f.goodputBefore ?? '–'}/s → ${f.goodputDuring ?? '–'}/s${rec}.`);
    if (f.surges.length > 0) lines.push(`After ${f.name} ended, within ${SURGE_WINDOW_S} s: ${surgeText(f.surges)}.`);
  }
  for (const t of analysis.metastable.triggers) {
    if (t.metastable === true) lines.push(`**Metastable failure**: ${t.kind === 'fault' ? `fault ${t.name} ended` : t.name} at ${t.goneS} s, and the SLOs ${t.recoveredAtS === null ? 'never held again within the run' : `held again only at ${t.recoveredAtS} s`}.`);
    else if (t.metastable === false && t.kind === 'load') lines.push(`Once the load fell back below capacity (${t.goneS} s), it recovered by ${t.recoveredAtS} s.`);
  }
  const gen = analysis.generator;
  if (gen !== null && gen.behindFromS !== null) {
    lines.push(
      `**The generator fell behind its schedule** from ${gen.behindFromS} s (${gen.secondsBehind} s in all; arrivals up to ${Math.round(gen.arrivalLagMaxMs)} ms late, at ${gen.atS} s): from there the target was sent less than the load offered, and the figures measure the generator as well as the target.`,
    );
  }
  if (summary.interruptedIterations > 0) {
    lines.push(`${summary.interruptedIterations} iterations were still running when the engine stopped waiting for them (gracefulStop): what they did after that is not counted.`);
  }
  if (summary.interrupted) lines.push('The run was interrupted: these are partial results.');
  return lines;
}

/** "Goodput within 3 s: before (08:45–09:00) 676/s; surge (09:00–10:00) 192/s, 0.28 of before." */
export function goodputText(analysis: Analysis): string | null {
  const g = analysis.goodput;
  if (g === null || g.windows.length === 0) return null;
  const first = g.windows[0]!.name;
  const spans = g.windows.map((w, i) => {
    const rate = w.goodRps === null ? 'not in the run' : `${w.goodRps}/s`;
    const kept = i === 0 || w.ofFirst === null ? '' : `, ${w.ofFirst} of ${first}`;
    const partial = w.goodRps !== null && w.coveredS < w.endS - w.startS - 0.01 ? ` (the run has ${w.coveredS} s of its ${Math.round((w.endS - w.startS) * 100) / 100} s)` : '';
    return `${w.name} (${w.from}–${w.to}) ${rate}${kept}${partial}`;
  });
  return `Goodput${g.withinMs === null ? '' : ` within ${g.withinMs / 1000} s`}: ${spans.join('; ')}.`;
}

/** "It broke at 25 s, at 400 arrivals/s offered: http_req_duration 2500 against 1000 (over by 1500)." */
export function breakingPointText(bp: NonNullable<Analysis['breakingPoint']>): string {
  return `It broke at ${bp.atS} s, at ${bp.offeredRps} arrivals/s offered: ${bp.slo} ${bp.value} against ${bp.limit} (over by ${bp.exceededBy}).`;
}

/** Text for a Markdown table cell: a pipe would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** "sign-in peaked at 193/s at 93 s (16/s before the fault)", for each request that surged. */
export function surgeText(surges: readonly RequestSurge[]): string {
  return surges.map((s) => `${s.name} peaked at ${s.peakRps}/s at ${s.atS} s (${s.beforeRps}/s before the fault)`).join('; ');
}
