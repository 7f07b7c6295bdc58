import type { RunAggregate } from '../engine/aggregate.js';
import { accumulate, newAccumulator, trendPercentile, k6Values, type K6Values, type MergedCustom } from '../engine/custom-metrics.js';
import { createHistogram, VALUE_LAYOUT } from '../engine/histogram.js';
import type { MetricDeclarations } from '../engine/journey.js';
import { containsOf, unitOf } from '../engine/metric-declarations.js';
import type { ThresholdResult } from '../engine/thresholds.js';
import type { RunEvent } from '../run-files/events.js';
import type { FaultSummary, Summary, SummaryMetric } from '../run-files/summary.js';
import type { Analysis } from './analyze.js';

/**
 * What goes into summary.json (its schema: src/run-files/summary.ts): what the engine measured
 * (measuredSummary, from the run's aggregate) and what the analysis of the run directory found
 * (withAnalysis). `run` does both; `report` reads the summary back and does withAnalysis again,
 * from the same files, so a re-rendered summary says what the first one said.
 */
export interface SummaryInput {
  readonly scenario: string;
  readonly seed: number;
  readonly profile: string | null;
  readonly target: string;
  readonly startedAt: Date;
  readonly aggregate: RunAggregate;
  readonly thresholds: readonly ThresholdResult[];
  readonly stopped: 'threshold' | 'signal' | undefined;
  /** Iterations the engine stopped waiting for (EngineResult.interrupted); none when not given. */
  readonly interruptedIterations?: number;
  /** The faults as the timeline ran them (src/faults/timeline.ts, outcomes()). */
  readonly faults?: readonly Omit<FaultSummary, 'recoveryS' | 'surges'>[];
  /** The journeys' custom-metric declarations (EngineResult.metrics). */
  readonly metrics?: MetricDeclarations;
  /** The reference server's settings the run overrode; the engine knows nothing of the server. */
  readonly settings: NonNullable<Summary['settings']>;
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The summary before the analysis: its findings null, the faults' recovery unknown. */
export function measuredSummary(input: SummaryInput): Summary {
  const a = input.aggregate;
  const counts = a.counts();
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const latency = a.summary();
  const lag = a.sendLag();
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
    sendLagMs: lag === undefined ? null : { p50: lag.p50, p99: lag.p99, max: lag.max },
    thresholds: input.thresholds.map((t) => ({ metric: t.threshold.key, expr: t.threshold.expr, ok: t.ok, value: t.value === null ? null : round(t.value) })),
    breakingPoint: null,
    faults: (input.faults ?? []).map((f) => ({ ...f, recoveryS: null, surges: [] })),
    slo: null,
    capacity: null,
    metastable: null,
    metrics: customMetrics(input.metrics ?? {}, a, input.thresholds),
    stopped: input.stopped ?? null,
    interrupted: input.stopped === 'signal',
    interruptedIterations: input.interruptedIterations ?? 0,
    verdict: thresholdsOk && input.stopped !== 'signal' ? 'pass' : 'fail',
    correctness: null,
    goodput: null,
    generator: null,
    settings: input.settings,
  };
}

/**
 * The faults as events.ndjson tells them, for a run whose timeline is not in memory: a k6 load
 * joined to a `faults` run. Each fault once, in the order it first appears.
 */
export function faultOutcomesOf(events: readonly RunEvent[]): Omit<FaultSummary, 'recoveryS' | 'surges'>[] {
  const out = new Map<string, { name: string; kind: string; target: string; startS: number | null; endS: number | null; failed: string | null }>();
  for (const e of events) {
    if (!e.event.startsWith('fault-')) continue;
    const name = String(e['fault']);
    const f = out.get(name) ?? { name, kind: String(e['kind']), target: String(e['target']), startS: null, endS: null, failed: null };
    if (e.event === 'fault-begin') f.startS = e.t;
    if (e.event === 'fault-end') f.endS = e.t;
    if (e.event === 'fault-failed' || e.event === 'fault-undo-failed') f.failed = String(e['error'] ?? e.event);
    out.set(name, f);
  }
  return [...out.values()];
}

/** `summary` with the analysis's findings: the breaking point, each fault's recovery, SLOs. */
export function withAnalysis(summary: Summary, analysis: Analysis): Summary {
  return {
    ...summary,
    breakingPoint: analysis.breakingPoint,
    faults: summary.faults.map((f) => {
      const a = analysis.faults.find((x) => x.name === f.name);
      return { ...f, recoveryS: a?.recoveryS ?? null, surges: a?.surges ?? [] };
    }),
    slo: analysis.slo,
    capacity: analysis.capacity,
    metastable: analysis.metastable,
    goodput: analysis.goodput,
    generator: analysis.generator,
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
