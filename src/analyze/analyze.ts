/**
 * What a run directory says about where the target failed: reads only the run's files (through
 * readRunDir) and knows nothing of health codes.
 *
 * - Every second, each SLO is judged over the window of seconds ending there.
 * - The breaking point is the first sustained violation: the first second from which some SLO
 *   stays violated for `sustain` seconds (or to the end of the run); when, at what offered rate,
 *   which SLO, by how much.
 * - Capacity: the best windowed goodput (ok responses per second) while every SLO held, before
 *   the breaking point; a lower bound when nothing broke.
 * - Each fault: goodput before it, goodput, errors and p99 while it was on, and how long after
 *   it ended the SLOs held again (recoveryS).
 * - Metastable failure: a trigger (a fault, or the load once it fell back below capacity) gone,
 *   and the SLOs still not holding `metastableAfter` seconds later.
 * - The journeys' custom metrics: each one's run values, per-second series and peak (custom.ts).
 * - Goodput over the SLO's named spans, ok answers within its bound (goodput-windows.ts).
 * - Whether the generator kept its schedule: how late it handed arrivals on (generator.ts).
 *
 * One module per stage: timeline.ts (series and per-second judgements), breaking-point.ts (it and
 * the capacity estimate), fault-impact.ts, metastability.ts, verdicts.ts; types in analysis-types.ts.
 */
import type { Analysis, FaultWindow } from './analysis-types.js';
import { findBreakingPoint, estimateCapacity } from './breaking-point.js';
import { customViews } from './custom.js';
import { faultImpacts } from './fault-impact.js';
import { generatorVerdict } from './generator.js';
import { goodputWindows } from './goodput-windows.js';
import { metastability } from './metastability.js';
import type { RunDir } from './read.js';
import type { Slo } from './slo.js';
import { buildTimeline } from './timeline.js';
import { sloVerdicts } from './verdicts.js';

export {
  SURGE_FACTOR,
  SURGE_WINDOW_S,
  type Analysis,
  type BreakingPoint,
  type FaultImpact,
  type FaultWindow,
  type GeneratorVerdict,
  type GoodputWindow,
  GENERATOR_BEHIND_MS,
  type RequestSurge,
  type SecondPoint,
  type SloVerdict,
  type Trigger,
} from './analysis-types.js';

export function analyze(run: RunDir, slo: Slo, faultWindows: readonly FaultWindow[] = faultsFromEvents(run)): Analysis {
  const timeline = buildTimeline(run, slo);
  const breakingPoint = findBreakingPoint(timeline);
  const capacity = estimateCapacity(timeline, breakingPoint);
  const { windowS, sustainS, metastableAfterS, source } = slo;
  return {
    slo: { windowS, sustainS, metastableAfterS, source, verdicts: sloVerdicts(timeline) },
    breakingPoint,
    capacity,
    faults: faultImpacts(timeline, run, faultWindows),
    metastable: metastability(timeline, faultWindows, breakingPoint, capacity),
    series: timeline.series,
    names: run.names,
    custom: customViews(run, faultWindows),
    goodput: goodputWindows(timeline),
    generator: generatorVerdict(run),
  };
}

/** Faults as events.ndjson tells them: begin and end times, by name. */
export function faultsFromEvents(run: RunDir): FaultWindow[] {
  const out = new Map<string, { name: string; kind: string; target: string; startS: number | null; endS: number | null }>();
  for (const e of run.events) {
    if (e.event !== 'fault-begin' && e.event !== 'fault-end' && e.event !== 'fault-failed') continue;
    const name = String(e['fault'] ?? '');
    const f = out.get(name) ?? { name, kind: String(e['kind'] ?? ''), target: String(e['target'] ?? ''), startS: null, endS: null };
    if (e.event === 'fault-begin') f.startS = e.t;
    if (e.event === 'fault-end') f.endS = e.t;
    out.set(name, f);
  }
  return [...out.values()];
}
