import { invalidInput } from '../errors.js';
import { HIGHEST_US, type LatencyHistogram } from '../engine/histogram.js';
import type { Outcome } from '../engine/second.js';
import type { ThresholdSet } from '../engine/thresholds.js';
import type { CapacityResult, StepResult } from './capacity.js';

/**
 * Overload made visible: after the capacity search settles on a capacity C, steps at multiples
 * of it (1.5×, 2×, 3× by default) show what the target keeps of its goodput past the knee. A
 * system that sheds what it cannot do keeps a plateau; one that queues everything collapses.
 * They are measured, never judged: the capacity answer and the gate do not read them.
 *
 * Definitions (README, "Capacity and CI gating"):
 *   goodput       ok responses answered within the SLO's latency limit, per second of the
 *                 step's judged part (its warm-up second left out). The limit is the largest
 *                 value of the SLO's http_req_duration objectives with < or <= (a response slower
 *                 than every objective is late: nobody waited for it); with no such objective,
 *                 every ok response counts.
 *   peak goodput  the highest goodput of any search step that held the SLO.
 *   kept share    an overload step's goodput / the peak goodput.
 *   shape         judged at the overload step whose multiple is nearest 2 (ties: the higher):
 *                 plateau when it kept at least 80 % of the peak, cliff when at most 30 %,
 *                 degrading in between; null when no overload step ran.
 */
export const DEFAULT_MULTIPLES: readonly number[] = [1.5, 2, 3];
export const SHAPE_AT_MULTIPLE = 2;
export const PLATEAU_KEPT = 0.8;
export const CLIFF_KEPT = 0.3;

/**
 * The most iterations an overload step lets wait on the target at once. Each waits on a socket
 * of its own: 15,000, or three quarters of the process's open-file limit when that is lower
 * (`ulimit -n`; these machines allow 20,000), leaving the rest for the engine, its files and
 * the stack's own sockets.
 */
export const OVERLOAD_IN_FLIGHT_LIMIT = 15_000;

/**
 * Iterations an overload step lets wait at once: every arrival of the step, so that a target
 * that answers nothing still meets the whole offered load (an open model — a city's phones do
 * not wait for each other), up to the socket budget; never fewer than the scenario's own
 * maxInFlight. At the search's cap (1,000 by default) a queueing target would see only the
 * arrivals that found a free place, a closed loop of that many users, and would look as if it
 * shed: in one fragile run at 2× its capacity the generator dropped 5,401 arrivals and the
 * target kept 107 % of its goodput. `openFiles`: the process's limit, when known.
 */
export function overloadInFlight(rateRps: number, durationMs: number, scenarioMaxInFlight: number, openFiles?: number): number {
  const budget = socketBudget(openFiles);
  const arrivals = Math.ceil((rateRps * durationMs) / 1000);
  return Math.max(scenarioMaxInFlight, Math.min(budget, arrivals));
}

/**
 * The sockets the generator may hold open at once: OVERLOAD_IN_FLIGHT_LIMIT, or three quarters of
 * the process's open-file limit when that is lower. `openFiles`: the limit, when known.
 */
export function socketBudget(openFiles?: number): number {
  return openFiles === undefined ? OVERLOAD_IN_FLIGHT_LIMIT : Math.max(1, Math.min(OVERLOAD_IN_FLIGHT_LIMIT, Math.floor(openFiles * 0.75)));
}

export type OverloadShape = 'plateau' | 'degrading' | 'cliff';

export interface OverloadStep {
  /** Offered rate / capacity: the multiple asked for, or less when --max capped the rate. */
  readonly multiple: number;
  readonly offeredRps: number;
  readonly goodputRps: number;
  /** goodputRps / peak goodput; null when there is no peak to compare with. */
  readonly keptShare: number | null;
  /** Share of requests that did not end ok (null: no requests). */
  readonly errorShare: number | null;
  /** Share of requests that ended ok but later than the goodput's latency limit. */
  readonly lateShare: number | null;
  /** Share of requests per outcome that is not ok (shed, timeout, 5xx, …), only those that occurred. */
  readonly byOutcome: Readonly<Partial<Record<Outcome, number>>>;
  /** Arrivals dropped: more than maxInFlight were waiting on the target. */
  readonly dropped: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface Overload {
  readonly peakGoodputRps: number | null;
  readonly steps: readonly OverloadStep[];
  readonly shape: OverloadShape | null;
}

export interface PlannedOverloadStep {
  readonly multiple: number;
  readonly rateRps: number;
  /** Whether --max lowered the rate below multiple × capacity as asked. */
  readonly capped: boolean;
}

/**
 * The overload steps to run: each multiple of the capacity, capped at maxRps; a step that the cap
 * brings down to the capacity or to an earlier step's rate is left out.
 */
export function overloadPlan(capacityRps: number, multiples: readonly number[], maxRps: number): PlannedOverloadStep[] {
  if (!(capacityRps > 0)) return [];
  const plan: PlannedOverloadStep[] = [];
  for (const asked of [...new Set(multiples)].sort((a, b) => a - b)) {
    const wanted = roundRate(asked * capacityRps);
    const rateRps = Math.min(wanted, roundRate(maxRps));
    if (rateRps <= capacityRps || plan.some((p) => p.rateRps === rateRps)) continue;
    plan.push({ multiple: rateRps === wanted ? asked : Math.round((100 * rateRps) / capacityRps) / 100, rateRps, capped: rateRps < wanted });
  }
  return plan;
}

/** Runs the overload steps after a search; none when the SLO held at no rate. */
export async function runOverload(
  probe: (step: PlannedOverloadStep) => Promise<StepResult>,
  found: CapacityResult,
  options: { readonly multiples: readonly number[]; readonly maxRps: number },
): Promise<Overload> {
  const peak = peakGoodput(found.steps);
  const plan = found.sloHeld ? overloadPlan(found.capacityRps, options.multiples, options.maxRps) : [];
  const steps: OverloadStep[] = [];
  for (const planned of plan) steps.push(overloadStep(await probe(planned), planned.multiple, peak));
  return { peakGoodputRps: peak, steps, shape: shapeOf(steps) };
}

/** The highest goodput of any step that held the SLO; null when none held. */
export function peakGoodput(steps: readonly StepResult[]): number | null {
  const held = steps.filter((s) => s.ok).map((s) => s.goodputRps);
  return held.length === 0 ? null : Math.max(...held);
}

export function overloadStep(step: StepResult, multiple: number, peakGoodputRps: number | null): OverloadStep {
  const counts = Object.entries(step.byOutcome) as [Outcome, number][];
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  const share = (n: number): number | null => (total === 0 ? null : Math.round((10_000 * n) / total) / 10_000);
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const [outcome, n] of counts) if (outcome !== 'ok' && n > 0) byOutcome[outcome] = share(n) ?? 0;
  return {
    multiple,
    offeredRps: step.rateRps,
    goodputRps: step.goodputRps,
    keptShare: peakGoodputRps === null || peakGoodputRps <= 0 ? null : Math.round((1000 * step.goodputRps) / peakGoodputRps) / 1000,
    errorShare: share(total - (step.byOutcome.ok ?? 0)),
    lateShare: share(step.late),
    byOutcome,
    dropped: step.dropped,
    p50Ms: step.p50Ms,
    p99Ms: step.p99Ms,
  };
}

/** The rule in this module's comment: the kept share at the step nearest 2×. */
export function shapeOf(steps: readonly OverloadStep[]): OverloadShape | null {
  const at = shapeStep(steps);
  if (at === undefined || at.keptShare === null) return null;
  return at.keptShare >= PLATEAU_KEPT ? 'plateau' : at.keptShare <= CLIFF_KEPT ? 'cliff' : 'degrading';
}

/** The step the shape is judged at. */
export function shapeStep(steps: readonly OverloadStep[]): OverloadStep | undefined {
  let best: OverloadStep | undefined;
  for (const s of steps) {
    const d = Math.abs(s.multiple - SHAPE_AT_MULTIPLE);
    const bestD = best === undefined ? Infinity : Math.abs(best.multiple - SHAPE_AT_MULTIPLE);
    if (d < bestD || (d === bestD && best !== undefined && s.multiple > best.multiple)) best = s;
  }
  return best;
}

/** The latency limit a good response must meet (see the module comment); null: none. */
export function goodputLimitMs(slo: ThresholdSet): number | null {
  const limits = slo.filter((t) => t.metric === 'http_req_duration' && (t.op === '<' || t.op === '<=')).map((t) => t.value);
  return limits.length === 0 ? null : Math.max(...limits);
}

/** Responses in a latency histogram at or below `limitMs` (to its resolution, 0.1 %). */
export function countWithin(h: LatencyHistogram, limitMs: number): number {
  const top = Math.min(h.countsArrayIndex(Math.min(HIGHEST_US, Math.max(0, Math.round(limitMs * 1000)))), h.countsArrayLength - 1);
  let n = 0;
  for (let i = 0; i <= top; i++) n += h.getCountAtIndex(i);
  return n;
}

/** `--overload LIST`: multiples of the capacity, comma-separated, each above 1 (1.5,2,3). */
export function parseMultiples(raw: string): readonly number[] {
  const parts = raw.split(',').map((p) => p.trim());
  const values = parts.map((p) => (/^\d+(\.\d+)?$/.test(p) ? Number(p) : Number.NaN));
  if (values.some((v) => !(v > 1 && v <= 100))) {
    throw invalidInput('FLAG_INVALID', `--overload: expected multiples of the capacity above 1 and at most 100, separated by commas (1.5,2,3), got "${raw}"`);
  }
  if (values.length > 10) throw invalidInput('FLAG_INVALID', `--overload: expected at most 10 multiples, got ${values.length}`);
  return [...new Set(values)].sort((a, b) => a - b);
}

function roundRate(r: number): number {
  return Math.round(r * 10) / 10;
}
