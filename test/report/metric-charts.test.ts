import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../src/analyze/analyze.js';
import { timeChart } from '../../src/report/chart-spec.js';
import { chartSpecs } from '../../src/report/charts.js';
import { metricCharts } from '../../src/report/metric-charts.js';
import type { RunDir } from '../../src/run-files/run-dir.js';
import type { Scrape } from '../../src/run-files/server.js';
import type { MetricChart, MetricLine } from '../../src/server/charts.js';

/**
 * The target's charts are drawn from a chart list, not from names the report knows: each rule of
 * src/server/charts.ts (gauge, rate, label filter, sum, share) on scrapes made up here.
 */
const T = [0, 1, 2, 3, 4];
const time = timeChart(T, {}, '');

const chart = (...lines: MetricLine[]): MetricChart => ({ id: 'c', title: 'C', yTitle: 'y', lines });
const one = (l: MetricLine, server: readonly Scrape[]): readonly (number | null)[] | undefined => {
  const [spec] = metricCharts([chart(l)], server, T, time);
  return (spec?.config['data'] as { datasets: { data: (number | null)[] }[] } | undefined)?.datasets[0]?.data;
};
const scrape = (t: number, metrics: Record<string, number>): Scrape => ({ t, metrics });

describe('charts of the target’s metrics, from a chart list', () => {
  it.each<{ what: string; line: MetricLine; server: Scrape[]; expected: (number | null)[] | undefined }>([
    {
      what: 'a gauge, summed over its labels, at the second it was scraped in',
      line: { label: 'g', colour: '#000', sum: [{ metric: 'queue', kind: 'gauge' }] },
      server: [scrape(0.2, { 'queue{worker="1"}': 2, 'queue{worker="2"}': 3, queue_total: 100 }), scrape(2.9, { queue: 7 })],
      expected: [5, null, 7, null, null],
    },
    {
      what: 'a scrape that failed is a gap, and a scrape just before 0 counts as second 0',
      line: { label: 'g', colour: '#000', sum: [{ metric: 'queue', kind: 'gauge' }] },
      server: [scrape(-0.1, { queue: 1 }), { t: 1, error: 'aborted' }, scrape(2, { queue: 2 })],
      expected: [1, null, 2, null, null],
    },
    {
      what: 'a rate: the increase per second between scrapes, never negative when a process restarts',
      line: { label: 'r', colour: '#000', sum: [{ metric: 'served_total', kind: 'rate' }] },
      server: [scrape(0, { served_total: 0 }), scrape(2, { served_total: 10 }), scrape(3, { served_total: 4 }), scrape(4.5, { served_total: 7 })],
      expected: [null, null, 5, 0, 2],
    },
    {
      what: 'only the samples whose labels include `label`',
      line: { label: 'r', colour: '#000', sum: [{ metric: 'reads_total', kind: 'rate', label: 'outcome="hit"' }] },
      server: [scrape(0, { 'reads_total{outcome="hit"}': 0, 'reads_total{outcome="miss"}': 0 }), scrape(1, { 'reads_total{outcome="hit"}': 3, 'reads_total{outcome="miss"}': 50 })],
      expected: [null, 3, null, null, null],
    },
    {
      what: 'a share of `over`, a part not yet rated counting as 0, none where the whole is 0 or missing',
      line: {
        label: 's',
        colour: '#000',
        sum: [
          { metric: 'reads_total', kind: 'rate', label: 'outcome="hit"' },
          { metric: 'reads_total', kind: 'rate', label: 'outcome="near"' },
        ],
        over: { metric: 'reads_total', kind: 'rate' },
      },
      server: [
        scrape(0, { 'reads_total{outcome="hit"}': 0, 'reads_total{outcome="miss"}': 0 }),
        scrape(1, { 'reads_total{outcome="hit"}': 2, 'reads_total{outcome="miss"}': 1 }),
        scrape(2, { 'reads_total{outcome="hit"}': 2, 'reads_total{outcome="miss"}': 1 }),
        scrape(3, { 'reads_total{outcome="hit"}': 3, 'reads_total{outcome="near"}': 1, 'reads_total{outcome="miss"}': 2 }),
      ],
      // At 3 s near appears: it has no rate until its second scrape, so 1 hit of 3 reads.
      expected: [null, 0.667, null, 0.333, null],
    },
    {
      what: 'a sum of series without `over`: none where none was scraped',
      line: { label: 's', colour: '#000', sum: [{ metric: 'a', kind: 'gauge' }, { metric: 'b', kind: 'gauge' }] },
      server: [scrape(0, { a: 1, b: 2 }), scrape(1, { b: 4 })],
      expected: [3, 4, null, null, null],
    },
    {
      what: 'nothing scraped that the chart reads: no chart',
      line: { label: 'g', colour: '#000', sum: [{ metric: 'queue', kind: 'gauge' }] },
      server: [scrape(0, { other: 1 }), { t: 1, error: 'x' }],
      expected: undefined,
    },
  ])('$what', ({ line, server, expected }) => {
    expect(one(line, server)).toEqual(expected);
  });

  it('draws a chart when the whole of a share was scraped, even if no share can be computed', () => {
    const line: MetricLine = { label: 's', colour: '#000', sum: [{ metric: 'r', kind: 'rate', label: 'x="1"' }], over: { metric: 'r', kind: 'rate' } };
    expect(one(line, [scrape(0, { 'r{x="2"}': 5 }), scrape(1, { 'r{x="2"}': 5 })])).toEqual([null, null, null, null, null]);
  });

  it('draws a chart when any one of its lines was scraped, with its title, lines, colours and y limit', () => {
    const list: MetricChart[] = [
      { id: 'target-queue', title: 'Queue', yTitle: 'count', yMax: 10, lines: [{ label: 'queued', colour: '#123456', sum: [{ metric: 'queue', kind: 'gauge' }] }, { label: 'absent', colour: '#654321', sum: [{ metric: 'absent', kind: 'gauge' }] }] },
      { id: 'target-none', title: 'None', yTitle: 'count', lines: [{ label: 'none', colour: '#000', sum: [{ metric: 'absent', kind: 'gauge' }] }] },
    ];
    const specs = metricCharts(list, [scrape(1, { queue: 4 })], T, time);
    expect(specs.map((s) => s.id)).toEqual(['target-queue']);
    const config = specs[0]!.config as { data: { datasets: { label: string; borderColor: string; data: unknown[] }[] }; options: { scales: { y: { max?: number; title: { text: string } } }; plugins: { title: { text: string } } } };
    expect(config.data.datasets.map((d) => [d.label, d.borderColor])).toEqual([['queued', '#123456'], ['absent', '#654321']]);
    expect(config.data.datasets[1]!.data).toEqual([null, null, null, null, null]);
    expect(config.options.scales.y).toMatchObject({ max: 10, title: { text: 'count' } });
    expect(config.options.plugins.title.text).toBe('Queue');
  });

  it('draws none without scrapes', () => {
    expect(metricCharts([chart({ label: 'g', colour: '#000', sum: [{ metric: 'q', kind: 'gauge' }] })], [], T, time)).toEqual([]);
  });
});

describe('chartSpecs', () => {
  const point = (t: number) => ({ t, offered: 1, achieved: 1, good: 1, failed: 0, latency: null, byOutcome: {}, inFlight: 0, dropped: 0 });
  const analysis = { series: T.map(point), faults: [], breakingPoint: null, custom: [] } as unknown as Analysis;
  const run = (server: Scrape[]) => ({ names: [], seconds: [], server }) as unknown as RunDir;
  const ids = (specs: { id: string }[]) => specs.map((s) => s.id);
  const RUN = ['throughput', 'latency', 'latency-by-name', 'latency-per-name', 'errors', 'in-flight'];

  it('draws the target’s charts from the list it is given, after the run’s own', () => {
    const list: MetricChart[] = [{ id: 'target-queue', title: 'Queue', yTitle: 'count', lines: [{ label: 'queued', colour: '#000', sum: [{ metric: 'queue', kind: 'gauge' }] }] }];
    expect(ids(chartSpecs(run([scrape(0, { queue: 1 })]), analysis, '', list))).toEqual([...RUN, 'target-queue']);
    expect(ids(chartSpecs(run([scrape(0, { queue: 1 })]), analysis, '', []))).toEqual(RUN);
  });

  it('by default, the reference server’s list: its charts where the scrape has their series', () => {
    expect(ids(chartSpecs(run([scrape(0, { 'nodejs_eventloop_lag_seconds{worker="1"}': 0.01 })]), analysis))).toEqual([...RUN, 'server-lag']);
    expect(ids(chartSpecs(run([scrape(0, { queue: 1 })]), analysis))).toEqual(RUN);
  });
});
