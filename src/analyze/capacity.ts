import { invalidInput } from '../errors.js';
import type { Outcome } from '../engine/second.js';
import { parseThresholds, type ThresholdSet } from '../engine/thresholds.js';

/**
 * Finding the highest arrival rate a target sustains within its SLO: a step ramp that doubles
 * the rate until a step fails (the bracket), then a bisection inside the bracket. Each step is
 * probed by the caller (a real run of the load at that rate); this module only decides which
 * rates to try and what the answer is, so it can be tested against a target of known capacity
 * and against a pure function alike.
 */
export interface StepResult {
  readonly rateRps: number;
  readonly ok: boolean;
  /** Why the step failed, one line. */
  readonly reason: string | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /**
   * The 95 % confidence interval of that p99 given how many requests the step measured
   * (percentileIntervalMs): the band inside which another run of the same target would likely
   * land. The baseline gate counts a p99 change only when the bands do not overlap.
   */
  readonly p99IntervalMs: readonly [number, number | null] | null;
  readonly errorRate: number | null;
  /** ok responses per judged second. */
  readonly goodRps: number;
  /** ok responses within the SLO's latency limit per judged second (src/analyze/overload.ts). */
  readonly goodputRps: number;
  /** Requests by outcome over the judged part, only the outcomes that occurred. */
  readonly byOutcome: Readonly<Partial<Record<Outcome, number>>>;
  /** ok responses later than that latency limit. */
  readonly late: number;
  readonly dropped: number;
}

export interface SearchOptions {
  readonly startRps: number;
  readonly maxRps: number;
  /** Bisection steps inside the bracket: each halves the uncertainty. */
  readonly refine: number;
  /**
   * A step that fails is run again up to this many times and counts as failed only if every
   * run fails: one hiccup of a noisy machine would otherwise move the answer by a whole bisection
   * step, or, on a doubling step, halve it (on the first step, make it 0). Default 1.
   */
  readonly confirm?: number;
}

export interface CapacityResult {
  /** The highest rate that held; 0 when even the first step failed. */
  readonly capacityRps: number;
  /** The lowest rate that failed, or null when none did up to maxRps. */
  readonly failedAtRps: number | null;
  /** Half the gap between them: capacity is capacityRps + uncertaintyRps ± uncertaintyRps. */
  readonly uncertaintyRps: number | null;
  readonly sloHeld: boolean;
  /** Every step in the order it ran. */
  readonly steps: readonly StepResult[];
  /** The step at capacity: where latency and errors turn up. */
  readonly knee: StepResult | null;
}

export async function searchCapacity(probe: (rateRps: number) => Promise<StepResult>, options: SearchOptions): Promise<CapacityResult> {
  const steps: StepResult[] = [];
  const run = async (rate: number): Promise<StepResult> => {
    const r = await probe(rate);
    steps.push(r);
    return r;
  };
  // A failing step is run again (up to `confirm` times) and counts as failed only if every run fails.
  const judged = async (rate: number): Promise<StepResult> => {
    let r = await run(rate);
    for (let again = 0; !r.ok && again < (options.confirm ?? 1); again++) r = await run(rate);
    return r;
  };
  let lo: StepResult | null = null;
  let hi: StepResult | null = null;
  let rate = options.startRps;
  for (;;) {
    const r = await judged(rate);
    if (!r.ok) {
      hi = r;
      break;
    }
    lo = r;
    if (rate >= options.maxRps) break;
    rate = Math.min(rate * 2, options.maxRps);
  }
  if (lo !== null && hi !== null) {
    for (let i = 0; i < options.refine; i++) {
      const mid = roundRate((lo.rateRps + hi.rateRps) / 2);
      if (mid <= lo.rateRps || mid >= hi.rateRps) break;
      const r = await judged(mid);
      if (r.ok) lo = r;
      else hi = r;
    }
  }
  return {
    capacityRps: lo?.rateRps ?? 0,
    failedAtRps: hi?.rateRps ?? null,
    uncertaintyRps: lo !== null && hi !== null ? roundRate((hi.rateRps - lo.rateRps) / 2) : null,
    sloHeld: lo !== null,
    steps,
    knee: lo,
  };
}

function roundRate(r: number): number {
  return Math.round(r * 10) / 10;
}

/**
 * `--slo` values: `METRIC:EXPR` (http_req_duration:p(99)<250), or a bare expression whose
 * aggregation names its metric: p(N), avg, med, min, max → http_req_duration; rate →
 * http_req_failed.
 */
export function parseSloFlags(values: readonly string[]): ThresholdSet {
  const byMetric: Record<string, string[]> = {};
  for (const v of values) {
    const m = /^([a-z_]+(?:\{[^}]*\})?):(.+)$/.exec(v.trim());
    let metric: string;
    let expr: string;
    if (m !== null && !/^(p\(|avg|med|min|max|rate|count)/.test(v.trim())) {
      metric = m[1] ?? '';
      expr = m[2] ?? '';
    } else {
      expr = v.trim();
      if (/^(p\(|avg|med|min|max)/.test(expr)) metric = 'http_req_duration';
      else if (/^rate/.test(expr)) metric = 'http_req_failed';
      else throw invalidInput('FLAG_INVALID', `--slo: "${v}": give METRIC:EXPR (http_req_duration:p(99)<250) or an expression starting with p(N), avg, med, min, max or rate`);
    }
    (byMetric[metric] ??= []).push(expr);
  }
  try {
    return parseThresholds(byMetric, '--slo');
  } catch (err) {
    throw invalidInput('FLAG_INVALID', (err as Error).message.split('\n').filter((l) => l.startsWith('--slo')).join('\n') || (err as Error).message);
  }
}
