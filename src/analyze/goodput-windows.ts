import type { GoodputWindow } from './analysis-types.js';
import type { Timeline } from './timeline.js';

/**
 * The goodput of each of the SLO's named spans (`slo.goodput.windows`): ok answers within the
 * bound per second, averaged over the seconds the run has of the span, a second that straddles
 * an edge weighed by how much of it lies inside. `ofFirst` is each span's goodput over the
 * first's, the question "how much of its goodput did it keep" (08:45–09:00 against 09:00–10:00).
 */
export function goodputWindows(tl: Timeline): { readonly withinMs: number | null; readonly windows: readonly GoodputWindow[] } | null {
  const spec = tl.slo.goodput;
  if (spec === undefined) return null;
  const rates = spec.windows.map((w) => {
    const startS = w.startS ?? 0;
    const endS = w.endS ?? startS;
    let weight = 0;
    let good = 0;
    for (let i = 0; i < tl.series.length; i++) {
      const t = tl.series[i]!.t;
      const inside = Math.min(t + 1, endS) - Math.max(t, startS);
      if (inside <= 0) continue;
      weight += inside;
      good += inside * (tl.goodWithin[i] ?? 0);
    }
    return { name: w.name, from: w.from, to: w.to, startS: round(startS, 2), endS: round(endS, 2), coveredS: round(weight, 2), goodRps: weight === 0 ? null : good / weight };
  });
  const first = rates[0]?.goodRps ?? null;
  const windows = rates.map((w) => ({
    ...w,
    goodRps: w.goodRps === null ? null : round(w.goodRps, 1),
    ofFirst: w.goodRps === null || first === null || first === 0 ? null : round(w.goodRps / first, 3),
  }));
  return { withinMs: spec.withinMs, windows };
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;
