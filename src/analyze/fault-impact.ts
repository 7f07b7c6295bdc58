import { OUTCOMES } from '../engine/second.js';
import { SURGE_FACTOR, SURGE_WINDOW_S, type FaultImpact, type FaultWindow, type RequestSurge } from './analysis-types.js';
import type { RunDir } from './read.js';
import { avgOver, recoveredAfter, round, type Timeline } from './timeline.js';

/** Each fault: goodput before and during it, errors and p99 while on, recovery and surges after. */
export function faultImpacts(tl: Timeline, run: RunDir, faultWindows: readonly FaultWindow[]): FaultImpact[] {
  const n = tl.series.length;
  const perName = completedPerName(run, n);
  return faultWindows.map((f) => {
    if (f.startS === null) return { ...f, goodputBefore: null, goodputDuring: null, errorRateDuring: null, p99During: null, recoveryS: null, surges: [] };
    const start = Math.floor(f.startS);
    const end = Math.min(n - 1, Math.ceil(f.endS ?? n) - 1);
    const during = tl.series.slice(start, end + 1);
    const total = during.reduce((sum, p) => sum + p.good + p.failed, 0);
    const failed = during.reduce((sum, p) => sum + p.failed, 0);
    const p99s = during.map((p) => p.latency?.p99 ?? 0);
    const recoveredAt = f.endS === null ? null : recoveredAfter(tl, Math.ceil(f.endS));
    return {
      ...f,
      goodputBefore: start === 0 ? null : round(avgOver(tl.goodput, start - tl.slo.windowS, start - 1)),
      goodputDuring: during.length === 0 ? null : round(avgOver(tl.goodput, start, end)),
      errorRateDuring: total === 0 ? null : round(failed / total, 4),
      p99During: p99s.length === 0 ? null : Math.max(...p99s),
      recoveryS: recoveredAt === null || f.endS === null ? null : round(Math.max(0, recoveredAt - f.endS)),
      surges: f.endS === null ? [] : surgesAfter(tl, perName, f.startS, f.endS),
    };
  });
}

/** Completed requests per second, by request name. */
function completedPerName(run: RunDir, n: number): Map<string, number[]> {
  const perName = new Map<string, number[]>();
  run.seconds.forEach((s, i) => {
    for (const r of s.requests) {
      const xs = perName.get(r.name) ?? new Array<number>(n).fill(0);
      xs[i] = (xs[i] ?? 0) + OUTCOMES.reduce((sum, o) => sum + (r.counts[o] ?? 0), 0);
      perName.set(r.name, xs);
    }
  });
  return perName;
}

/** Requests whose rate rose to SURGE_FACTOR × their rate before the fault, within SURGE_WINDOW_S of its end. */
export function surgesAfter(tl: Timeline, perName: ReadonlyMap<string, readonly number[]>, startS: number, endS: number): RequestSurge[] {
  const start = Math.floor(startS);
  const from = Math.ceil(endS);
  const to = Math.min(tl.series.length - 1, from + SURGE_WINDOW_S - 1);
  const out: RequestSurge[] = [];
  for (const [name, xs] of perName) {
    const before = avgOver(xs, start - tl.slo.windowS, start - 1);
    let peak = 0;
    let atS = from;
    for (let t = from; t <= to; t++) {
      if ((xs[t] ?? 0) > peak) {
        peak = xs[t] ?? 0;
        atS = tl.series[t]?.t ?? t;
      }
    }
    if (peak > 0 && peak >= SURGE_FACTOR * Math.max(before, 1)) out.push({ name, beforeRps: round(before), peakRps: peak, atS });
  }
  // Largest first by the requests a second it added, not by its ratio: 0 → 43/s is a larger
  // ratio than 344 → 3,013/s, and a much smaller storm.
  return out.sort((a, b) => b.peakRps - b.beforeRps - (a.peakRps - a.beforeRps) || a.name.localeCompare(b.name));
}
