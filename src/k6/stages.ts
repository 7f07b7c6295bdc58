import type { RatePlan } from '../engine/executors/rate-plan.js';

/**
 * A rate plan as k6 ramping-arrival-rate stages. k6's `startRate` and `target` are whole
 * numbers per `timeUnit`, and its rate moves linearly within a stage, as codestorm's does: a
 * city curve (one linear piece per 100 ms) is thinned to the knots that matter
 * (Ramer–Douglas–Peucker on the rate), the rates rounded to whole arrivals per time unit, and
 * the result kept only when the arrivals it makes are within `tolerance` of the plan's. The
 * thinning gets finer, and the time unit longer, until that holds.
 */
export interface K6Stage {
  /** A k6 duration: "1500ms", "30s". */
  readonly duration: string;
  readonly target: number;
}

export interface K6Ramp {
  readonly startRate: number;
  readonly timeUnit: string;
  readonly stages: readonly K6Stage[];
  /** What these stages make, and the plan's expected arrivals, over the whole test. */
  readonly arrivals: number;
  readonly planned: number;
  /** The highest rate, per second. */
  readonly peakRps: number;
}

/** Arrivals of a ramp, the area under its rate: what k6 starts over the test (before dropping). */
export function rampArrivals(ramp: Pick<K6Ramp, 'startRate' | 'timeUnit' | 'stages'>): number {
  const unitS = k6DurationMs(ramp.timeUnit) / 1000;
  let rate = ramp.startRate;
  let total = 0;
  for (const stage of ramp.stages) {
    total += ((k6DurationMs(stage.duration) / 1000) * (rate + stage.target)) / 2 / unitS;
    rate = stage.target;
  }
  return total;
}

/** "1500ms", "30s", "2m", "1h" (the forms this module writes) in ms. */
export function k6DurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (m === null) throw new Error(`not a k6 duration this exporter writes: ${text}`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

export function k6Duration(ms: number): string {
  const whole = Math.round(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

const TIME_UNITS = [
  { text: '1s', s: 1 },
  { text: '1m', s: 60 },
  { text: '1h', s: 3_600 },
] as const;
const EPSILONS = [0.02, 0.01, 0.005, 0.002, 0.001, 0];

/**
 * `planned`: the arrivals to match, when the plan's own pieces approximate them (a city
 * stream's grid of 100 ms pieces cuts a sharp surge's corners: its rates are scaled to the
 * stream's analytic arrivals, which `codestorm plan` prints).
 */
export function rampOf(plan: RatePlan, tolerance = 0.005, planned = plan.total): K6Ramp {
  const scale = plan.total > 0 ? planned / plan.total : 1;
  const points = knotsOf(plan).map((k) => ({ tMs: k.tMs, rate: k.rate * scale }));
  const peakRps = Math.max(0, ...points.map((p) => p.rate));
  let best: K6Ramp | undefined;
  for (const unit of TIME_UNITS) {
    for (const epsilon of EPSILONS) {
      const kept = simplify(points, epsilon * peakRps);
      const ramp = toRamp(kept, unit, planned, peakRps);
      if (best === undefined || Math.abs(ramp.arrivals - planned) < Math.abs(best.arrivals - planned)) best = ramp;
      if (withinTolerance(ramp.arrivals, planned, tolerance)) return ramp;
    }
  }
  return best!;
}

export function withinTolerance(actual: number, planned: number, tolerance: number): boolean {
  return planned === 0 ? actual === 0 : Math.abs(actual - planned) / planned <= tolerance;
}

interface Knot {
  readonly tMs: number;
  readonly rate: number;
}

/** The plan's corners; a jump between segments becomes a zero-length piece. */
function knotsOf(plan: RatePlan): Knot[] {
  const knots: Knot[] = [];
  for (const seg of plan.segments) {
    const last = knots[knots.length - 1];
    if (last === undefined || last.tMs !== seg.startMs || last.rate !== seg.fromRate) knots.push({ tMs: seg.startMs, rate: seg.fromRate });
    knots.push({ tMs: seg.startMs + seg.durationMs, rate: seg.toRate });
  }
  return knots.length > 0 ? knots : [{ tMs: 0, rate: 0 }];
}

/** Ramer–Douglas–Peucker on the rate (vertical distance), iterative so a long curve cannot overflow the stack. */
function simplify(points: readonly Knot[], epsilon: number): Knot[] {
  if (points.length <= 2) return [...points];
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  const todo: [number, number][] = [[0, points.length - 1]];
  while (todo.length > 0) {
    const [a, b] = todo.pop()!;
    const pa = points[a]!;
    const pb = points[b]!;
    let worst = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const p = points[i]!;
      const span = pb.tMs - pa.tMs;
      const line = span === 0 ? pa.rate : pa.rate + ((pb.rate - pa.rate) * (p.tMs - pa.tMs)) / span;
      const d = Math.abs(p.rate - line);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (at >= 0 && worst > epsilon) {
      keep[at] = 1;
      todo.push([a, at], [at, b]);
    }
  }
  return points.filter((_, i) => keep[i] === 1);
}

function toRamp(knots: readonly Knot[], unit: (typeof TIME_UNITS)[number], planned: number, peakRps: number): K6Ramp {
  const perUnit = (rate: number) => Math.round(rate * unit.s);
  const stages: K6Stage[] = [];
  for (let i = 1; i < knots.length; i++) {
    stages.push({ duration: k6Duration(knots[i]!.tMs - knots[i - 1]!.tMs), target: perUnit(knots[i]!.rate) });
  }
  const startRate = perUnit(knots[0]!.rate);
  const ramp = { startRate, timeUnit: unit.text, stages };
  return { ...ramp, arrivals: rampArrivals(ramp), planned, peakRps };
}
