import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { METRIC_KINDS, METRIC_UNITS } from '../engine/metric-declarations.js';
import type { MetricKind, MetricUnit } from '../engine/journey.js';
import { jsonObject, parseWith } from './lines.js';

/**
 * summary.json (../../shared/DESIGN.md, "A run directory"): the verdict and the key numbers,
 * pretty-printed with two spaces. Times are seconds from the run's start. The schema below is
 * the contract; the types are read off it. What fills it: src/analyze/summary.ts (what the
 * engine measured, then what the analysis found, the same way for `run` and `report`).
 */
const list = <T extends z.ZodType>(item: T) => z.array(item).readonly();
const count = z.number().int().nonnegative();
const seconds = z.number();

const threshold = z.strictObject({ metric: z.string(), expr: z.string(), ok: z.boolean(), value: z.number().nullable() });

const breakingPoint = z.strictObject({
  atS: seconds,
  offeredRps: z.number(),
  reason: z.string(),
  slo: z.string(),
  value: z.number(),
  limit: z.number(),
  exceededBy: z.number(),
});

/** Requests that surged after a fault ended (the analysis's FaultImpact.surges). */
const surge = z.strictObject({ name: z.string(), beforeRps: z.number(), peakRps: z.number(), atS: seconds });

/** A fault as it happened (src/faults/), with how long the SLOs took to hold again after it. */
const fault = z.strictObject({
  name: z.string(),
  kind: z.string(),
  target: z.string(),
  startS: seconds.nullable(),
  endS: seconds.nullable(),
  failed: z.string().nullable(),
  recoveryS: seconds.nullable(),
  // Absent from run directories written before surges were looked for.
  surges: list(surge).default([]),
});

const slo = z.strictObject({
  windowS: seconds,
  sustainS: seconds,
  metastableAfterS: seconds,
  source: z.enum(['scenario', 'default']),
  verdicts: list(
    z.strictObject({
      key: z.string(),
      expr: z.string(),
      ok: z.boolean(),
      violatedSeconds: count,
      worst: z.strictObject({ atS: seconds, value: z.number() }).nullable(),
    }),
  ),
});

// completedRps is newer than the field's other keys: a summary written before it still reads.
const capacity = z.strictObject({ goodRps: z.number(), offeredRps: z.number(), completedRps: z.number().optional(), atS: seconds, lowerBound: z.boolean() });

const metastable = z.strictObject({
  flagged: z.boolean(),
  triggers: list(
    z.strictObject({ kind: z.enum(['load', 'fault']), name: z.string(), goneS: seconds, recoveredAtS: seconds.nullable(), metastable: z.boolean().nullable() }),
  ),
});

/** The analysis's goodput windows (src/analyze/goodput-windows.ts): ok answers within withinMs per second over each span. */
const goodput = z.strictObject({
  withinMs: z.number().nullable(),
  windows: list(
    z.strictObject({ name: z.string(), from: z.string(), to: z.string(), startS: seconds, endS: seconds, coveredS: seconds, goodRps: z.number().nullable(), ofFirst: z.number().nullable() }),
  ),
});

const values = z.record(z.string(), z.number().nullable());

/**
 * A custom metric, in the shape of k6's handleSummary data.metrics entry (type, contains,
 * values, thresholds), plus its description and unit, its values per tag set, and how many
 * samples lost their tags to the tag-set cap.
 */
const metric = z.strictObject({
  type: z.enum(METRIC_KINDS as [MetricKind, ...MetricKind[]]),
  contains: z.enum(['default', 'time']),
  description: z.string(),
  unit: z.enum(METRIC_UNITS as [MetricUnit, ...MetricUnit[]]),
  values,
  /** As k6: each threshold on this metric by its expression (tag-filtered ones under their key). */
  thresholds: z.record(z.string(), z.strictObject({ ok: z.boolean() })).optional(),
  byTags: list(z.strictObject({ tags: z.record(z.string(), z.string()), values })),
  tagsDropped: count,
});

/** What the correctness checker found (src/check/report.ts CorrectnessReport). */
const correctness = z.strictObject({
  violations: count,
  byKind: z.record(z.string(), count),
  examples: list(
    z.strictObject({ kind: z.string(), t: seconds, keys: z.record(z.string(), z.union([z.string(), z.number()])), detail: z.string(), id: count.optional() }),
  ),
  /** Anomalies an operation shows, by the second it began in and kind; seconds with none left out ([] in runs from before it). */
  bySecond: list(z.strictObject({ t: count, kind: z.string(), count })).default([]),
  recovered: z.record(z.string(), count),
  checks: z.strictObject({ passes: count, total: count }),
  operations: count,
  notKept: count.nullable(),
  staleBoundMs: z.number().nonnegative(),
});

const summaryFile = z.strictObject({
  scenario: z.string(),
  seed: count,
  profile: z.string().nullable(),
  target: z.string(),
  startedAt: z.iso.datetime(),
  durationS: seconds,
  requests: z.strictObject({ total: count, ok: count, failed: count, dropped: count, byOutcome: z.record(z.string(), count) }),
  rate: z.strictObject({ offeredAvg: z.number(), achievedAvg: z.number(), peakOffered: z.number() }),
  latencyMs: z.strictObject({ p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() }).nullable(),
  /**
   * How late the generator wrote its requests after they were due (metrics.ndjson's sendLagHdr),
   * over the run; null when none was written (and in runs from before it was measured, or a k6 load).
   */
  sendLagMs: z.strictObject({ p50: z.number(), p99: z.number(), max: z.number() }).nullable().default(null),
  thresholds: list(threshold),
  breakingPoint: breakingPoint.nullable(),
  faults: list(fault),
  /** The analysis (src/analyze/): SLO verdicts, capacity, metastability; null before it ran. */
  slo: slo.nullable(),
  capacity: capacity.nullable(),
  metastable: metastable.nullable(),
  /** The journeys' custom metrics by name; {} without any (and in runs from before them). */
  metrics: z.record(z.string(), metric).default({}),
  /** Why the run ended before its schedule did, if it did. */
  stopped: z.enum(['threshold', 'signal']).nullable(),
  interrupted: z.boolean(),
  /** Iterations still running when the engine stopped waiting for them (gracefulStop); 0 in runs from before it. */
  interruptedIterations: count.default(0),
  verdict: z.enum(['pass', 'fail']),
  /** The correctness check of the run's history; null when none ran (no history, or no database to read). */
  correctness: correctness.nullable().default(null),
  /** Goodput over the SLO's named spans (slo.goodput); null when it names none (and in runs from before it). */
  goodput: goodput.nullable().default(null),
  /**
   * The generator against its schedule (src/analyze/generator.ts): the latest an arrival was
   * handed on (ms) and its second, the first second with one a second or more late, and how many
   * such seconds; null in the closed model, for a k6 load and in runs from before it.
   */
  generator: z
    .strictObject({ arrivalLagMaxMs: z.number().nonnegative(), atS: seconds, behindFromS: seconds.nullable(), secondsBehind: count })
    .nullable()
    .default(null),
  /** The reference server's resilience settings the run overrode (--set); {} when none. */
  settings: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).optional(),
});

export type Summary = z.output<typeof summaryFile>;
export type FaultSummary = z.output<typeof fault>;
export type SummaryMetric = z.output<typeof metric>;
export type CorrectnessSummary = z.output<typeof correctness>;

const CODE = 'SUMMARY_INVALID';

/** summary.json's one writer. */
export function writeSummary(file: string, summary: Summary): void {
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
}

/** summary.json checked against the schema, or undefined when the run never wrote one. */
export function readSummary(file: string): Summary | undefined {
  if (!existsSync(file)) return undefined;
  return parseWith(summaryFile, jsonObject(readFileSync(file, 'utf8'), file, CODE), file, CODE);
}
