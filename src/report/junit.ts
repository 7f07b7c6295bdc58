import type { Analysis } from '../analyze/analyze.js';
import type { Summary } from '../run-files/summary.js';
import { correctnessCases } from './correctness.js';
import { esc } from './escape.js';

/** One test case of a junit.xml; a failure message makes it fail. */
export interface JunitCase {
  readonly classname: string;
  readonly name: string;
  readonly failure?: string | undefined;
}

/** A junit.xml of one suite, as CI systems display test results. */
export function junitXml(suites: string, suite: { readonly name: string; readonly time?: number; readonly timestamp?: string }, cases: readonly JunitCase[]): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const when = `${suite.time === undefined ? '' : ` time="${suite.time}"`}${suite.timestamp === undefined ? '' : ` timestamp="${esc(suite.timestamp)}"`}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(suites)}" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${esc(suite.name)}" tests="${cases.length}" failures="${failures}"${when}>`,
    ...cases.map((c) => {
      const open = `    <testcase classname="${esc(c.classname)}" name="${esc(c.name)}"`;
      return c.failure === undefined ? `${open}/>` : `${open}>\n      <failure message="${esc(c.failure)}"/>\n    </testcase>`;
    }),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** junit.xml of a run: one test case per threshold, per SLO and per correctness invariant. */
export function renderJunit(summary: Summary, analysis: Analysis): string {
  return junitXml('codestorm', { name: summary.scenario, time: summary.durationS, timestamp: summary.startedAt }, [
    ...summary.thresholds.map((t) => ({ classname: 'thresholds', name: `${t.metric}: ${t.expr}`, failure: t.ok ? undefined : `observed ${t.value ?? 'no data'}` })),
    ...analysis.slo.verdicts.map((v) => ({
      classname: 'slo',
      name: `${v.key}: ${v.expr} (${analysis.slo.windowS} s windows)`,
      failure: v.ok ? undefined : `violated in ${v.violatedSeconds} windows; worst ${v.worst?.value ?? '–'} at ${v.worst?.atS ?? '–'} s`,
    })),
    ...correctnessCases(summary),
  ]);
}
