/**
 * The reference server's charts of its own /metrics, as plain data: which series, how each is
 * read, and how it is labelled. The report draws them from a run's server.ndjson
 * (src/report/metric-charts.ts) and knows nothing of what they mean; a chart whose series no
 * scrape has is left out, so a run against another target gets none of them unless that target
 * exposes the same names.
 *
 * A series is every sample named `metric`, summed over its labels (workers, profiles), keeping
 * only samples whose labels include `label` when it is given. A `gauge` is drawn as read; a
 * `rate` (a counter) as its increase per second between scrapes. A line is the sum of its
 * series, or, with `over`, that sum as a share of `over` (rounded to 0.001).
 */
export interface MetricSeries {
  readonly metric: string;
  readonly kind: 'gauge' | 'rate';
  /** Only samples whose labels include this text, e.g. `outcome="hit"`. */
  readonly label?: string;
}

export interface MetricLine {
  readonly label: string;
  readonly colour: string;
  readonly sum: readonly MetricSeries[];
  /** Draws the sum as a share of this series; the line is drawn whenever this one was scraped. */
  readonly over?: MetricSeries;
}

export interface MetricChart {
  /** File name stem and element id. */
  readonly id: string;
  readonly title: string;
  readonly yTitle: string;
  readonly yMax?: number;
  readonly lines: readonly MetricLine[];
}

const CACHE_READS = 'cache_requests_total';

export const SERVER_CHARTS: readonly MetricChart[] = [
  {
    id: 'server-pool',
    title: 'Server: database pool waiters and shed requests',
    yTitle: 'count / per second',
    lines: [
      { label: 'waiting for a DB connection', colour: '#9467bd', sum: [{ metric: 'db_pool_waiting', kind: 'gauge' }] },
      { label: 'shed (503) per second', colour: '#ff7f0e', sum: [{ metric: 'requests_shed_total', kind: 'rate' }] },
    ],
  },
  {
    id: 'server-cache',
    title: 'Server: cache hit ratio',
    yTitle: 'share of reads',
    yMax: 1,
    lines: [
      {
        label: 'hit ratio (Redis or near cache)',
        colour: '#2ca02c',
        sum: [
          { metric: CACHE_READS, kind: 'rate', label: 'outcome="hit"' },
          { metric: CACHE_READS, kind: 'rate', label: 'outcome="near"' },
        ],
        over: { metric: CACHE_READS, kind: 'rate' },
      },
    ],
  },
  {
    id: 'server-lag',
    title: 'Server: event-loop lag (summed over workers)',
    yTitle: 'seconds',
    lines: [{ label: 'event-loop lag', colour: '#d62728', sum: [{ metric: 'nodejs_eventloop_lag_seconds', kind: 'gauge' }] }],
  },
];
