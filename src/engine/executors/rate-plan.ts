import { invalidInput } from '../../errors.js';
import type { Random } from '../random.js';

/**
 * The schedule of an open-model (arrival-rate) executor: a piecewise-linear rate r(t), in
 * arrivals per second, over [0, durationMs). Everything else follows analytically from its
 * integral Λ(t) = ∫₀ᵗ r, the expected arrivals by t:
 *
 * - even spacing: arrival k = 0, 1, 2, … for every k < Λ(T), at the latest t with Λ(t) = k
 *   (sup{t : Λ(t) <= k}). At a constant rate that is k / rate, starting at 0 as k6's
 *   constant-arrival-rate does; in a ramp it is a root of a quadratic; an arrival is never placed
 *   inside a zero-rate stretch but at the instant the rate resumes. Each arrival opens the unit
 *   of expected load [k, k+1), so a plan's arrivals number ⌈Λ(T)⌉.
 * - Poisson: a unit-rate Poisson process in Λ-space mapped back through Λ⁻¹ (time rescaling),
 *   which is an exact non-homogeneous Poisson process with intensity r(t), ramps included.
 */
export interface RateSegment {
  readonly startMs: number;
  /** Always > 0: zero-length stages (instant jumps) are not segments. */
  readonly durationMs: number;
  /** Arrivals per second at the segment's start and end; linear in between. */
  readonly fromRate: number;
  readonly toRate: number;
  /** Λ(startMs): expected arrivals before the segment. */
  readonly before: number;
  /** Expected arrivals within the segment. */
  readonly arrivals: number;
}

export interface RatePlan {
  readonly durationMs: number;
  /** Λ(durationMs). */
  readonly total: number;
  readonly segments: readonly RateSegment[];
}

/** One linear piece as the executors describe it; pieces follow each other. */
export interface RatePiece {
  readonly durationMs: number;
  readonly fromRate: number;
  readonly toRate: number;
}

/** A slice of the arrivals for one of `of` workers; see `planArrivals`. */
export interface Share {
  readonly index: number;
  readonly of: number;
}

export type Spacing = 'even' | 'poisson';

export type ArrivalOptions =
  | { readonly spacing: 'even'; readonly random?: Random; readonly share?: Share }
  | { readonly spacing: 'poisson'; readonly random: Random; readonly share?: Share };

export function linearPlan(pieces: readonly RatePiece[]): RatePlan {
  const segments: RateSegment[] = [];
  let startMs = 0;
  let before = 0;
  for (const piece of pieces) {
    if (piece.durationMs <= 0) continue;
    const arrivals = (piece.durationMs * (piece.fromRate + piece.toRate)) / 2_000;
    segments.push(Object.freeze({ startMs, durationMs: piece.durationMs, fromRate: piece.fromRate, toRate: piece.toRate, before, arrivals }));
    startMs += piece.durationMs;
    before += arrivals;
  }
  return Object.freeze({ durationMs: startMs, total: before, segments: Object.freeze(segments) });
}

/**
 * `build` cached per config object. Configs are frozen values, and a curve's plan costs one call
 * of its rate function per grid point, which `rateAt` in a loop should not repeat.
 */
export function memoPlan<Config extends object>(build: (config: Config) => RatePlan): (config: Config) => RatePlan {
  const plans = new WeakMap<Config, RatePlan>();
  return (config) => {
    let plan = plans.get(config);
    if (plan === undefined) {
      plan = build(config);
      plans.set(config, plan);
    }
    return plan;
  };
}

/** Arrivals per second at tMs; 0 outside [0, durationMs). Right-continuous at stage jumps. */
export function planRateAt(plan: RatePlan, tMs: number): number {
  if (!(tMs >= 0 && tMs < plan.durationMs)) return 0;
  const seg = segmentAt(plan, tMs);
  if (seg === undefined) return 0;
  const x = tMs - seg.startMs;
  return seg.fromRate + ((seg.toRate - seg.fromRate) * x) / seg.durationMs;
}

/** Λ(tMs), clamped to the plan. */
export function planIntegral(plan: RatePlan, tMs: number): number {
  if (!(tMs > 0)) return 0;
  if (tMs >= plan.durationMs) return plan.total;
  const seg = segmentAt(plan, tMs);
  return seg === undefined ? 0 : seg.before + partial(seg, tMs - seg.startMs);
}

/** ∫ r over [fromMs, toMs]: the expected number of arrivals in that window (signed). */
export function planExpected(plan: RatePlan, fromMs: number, toMs: number): number {
  return planIntegral(plan, toMs) - planIntegral(plan, fromMs);
}

/**
 * Arrival times, in ms from the executor's start, ascending.
 *
 * `share` takes worker `index` of `of`'s slice, such that the slices of all `of` workers are
 * disjoint and their union is exactly the unsplit schedule (for Poisson, with the same `random`):
 * - even: worker i takes arrivals k ≡ i (mod of). Each worker's own arrivals stay evenly spread
 *   at rate / of, and the run's schedule does not depend on how many workers carry it.
 * - poisson: every worker walks the same whole process (gaps from `random.fork('poisson-gaps')`)
 *   and keeps the points whose mark, drawn for every point from `random.fork('poisson-shares')`,
 *   is its index. Marking a Poisson process at random (probability 1/of) splits it into `of`
 *   *independent* Poisson processes at rate / of, so each worker's share is itself Poisson and
 *   the union is the unsplit schedule point for point: the seed alone fixes the run's arrivals,
 *   whatever the worker count. The price is that each worker draws every point's gap and mark
 *   (cheap: two draws and an addition; only a worker's own points are mapped back to time).
 *   Independent thinning per worker, or each worker generating at rate / of from its own stream,
 *   would only match the schedule in distribution, and change with the worker count.
 * Pass every worker the same `random`; forking is done here.
 */
export function* planArrivals(plan: RatePlan, options: ArrivalOptions): Generator<number, void, undefined> {
  const { index, of } = checkShare(options.share);
  const segments = plan.segments;
  let s = 0;
  /** The segment holding the arrival at Λ = m, for non-decreasing m. */
  const locate = (m: number): RateSegment | undefined => {
    for (let seg = segments[s]; seg !== undefined; seg = segments[++s]) {
      // At a segment's end exactly, the arrival belongs to the next segment with any rate.
      if (m < seg.before + seg.arrivals - tolerance(m)) return seg;
    }
    return undefined;
  };

  if (options.spacing === 'even') {
    const limit = plan.total - tolerance(plan.total);
    for (let k = index; k < limit; k += of) {
      const seg = locate(k);
      if (seg === undefined) return;
      yield seg.startMs + invert(seg, k - seg.before);
    }
    return;
  }

  const gaps = options.random.fork('poisson-gaps');
  const marks = of > 1 ? options.random.fork('poisson-shares') : undefined;
  for (let m = gaps.exponential(1); m < plan.total; m += gaps.exponential(1)) {
    if (marks !== undefined && marks.int(of) !== index) continue;
    const seg = locate(m);
    if (seg === undefined) return;
    yield seg.startMs + invert(seg, m - seg.before);
  }
}

function checkShare(share: Share | undefined): Share {
  if (share === undefined) return { index: 0, of: 1 };
  const { index, of } = share;
  if (!Number.isInteger(of) || of < 1 || !Number.isInteger(index) || index < 0 || index >= of) {
    throw invalidInput(
      'EXECUTOR_SHARE_INVALID',
      `share: expected whole numbers with 0 <= index < of, got index ${index} of ${of}`,
    );
  }
  return share;
}

/** The last segment starting at or before tMs (binary search). */
function segmentAt(plan: RatePlan, tMs: number): RateSegment | undefined {
  const segments = plan.segments;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((segments[mid]?.startMs ?? Number.POSITIVE_INFINITY) <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo];
}

/** Expected arrivals in the first x ms of a segment. */
function partial(seg: RateSegment, x: number): number {
  const clamped = Math.min(Math.max(x, 0), seg.durationMs);
  return (clamped * (seg.fromRate + ((seg.toRate - seg.fromRate) * clamped) / (2 * seg.durationMs))) / 1_000;
}

/**
 * The x in [0, durationMs] with partial(seg, x) = m: the root of a·x² + b·x = 1000·m, with
 * a = (toRate − fromRate) / 2d and b = fromRate, in the cancellation-free form
 * x = 2c / (b + √(b² + 4ac)), which also covers a = 0 (x = c / b) and b = 0 (x = √(c / a)).
 */
function invert(seg: RateSegment, m: number): number {
  const c = m * 1_000;
  if (c <= 0) return 0;
  const a = (seg.toRate - seg.fromRate) / (2 * seg.durationMs);
  const b = seg.fromRate;
  const x = (2 * c) / (b + Math.sqrt(Math.max(0, b * b + 4 * a * c)));
  return Math.min(x, seg.durationMs);
}

/** Slack for comparing sums of floating-point arrivals against whole numbers. */
function tolerance(m: number): number {
  return 1e-9 * Math.max(1, Math.abs(m));
}

/**
 * What every arrival-rate executor derives from its plan, the same way: the rate at a moment,
 * the arrivals expected in a window, and the arrivals themselves.
 */
export function planQueries<C>(plan: (config: C) => RatePlan) {
  return {
    rateAt: (config: C, tMs: number): number => planRateAt(plan(config), tMs),
    expectedArrivals: (config: C, fromMs: number, toMs: number): number => planExpected(plan(config), fromMs, toMs),
    arrivals: (config: C, options: ArrivalOptions): Generator<number, void, undefined> => planArrivals(plan(config), options),
  };
}
