import type { Analysis, BreakingPoint, FaultWindow, Trigger } from './analysis-types.js';
import { recoveredAfter, windowed, type Timeline } from './timeline.js';

/**
 * Triggers and whether the failure outlived them: each fault that ended, and the load when it
 * broke the target by rising past what it had handled (gone once the offered rate is back at or
 * below that). Metastable: still not holding `metastableAfter` seconds after the trigger went.
 *
 * "What it had handled" is the capacity in journeys completed per second, not the arrivals
 * offered in that window: a surge that rises faster than the window has arrivals still queued
 * when the SLO last holds, and a ceiling counting them would call the load gone while it is
 * still two or three times what the target ever finished (and, once the break came a second
 * later, find no trigger at all).
 */
export function metastability(tl: Timeline, faultWindows: readonly FaultWindow[], breakingPoint: BreakingPoint | null, capacity: Analysis['capacity']): Analysis['metastable'] {
  const triggers: Trigger[] = [];
  for (const f of faultWindows) if (f.endS !== null && f.startS !== null) triggers.push(judgeTrigger(tl, 'fault', f.name, f.endS));
  const ceiling = capacity?.completedRps ?? 0;
  if (breakingPoint !== null && breakingPoint.offeredRps > 1.1 * ceiling) {
    for (let t = breakingPoint.atS; t < tl.series.length; t++) {
      if (windowed(tl, tl.offered, t) <= ceiling) {
        triggers.push(judgeTrigger(tl, 'load', 'offered load back below capacity', t));
        break;
      }
    }
  }
  return { flagged: triggers.some((t) => t.metastable === true), triggers };
}

export function judgeTrigger(tl: Timeline, kind: Trigger['kind'], name: string, goneS: number): Trigger {
  const recoveredAt = recoveredAfter(tl, Math.ceil(goneS));
  const waited = tl.series.length - goneS;
  const after = tl.slo.metastableAfterS;
  const metastable = recoveredAt !== null ? recoveredAt - goneS > after : waited >= after ? true : null; // null: the run ended too soon to tell
  return { kind, name, goneS, recoveredAtS: recoveredAt, metastable };
}
