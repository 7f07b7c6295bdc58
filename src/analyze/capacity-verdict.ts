import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ThresholdSet } from '../engine/thresholds.js';
import { errorMessage, invalidInput } from '../errors.js';
import type { CapacityResult, StepResult } from './capacity.js';
import type { Overload, OverloadShape, OverloadStep } from './overload.js';

/**
 * The capacity gate's verdict: what `codestorm capacity` writes to capacity.json, how a run is
 * judged against the SLO and a baseline, and the baseline file it reads. Pure, apart from
 * reading the baseline; the command (src/cli/capacity.ts) runs the steps, this judges them.
 */

/** What --set changed on the reference server (src/report/settings.ts's RunSettings). */
type Settings = Readonly<Record<string, number | boolean | string>>;

export interface CapacityReport {
  readonly scenario: string;
  readonly target: string;
  /** The reference server's profile and what --set changed on it; null and {} for an external target. */
  readonly profile: string | null;
  readonly settings: Settings;
  readonly capacityRps: number;
  readonly uncertaintyRps: number | null;
  readonly failedAtRps: number | null;
  readonly sloHeld: boolean;
  readonly slo: readonly string[];
  /** p99 at the first (lightest) step, the latency the baseline gate compares. */
  readonly p99AtStartMs: number | null;
  /** Its 95 % confidence interval given the step's sample count (StepResult.p99IntervalMs). */
  readonly p99AtStartIntervalMs: readonly [number, number | null] | null;
  readonly steps: readonly StepResult[];
  readonly knee: StepResult | null;
  /** The steps past the knee, measured and not judged (src/analyze/overload.ts defines each number). */
  readonly overload: readonly OverloadStep[];
  readonly overloadShape: OverloadShape | null;
  /** The highest goodput of any step that held the SLO: what overload steps keep a share of. */
  readonly peakGoodputRps: number | null;
  /** The latency a response must beat to count as goodput; null when the SLO sets none. */
  readonly goodputLimitMs: number | null;
  readonly baseline: BaselineVerdict | null;
  readonly verdict: 'pass' | 'fail';
  readonly reason: string;
  readonly runDir: string;
}

export interface BaselineVerdict {
  readonly file: string;
  readonly capacityRps: number;
  readonly p99AtStartMs: number | null;
  readonly p99AtStartIntervalMs: readonly [number, number | null] | null;
  readonly capacityChangePct: number;
  readonly p99ChangePct: number | null;
  /**
   * Whether the p99 change is larger than the sampling noise of the two first steps: their
   * confidence intervals do not overlap. A p99 change beyond --max-regression fails the gate only
   * when it is; null when either p99 is missing.
   */
  readonly p99ChangeSignificant: boolean | null;
  readonly maxRegressionPct: number;
  readonly ok: boolean;
}

/** What the gate reads from a previous `capacity --json` output (or its capacity.json). */
export interface Baseline {
  readonly file: string;
  readonly capacityRps: number;
  readonly p99AtStartMs: number | null;
  /** Null in a baseline written before intervals were recorded: its p99 is then taken as exact. */
  readonly p99AtStartIntervalMs: readonly [number, number | null] | null;
}

export interface JudgeContext {
  readonly scenario: string;
  readonly target: string;
  readonly profile: string | null;
  readonly settings: Settings;
  readonly overload: Overload;
  readonly goodputLimitMs: number | null;
  readonly slo: ThresholdSet;
  readonly baseline: Baseline | undefined;
  readonly maxRegression: number;
  readonly runDir: string;
  readonly maxRps: number;
}

/**
 * The verdict. Capacity worse by more than --max-regression fails the gate. So does the p99 at
 * the first step, but only when the change is also beyond sampling noise: a p99 from a few
 * hundred requests moves by 15 % between two runs of the same target (measured in CI: 9.5 →
 * 10.9 ms on an unchanged 5 ms server), and a gate that fails equal runs gets switched off.
 */
export function judge(found: CapacityResult, c: JudgeContext): CapacityReport {
  const first = found.steps[0];
  const p99AtStartMs = first?.p99Ms ?? null;
  const p99AtStartIntervalMs = first?.p99IntervalMs ?? null;
  let baseline: BaselineVerdict | null = null;
  if (c.baseline !== undefined) {
    const b = c.baseline;
    const capChange = b.capacityRps === 0 ? 0 : Math.round((1000 * (found.capacityRps - b.capacityRps)) / b.capacityRps) / 10;
    const comparable = p99AtStartMs !== null && b.p99AtStartMs !== null && b.p99AtStartMs > 0;
    const p99Change = comparable ? Math.round((1000 * (p99AtStartMs - b.p99AtStartMs!)) / b.p99AtStartMs!) / 10 : null;
    const significant = comparable ? separated(b.p99AtStartIntervalMs ?? [b.p99AtStartMs!, b.p99AtStartMs!], p99AtStartIntervalMs ?? [p99AtStartMs, p99AtStartMs]) : null;
    const ok = capChange >= -c.maxRegression && !(p99Change !== null && p99Change > c.maxRegression && significant === true);
    baseline = {
      file: b.file,
      capacityRps: b.capacityRps,
      p99AtStartMs: b.p99AtStartMs,
      p99AtStartIntervalMs: b.p99AtStartIntervalMs,
      capacityChangePct: capChange,
      p99ChangePct: p99Change,
      p99ChangeSignificant: significant,
      maxRegressionPct: c.maxRegression,
      ok,
    };
  }
  const verdict = found.sloHeld && (baseline === null || baseline.ok) ? 'pass' : 'fail';
  const range = found.failedAtRps === null ? `at least ${found.capacityRps}/s (nothing failed up to --max ${c.maxRps}/s)` : `${found.capacityRps}/s (it broke at ${found.failedAtRps}/s; ±${found.uncertaintyRps}/s)`;
  const reason = !found.sloHeld
    ? `the SLO failed even at ${first?.rateRps ?? '?'}/s: ${first?.reason ?? ''}`
    : baseline !== null && !baseline.ok
      ? `capacity ${range}; ${baselineLine(baseline, { capacityRps: found.capacityRps, p99AtStartMs, p99AtStartIntervalMs })}`
      : `capacity ${range}`;
  return {
    scenario: c.scenario,
    target: c.target,
    profile: c.profile,
    settings: c.settings,
    capacityRps: found.capacityRps,
    uncertaintyRps: found.uncertaintyRps,
    failedAtRps: found.failedAtRps,
    sloHeld: found.sloHeld,
    slo: c.slo.map((t) => `${t.key}: ${t.expr}`),
    p99AtStartMs,
    p99AtStartIntervalMs,
    steps: found.steps,
    knee: found.knee,
    overload: c.overload.steps,
    overloadShape: c.overload.shape,
    peakGoodputRps: c.overload.peakGoodputRps,
    goodputLimitMs: c.goodputLimitMs,
    baseline,
    verdict,
    reason,
    runDir: c.runDir,
  };
}

/** Whether the later interval lies wholly above the earlier one (never, when the earlier is open at the top). */
function separated(before: readonly [number, number | null], after: readonly [number, number | null]): boolean {
  return before[1] !== null && after[0] > before[1];
}

/** One line with the numbers, for stderr and the verdict's reason. */
export function baselineLine(b: BaselineVerdict, now: Pick<CapacityReport, 'capacityRps' | 'p99AtStartMs' | 'p99AtStartIntervalMs'>): string {
  return `regression beyond ${b.maxRegressionPct} %: capacity ${b.capacityRps}/s → ${now.capacityRps}/s (${b.capacityChangePct > 0 ? '+' : ''}${b.capacityChangePct} %), ${p99Comparison(b, now)}`;
}

/**
 * "p99 at the first step 9.3 ms [7.1–12.6] → 7.4 ms [6.2–9.9] (-20.5 %, within sampling noise)":
 * the intervals are what the gate compares. One wording for stderr, summary.md and capacity.html.
 */
export function p99Comparison(b: BaselineVerdict, now: Pick<CapacityReport, 'p99AtStartMs' | 'p99AtStartIntervalMs'>): string {
  const at = (ms: number | null, interval: readonly [number, number | null] | null): string =>
    ms === null ? '–' : `${ms} ms${interval === null ? '' : ` [${interval[0]}–${interval[1] ?? 'open'}]`}`;
  const change = b.p99ChangePct === null ? '' : ` (${b.p99ChangePct > 0 ? '+' : ''}${b.p99ChangePct} %${b.p99ChangeSignificant === false ? ', within sampling noise' : ''})`;
  return `p99 at the first step ${at(b.p99AtStartMs, b.p99AtStartIntervalMs)} → ${at(now.p99AtStartMs, now.p99AtStartIntervalMs)}${change}`;
}

const interval = z.tuple([z.number(), z.number().nullable()]);
const baselineSchema = z.looseObject({
  capacityRps: z.number({ error: 'expected a number (the output of codestorm capacity --json)' }),
  p99AtStartMs: z.number().nullable().optional().catch(null),
  // Null in a baseline written before intervals were recorded: its p99 is then taken as exact.
  p99AtStartIntervalMs: interval.nullable().optional().catch(null),
});

/** A previous `capacity --json` output (or its capacity.json). */
export function readBaseline(file: string): Baseline {
  if (!existsSync(file)) throw invalidInput('FLAG_INVALID', `--baseline: ${file}: no such file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalidInput('FLAG_INVALID', `--baseline: ${file}: not JSON (${errorMessage(err)})`);
  }
  const parsed = baselineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidInput('FLAG_INVALID', `--baseline: ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const b = parsed.data;
  return { file, capacityRps: b.capacityRps, p99AtStartMs: b.p99AtStartMs ?? null, p99AtStartIntervalMs: b.p99AtStartIntervalMs ?? null };
}
