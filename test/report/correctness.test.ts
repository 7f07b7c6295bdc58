import { describe, expect, it } from 'vitest';
import { correctnessReport } from '../../src/check/report.js';
import { annotationsOf } from '../../src/report/annotations.js';
import { timeChart } from '../../src/report/chart-spec.js';
import { correctnessCases, correctnessChart, correctnessHtml, correctnessMarkdown } from '../../src/report/correctness.js';
import type { Summary } from '../../src/run-files/summary.js';

/** The correctness check in report.html, summary.md and junit.xml: the table, the examples and the anomalies on the run's clock. */
const report = correctnessReport({
  kinds: ['wrong-person', 'stale-green', 'lost-write'],
  anomalies: [
    { kind: 'wrong-person', t: 12.25, keys: { resident: 7 }, detail: 'code for 7 carried <Wang Wei>\'s name', id: 1 },
    { kind: 'wrong-person', t: 12.75, keys: { resident: 8 }, detail: 'code for 8 carried 9\'s colour', id: 2 },
    { kind: 'stale-green', t: 30.5, keys: { resident: 3 }, detail: 'green 4 s after a positive', id: 3 },
    { kind: 'wrong-person', t: 14, keys: { resident: 9 }, detail: 'x', id: 4 },
    // Found in the final state only: no operation, no time of its own.
    { kind: 'lost-write', t: 0, keys: { element: 'T1:5' }, detail: 'present after the run, never attempted' },
  ],
  recovered: { 'lab.result': 2 },
  judged: 100,
  operations: 120,
  notKept: 0,
  staleBoundMs: 1000,
});
const summary = { correctness: report } as unknown as Summary;
const t = Array.from({ length: 40 }, (_, i) => i);
const faults = [{ name: 'poison', startS: 10, endS: 20 }] as never;
const time = timeChart(t, annotationsOf({ faults, breakingPoint: null, series: t }), '');

describe('the correctness check as the report shows it', () => {
  it('counts the anomalies operations show by the second they began in and by kind, not those only the final state shows', () => {
    expect(report.bySecond).toEqual([
      { t: 12, kind: 'wrong-person', count: 2 },
      { t: 14, kind: 'wrong-person', count: 1 },
      { t: 30, kind: 'stale-green', count: 1 },
    ]);
  });

  it('draws one stacked series per kind that was found, under the fault windows', () => {
    const spec = correctnessChart(summary, t, time)!;
    const config = spec.config as { data: { datasets: { label: string; data: number[] }[] }; options: { plugins: { annotation: { annotations: Record<string, { xMin: number }> } } } };
    expect(config.data.datasets.map((d) => d.label)).toEqual(['wrong-person', 'stale-green']);
    expect(config.data.datasets[0]!.data[12]).toBe(2);
    expect(config.data.datasets[0]!.data[14]).toBe(1);
    expect(config.data.datasets[1]!.data[30]).toBe(1);
    expect(config.data.datasets[0]!.data.reduce((a, b) => a + b, 0)).toBe(3);
    expect(config.options.plugins.annotation.annotations['fault0']!.xMin).toBe(10);
  });

  it('draws nothing for a clean run, and says so in every rendering', () => {
    const clean = { correctness: correctnessReport({ kinds: ['wrong-person'], anomalies: [], recovered: {}, judged: 5, operations: 5, notKept: 0, staleBoundMs: 0 }) } as unknown as Summary;
    expect(correctnessChart(clean, t, time)).toBeUndefined();
    expect(correctnessHtml(clean, '')).toContain('no violations');
    expect(correctnessMarkdown(clean).join('\n')).toContain('| ✅ | wrong-person | 0 | – |');
    expect(correctnessCases(clean)).toEqual([{ classname: 'correctness', name: 'wrong-person', failure: undefined }]);
  });

  it('names the examples in report.html, escaped, with their times and keys', () => {
    const html = correctnessHtml(summary, '<canvas id="chart-correctness"></canvas>');
    expect(html).toContain('<td class="bad">✗ wrong-person</td><td>3</td>');
    expect(html).toContain('+12.250 s');
    expect(html).toContain('resident 7');
    expect(html).toContain('&lt;Wang Wei&gt;');
    expect(html).not.toContain('<Wang Wei>');
    expect(html).toContain('<td class="bad">✗ lost-write</td><td>1</td>');
    expect(html).toContain('<td class="bad">✗ stale-green</td><td>1</td>');
    expect(html).toContain('chart-correctness');
    expect(correctnessCases(summary)[0]!.failure).toBe("3 violations; first at +12.250 s: code for 7 carried <Wang Wei>'s name");
  });

  it('renders nothing when no check ran', () => {
    const none = { correctness: null } as unknown as Summary;
    expect(correctnessHtml(none, '')).toBe('');
    expect(correctnessMarkdown(none)).toEqual([]);
    expect(correctnessChart(none, t, time)).toBeUndefined();
  });
});
