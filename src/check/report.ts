import type { HistoryKeys } from '../engine/history.js';
import type { CounterAggregate, MetricSource, RateAggregate, Tags } from '../engine/thresholds.js';

/**
 * What a correctness check found, in the shape summary.json keeps (src/run-files/summary.ts):
 * anomalies counted by kind, the first few of each kind with their times, what was recovered,
 * and `checks` (k6's metric: judged operations that passed, of all judged). The model that finds
 * them is the domain's (sim/check/); this holds none of its meaning.
 */
export interface Anomaly {
  readonly kind: string;
  /** Seconds from the run's second 0: when the operation that shows it began. */
  readonly t: number;
  readonly keys: HistoryKeys;
  /** One line for a person: what was seen against what was true. */
  readonly detail: string;
  /** The history's operation id, when one operation shows it. */
  readonly id?: number;
}

export interface CorrectnessReport {
  readonly violations: number;
  /** Every kind the model judges, 0 included, so a clean run says so. */
  readonly byKind: Readonly<Record<string, number>>;
  readonly examples: readonly Anomaly[];
  /**
   * The anomalies an operation shows, counted by the second of the run it began in, for the
   * report's timeline; seconds with none are left out. What only the final state shows (a write
   * nobody attempted, a disagreement after the run) has no time of its own and is not here.
   */
  readonly bySecond: readonly { readonly t: number; readonly kind: string; readonly count: number }[];
  /** Indeterminate writes that did apply (no violation). */
  readonly recovered: Readonly<Record<string, number>>;
  readonly checks: { readonly passes: number; readonly total: number };
  /** Operations in the history, and those its cap left out (null: the file was cut short). */
  readonly operations: number;
  readonly notKept: number | null;
  /** The staleness the profile's contract allows, in ms. */
  readonly staleBoundMs: number;
}

export const EXAMPLES_PER_KIND = 3;

export interface Findings {
  readonly kinds: readonly string[];
  readonly anomalies: readonly Anomaly[];
  readonly recovered: Readonly<Record<string, number>>;
  /** Operations (and probes) judged; those named by an anomaly's id failed. */
  readonly judged: number;
  readonly operations: number;
  readonly notKept: number | null;
  readonly staleBoundMs: number;
}

export function correctnessReport(f: Findings): CorrectnessReport {
  const byKind: Record<string, number> = Object.fromEntries(f.kinds.map((k) => [k, 0]));
  const examples: Anomaly[] = [];
  const sorted = [...f.anomalies].sort((a, b) => a.t - b.t);
  const perSecond = new Map<string, { t: number; kind: string; count: number }>();
  for (const a of sorted) {
    byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
    if (byKind[a.kind]! <= EXAMPLES_PER_KIND) examples.push(a);
    if (a.id === undefined) continue;
    const t = Math.max(0, Math.floor(a.t));
    const key = `${t} ${a.kind}`;
    const at = perSecond.get(key);
    if (at === undefined) perSecond.set(key, { t, kind: a.kind, count: 1 });
    else at.count++;
  }
  // An operation fails its check once, however many anomalies it shows; one with no id is a probe of its own.
  const failed = new Set(f.anomalies.map((a, i) => (a.id === undefined ? `a${i}` : `o${a.id}`))).size;
  const total = Math.max(f.judged, failed);
  return {
    violations: f.anomalies.length,
    byKind,
    examples,
    bySecond: [...perSecond.values()],
    recovered: f.recovered,
    checks: { passes: total - failed, total },
    operations: f.operations,
    notKept: f.notKept,
    staleBoundMs: f.staleBoundMs,
  };
}

/**
 * The run's metrics with the checker's answered: `correctness_violations` (a counter, filtered by
 * {kind}) and `checks` (a rate of passes). Everything else is the run's own.
 */
export function withCorrectness(source: MetricSource, report: CorrectnessReport, seconds: number): MetricSource {
  const counter = (metric: string, tags: Tags): CounterAggregate | undefined => {
    if (metric !== 'correctness_violations') return source.counter(metric, tags);
    const kind = tags['kind'];
    const count = kind === undefined ? report.violations : (report.byKind[kind] ?? 0);
    return { count, perSecond: seconds > 0 ? count / seconds : 0 };
  };
  const rate = (metric: string, tags: Tags): RateAggregate | undefined =>
    metric === 'checks' ? (report.checks.total === 0 ? undefined : report.checks) : source.rate(metric, tags);
  return { trend: (m, t) => source.trend(m, t), gauge: (m, t) => source.gauge(m, t), counter, rate };
}
