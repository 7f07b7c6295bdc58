import type { Analysis, BreakingPoint, RequestSurge } from '../analyze/analyze.js';
import type { RunAggregate } from './aggregate.js';
import { accumulate, newAccumulator, trendPercentile, k6Values, type K6Values, type MergedCustom } from './custom-metrics.js';
import { createHistogram, VALUE_LAYOUT } from './histogram.js';
import type { MetricDeclarations, MetricKind, MetricTags, MetricUnit } from './journey.js';
import { containsOf, unitOf } from './metric-declarations.js';
import type { ThresholdResult } from './thresholds.js';

/**
 * A custom metric in summary.json, in the shape of k6's handleSummary data.metrics entry (type,
 * contains, values, thresholds), plus its description and unit, its values per tag set, and how
 * many samples lost their tags to the tag-set cap.
 */
export interface SummaryMetric {
  readonly type: MetricKind;
  readonly contains: 'default' | 'time';
  readonly description: string;
  readonly unit: MetricUnit;
  readonly values: K6Values;
  /** As k6: each threshold on this metric by its expression (tag-filtered ones under their key). */
  readonly thresholds?: Readonly<Record<string, { readonly ok: boolean }>>;
  readonly byTags: readonly { readonly tags: MetricTags; readonly values: K6Values }[];
  readonly tagsDropped: number;
}

/** A fault as it happened (src/faults/); recoveryS comes from the analysis (issue #6). */
export interface FaultSummary {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly startS: number | null;
  readonly endS: number | null;
  readonly recoveryS: number | null;
  /** From the analysis: requests that surged after the fault ended (analyze.ts, FaultImpact). */
  readonly surges: readonly RequestSurge[];
  readonly failed: string | null;
}

/**
 * summary.json (../../shared/DESIGN.md, "A run directory"): the verdict and the key numbers.
 * Times are seconds from the run's start. breakingPoint and faults stay empty until the
 * analysis and the fault timeline fill them.
 */
export interface Summary {
  readonly scenario: string;
  readonly seed: number;
  readonly profile: string | null;
  readonly target: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly requests: { readonly total: number; readonly ok: number; readonly failed: number; readonly dropped: number; readonly byOutcome: Readonly<Record<string, number>> };
  readonly rate: { readonly offeredAvg: number; readonly achievedAvg: number; readonly peakOffered: number };
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number } | null;
  readonly thresholds: readonly { readonly metric: string; readonly expr: string; readonly ok: boolean; readonly value: number | null }[];
  readonly breakingPoint: BreakingPoint | null;
  readonly faults: readonly FaultSummary[];
  /** The analysis (src/analyze/): SLO verdicts, capacity, metastability; null before it ran. */
  readonly slo: Analysis['slo'] | null;
  readonly capacity: Analysis['capacity'];
  readonly metastable: Analysis['metastable'] | null;
  /** The journeys' custom metrics by name, k6's handleSummary shape (SummaryMetric); {} without any. */
  readonly metrics: Readonly<Record<string, SummaryMetric>>;
  /** Why the run ended before its schedule did, if it did. */
  readonly stopped: 'threshold' | 'signal' | null;
  readonly interrupted: boolean;
  readonly verdict: 'pass' | 'fail';
}

export interface SummaryInput {
  readonly scenario: string;
  readonly seed: number;
  readonly profile: string | null;
  readonly target: string;
  readonly startedAt: Date;
  readonly aggregate: RunAggregate;
  readonly thresholds: readonly ThresholdResult[];
  readonly stopped: 'threshold' | 'signal' | undefined;
  readonly faults?: readonly Omit<FaultSummary, 'recoveryS' | 'surges'>[];
  readonly analysis?: Analysis;
  /** The journeys' custom-metric declarations (EngineResult.metrics). */
  readonly metrics?: MetricDeclarations;
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function buildSummary(input: SummaryInput): Summary {
  const a = input.aggregate;
  const counts = a.counts();
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const latency = a.summary();
  const seconds = Math.max(1, a.offeredSeconds);
  const thresholdsOk = input.thresholds.every((t) => t.ok);
  return {
    scenario: input.scenario,
    seed: input.seed,
    profile: input.profile,
    target: input.target,
    startedAt: input.startedAt.toISOString(),
    durationS: a.seconds,
    requests: { total, ok: counts.ok, failed: total - counts.ok, dropped: a.dropped, byOutcome: counts },
    rate: { offeredAvg: round(a.offered / seconds, 1), achievedAvg: round(a.started / seconds, 1), peakOffered: a.peakOffered },
    latencyMs: latency === undefined ? null : { p50: latency.p50, p95: latency.p95, p99: latency.p99, max: latency.max },
    thresholds: input.thresholds.map((t) => ({ metric: t.threshold.key, expr: t.threshold.expr, ok: t.ok, value: t.value === null ? null : round(t.value) })),
    breakingPoint: input.analysis?.breakingPoint ?? null,
    faults: (input.faults ?? []).map((f) => {
      const a = input.analysis?.faults.find((x) => x.name === f.name);
      return { ...f, recoveryS: a?.recoveryS ?? null, surges: a?.surges ?? [] };
    }),
    slo: input.analysis?.slo ?? null,
    capacity: input.analysis?.capacity ?? null,
    metastable: input.analysis?.metastable ?? null,
    metrics: customMetrics(input.metrics ?? {}, a, input.thresholds),
    stopped: input.stopped ?? null,
    interrupted: input.stopped === 'signal',
    verdict: thresholdsOk && input.stopped !== 'signal' ? 'pass' : 'fail',
  };
}

/** Every declared metric, recorded or not, with its run totals and its values per tag set. */
function customMetrics(declared: MetricDeclarations, a: RunAggregate, thresholds: readonly ThresholdResult[]): Record<string, SummaryMetric> {
  const series = a.customSeries();
  const seconds = a.seconds;
  const out: Record<string, SummaryMetric> = {};
  for (const [name, d] of Object.entries(declared)) {
    const mine = series.filter((c) => c.metric === name);
    const total = newAccumulator({ metric: name, type: d.type, tags: {} });
    if (d.type === 'trend') total.histogram = createHistogram(VALUE_LAYOUT);
    for (const c of mine) accumulate(total, c, c.histogram);
    const valuesOf = (c: Pick<MergedCustom, 'histogram'> & Parameters<typeof k6Values>[0]): K6Values => {
      const h = c.histogram;
      return rounded(k6Values(c, h === undefined ? undefined : (p) => trendPercentile(h, p), seconds));
    };
    const own = thresholds.filter((t) => t.threshold.metric === name);
    out[name] = {
      type: d.type,
      contains: containsOf(d),
      description: d.description,
      unit: unitOf(d),
      values: valuesOf(total),
      ...(own.length === 0
        ? {}
        : { thresholds: Object.fromEntries(own.map((t) => [t.threshold.key === name ? t.threshold.expr : `${t.threshold.key}: ${t.threshold.expr}`, { ok: t.ok }])) }),
      byTags: mine.filter((c) => Object.keys(c.tags).length > 0).map((c) => ({ tags: c.tags, values: valuesOf(c) })),
      tagsDropped: mine.reduce((sum, c) => sum + c.tagsDropped, 0),
    };
  }
  return out;
}

function rounded(values: K6Values): K6Values {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === null ? null : round(v)]));
}
