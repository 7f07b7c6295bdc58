import type { MetricDeclarations } from '../journey.js';

/** The thresholds' types, shared by parsing (grammar.ts) and evaluation (evaluate.ts). */
export const METRIC_TYPES = Object.freeze({
  http_req_duration: 'trend',
  http_req_failed: 'rate',
  dropped_iterations: 'counter',
  iterations: 'counter',
  http_reqs: 'counter',
  // Judged after the run, by the correctness checker (src/check/): anomalies found, tagged by
  // kind, and the share of judged operations that passed (k6's `checks`). None during the run.
  correctness_violations: 'counter',
  checks: 'rate',
} as const);

/** The metrics the correctness checker answers after the run; the engine has no samples of them. */
export const CHECKED_AFTER_RUN: ReadonlySet<string> = new Set(['correctness_violations', 'checks']);

export type MetricName = keyof typeof METRIC_TYPES;
export type MetricType = (typeof METRIC_TYPES)[MetricName] | 'gauge';

export type Aggregation =
  | { readonly kind: 'percentile'; readonly p: number }
  | { readonly kind: 'avg' | 'med' | 'min' | 'max' | 'rate' | 'count' | 'value' };

/** The custom metrics thresholds may name, and where they were declared (for messages). */
export interface CustomMetricsInScope {
  readonly metrics: MetricDeclarations;
  /** e.g. the journey module's path. */
  readonly from: string;
  /** The module could not be loaded (reported on its own): thresholds on metrics that are not built in go unchecked. */
  readonly unavailable?: boolean;
}

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export type Tags = Readonly<Record<string, string>>;

export interface Threshold {
  /** A built-in MetricName, or a custom metric's declared name. */
  readonly metric: string;
  readonly type: MetricType;
  /** Declared by the journeys rather than built in. */
  readonly custom: boolean;
  readonly tags: Tags;
  /** The metric key as written, e.g. `http_req_duration{name:register}`. */
  readonly key: string;
  /** The expression as written, e.g. `p(95)<1.5s`. */
  readonly expr: string;
  readonly aggregation: Aggregation;
  readonly op: Operator;
  /** In milliseconds for http_req_duration; in its unit for a custom metric (seconds for clock). */
  readonly value: number;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
}

export type ThresholdSet = readonly Threshold[];

/** A trend's samples under one tag filter. `percentile` takes percent: 95, 99.9, 100. */
export interface TrendAggregate {
  percentile(p: number): number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

/** A rate's samples: `passes` are the non-zero ones (for http_req_failed, the failed requests). */
export interface RateAggregate {
  readonly passes: number;
  readonly total: number;
}

export interface CounterAggregate {
  readonly count: number;
  readonly perSecond: number;
}

/** A gauge's latest value (by time) and its extremes. */
export interface GaugeAggregate {
  readonly value: number;
  readonly min: number;
  readonly max: number;
}

/**
 * What the engine offers evaluation: aggregates over the samples whose tags include every pair in
 * `tags` (an empty filter means all samples). `undefined` means no samples. `metric` is a
 * built-in name or a custom metric's; the two never share a name (metric-declarations.ts).
 */
export interface MetricSource {
  trend(metric: string, tags: Tags): TrendAggregate | undefined;
  rate(metric: string, tags: Tags): RateAggregate | undefined;
  counter(metric: string, tags: Tags): CounterAggregate | undefined;
  gauge(metric: string, tags: Tags): GaugeAggregate | undefined;
}

export interface ThresholdResult {
  readonly threshold: Threshold;
  readonly ok: boolean;
  /** The observed aggregate, or null when a trend or rate had no samples (and ok is true). */
  readonly value: number | null;
  /** !ok && abortOnFail && elapsedMs >= delayAbortEvalMs */
  readonly shouldAbort: boolean;
}
