import type { Analysis } from '../analyze/analyze.js';
import type { Summary } from '../engine/summary.js';

/** junit.xml: one test case per threshold and per SLO, as CI systems display test results. */
export function renderJunit(summary: Summary, analysis: Analysis): string {
  const cases: string[] = [];
  for (const t of summary.thresholds) {
    const name = `${t.metric}: ${t.expr}`;
    cases.push(testCase('thresholds', name, t.ok ? undefined : `observed ${t.value ?? 'no data'}`));
  }
  for (const v of analysis.slo.verdicts) {
    const name = `${v.key}: ${v.expr} (${analysis.slo.windowS} s windows)`;
    cases.push(testCase('slo', name, v.ok ? undefined : `violated in ${v.violatedSeconds} windows; worst ${v.worst?.value ?? '–'} at ${v.worst?.atS ?? '–'} s`));
  }
  const failures = summary.thresholds.filter((t) => !t.ok).length + analysis.slo.verdicts.filter((v) => !v.ok).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="codestorm" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${esc(summary.scenario)}" tests="${cases.length}" failures="${failures}" time="${summary.durationS}" timestamp="${esc(summary.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function testCase(classname: string, name: string, failure: string | undefined): string {
  const open = `    <testcase classname="${classname}" name="${esc(name)}"`;
  return failure === undefined ? `${open}/>` : `${open}>\n      <failure message="${esc(failure)}"/>\n    </testcase>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
