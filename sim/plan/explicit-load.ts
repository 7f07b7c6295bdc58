import { planOf, totalDurationOf, type ExecutorConfig } from '../../src/engine/executors/index.js';
import { planExpected, planRateAt, type RatePlan } from '../../src/engine/executors/rate-plan.js';
import type { City, CityJourney as Journey } from '../city/schema.js';
import { CURVE_POINTS, curvePoints, round } from './curve-points.js';
import { populationOf, simulated, type Simulated } from './population.js';
import { resolvePeople, resolveRetry } from './resolve.js';
import type { CityModel, CurvePoint } from './types.js';

/**
 * The city's people at the rate the scenario's `load` gives (a capacity ramp, say): journeys are
 * picked by weight, and each stream's share of the load is its share of the weights.
 */
export function explicitLoadModel(city: City, journeys: readonly Journey[], load: ExecutorConfig): CityModel {
  const sim = simulated(city, journeys);
  const totalWeight = sim.used.reduce((sum, u) => sum + u.journey.weight, 0);
  const durationMs = totalDurationOf(load);
  // Closed models (VUs) have no arrival rate to plan: no expected arrivals, peak or curve.
  const open = load.executor === 'constant-vus' || load.executor === 'ramping-vus' ? undefined : planOf(load);
  const expected = open === undefined ? 0 : planExpected(open, 0, durationMs);
  const peak = open === undefined ? { rps: 0, atS: 0 } : peakOf(open);
  const share = (w: number) => (totalWeight > 0 ? w / totalWeight : 0);
  return {
    clock: null,
    population: populationOf(sim),
    model: sim.model,
    people: resolvePeople(city.people),
    prior: sim.prior,
    streams: sim.used.map(({ journey, stream }) => ({
      journey: journey.name,
      use: stream.name,
      what: stream.what,
      weight: journey.weight,
      retry: resolveRetry(city.retry, journey.retry),
      city: null,
      scaled: { arrivals: round(expected * share(journey.weight), 1), peakRps: round(peak.rps * share(journey.weight), 2), peakAtS: round(peak.atS, 1) },
    })),
    totals: { city: null, scaled: { arrivals: round(expected, 1), peakRps: round(peak.rps, 2), peakAtS: round(peak.atS, 1) } },
    curve: open === undefined ? [] : curveOf(open, durationMs, sim, totalWeight),
    faults: [],
    load,
    mix: undefined,
  };
}

/** The highest rate of the plan's segments and when it is reached. */
function peakOf(open: RatePlan): { rps: number; atS: number } {
  let peak = { rps: 0, atS: 0 };
  for (const seg of open.segments) {
    if (seg.fromRate > peak.rps) peak = { rps: seg.fromRate, atS: seg.startMs / 1000 };
    if (seg.toRate > peak.rps) peak = { rps: seg.toRate, atS: (seg.startMs + seg.durationMs) / 1000 };
  }
  return peak;
}

function curveOf(open: RatePlan, durationMs: number, sim: Simulated, totalWeight: number): CurvePoint[] {
  const durationS = durationMs / 1000;
  return curvePoints(durationS, Math.max(durationS / CURVE_POINTS, 0.1), (tS) => {
    const rps = planRateAt(open, Math.min(tS * 1000, durationMs - 1e-6));
    const byJourney: Record<string, number> = {};
    for (const u of sim.used) byJourney[u.journey.name] = round((rps * u.journey.weight) / totalWeight, 2);
    return { tS: round(tS, 2), clock: '', cityRps: round(rps / sim.scale, 1), scaledRps: round(rps, 2), byJourney };
  });
}
