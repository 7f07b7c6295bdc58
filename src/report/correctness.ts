import type { Summary } from '../run-files/summary.js';
import type { JunitCase } from './junit.js';

/**
 * The correctness check (summary.json `correctness`) as summary.md and junit.xml show it: one
 * row and one test case per invariant (anomaly kind), with the first examples and their times.
 */
export function correctnessMarkdown(summary: Summary): string[] {
  const c = summary.correctness;
  if (c === null) return [];
  const out = [
    `## Correctness (${c.operations.toLocaleString('en')} operations judged${c.notKept ? `, ${c.notKept.toLocaleString('en')} over the history's cap not kept` : ''}; staleness bound ${c.staleBoundMs} ms)`,
    '',
    `${c.violations === 0 ? '✅ no violations' : `❌ ${c.violations.toLocaleString('en')} violations`}; checks ${c.checks.passes.toLocaleString('en')} of ${c.checks.total.toLocaleString('en')} passed; recovered (indeterminate writes that applied): ${Object.entries(c.recovered).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    '',
    '| | invariant | violations | first example |',
    '| --- | --- | ---: | --- |',
  ];
  for (const [kind, n] of Object.entries(c.byKind)) {
    const first = c.examples.find((e) => e.kind === kind);
    out.push(`| ${n === 0 ? '✅' : '❌'} | ${kind} | ${n} | ${first === undefined ? '–' : `+${first.t.toFixed(3)} s: ${first.detail.replace(/\|/g, '\\|')}`} |`);
  }
  out.push('');
  return out;
}

export function correctnessCases(summary: Summary): JunitCase[] {
  const c = summary.correctness;
  if (c === null) return [];
  return Object.entries(c.byKind).map(([kind, n]) => {
    const first = c.examples.find((e) => e.kind === kind);
    return { classname: 'correctness', name: kind, failure: n === 0 ? undefined : `${n} violations; first at +${first?.t.toFixed(3) ?? '?'} s: ${first?.detail ?? ''}` };
  });
}
