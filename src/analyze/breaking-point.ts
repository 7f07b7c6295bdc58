import type { Analysis, BreakingPoint } from './analysis-types.js';
import { round, sustainedFrom, windowed, type Timeline } from './timeline.js';

/** The first second from which some SLO stays violated for `sustain` seconds; null if none. */
export function findBreakingPoint(tl: Timeline): BreakingPoint | null {
  const { judged, offered, slo } = tl;
  for (let t = 0; t < tl.series.length; t++) {
    if (judged[t]?.ok !== false) continue;
    if (!sustainedFrom(tl, t, (i) => judged[i]?.ok === false)) continue;
    const failing = judged[t]!.results.find((r) => !r.ok)!;
    const value = failing.value ?? 0;
    const rate = round(windowed(tl, offered, t));
    return {
      atS: t,
      offeredRps: rate,
      reason: `${failing.key}: ${failing.expr} failed at ${round(value, 3)} over the ${slo.windowS} s window ending at ${t} s, offered ${rate}/s`,
      slo: failing.key,
      value: round(value, 3),
      limit: failing.limit,
      exceededBy: round(value - failing.limit, 3),
    };
  }
  return null;
}

/** The best windowed goodput while every SLO held, before the breaking point. */
export function estimateCapacity(tl: Timeline, breakingPoint: BreakingPoint | null): Analysis['capacity'] {
  let best: { good: number; offered: number; completed: number; atS: number } | null = null;
  const limit = breakingPoint?.atS ?? tl.series.length;
  for (let t = 0; t < limit; t++) {
    if (tl.judged[t]?.ok !== true) continue;
    const good = windowed(tl, tl.goodput, t);
    if (best === null || good > best.good) best = { good, offered: windowed(tl, tl.offered, t), completed: windowed(tl, tl.completed, t), atS: t };
  }
  if (best === null) return null;
  return {
    goodRps: round(best.good),
    offeredRps: round(best.offered),
    completedRps: round(best.completed),
    atS: best.atS,
    lowerBound: breakingPoint === null || breakingPoint.offeredRps > 1.5 * best.offered,
  };
}
