import { curve, type CurveConfig } from '../../src/engine/executors/curve.js';
import { parseDuration } from '../../src/engine/executors/duration.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../../src/engine/executors/fields.js';
import type { Stream } from '../city/morning.js';
import type { City, CityJourney as Journey } from '../city/schema.js';
import { formatClockTime, realDurationS, simTimeAt, type SimClock } from '../clock.js';
import { CURVE_POINTS, curvePoints, round } from './curve-points.js';
import { populationOf, simulated, type Simulated } from './population.js';
import { clockOf, resolvePeople, resolveRetry } from './resolve.js';
import type { CityModel, CurvePoint, StreamPlan } from './types.js';

/**
 * A city on its clock: each journey's stream at its real rate (the city's × weight × scale ×
 * compress), one curve over their sum for the engine, and a mix that labels its arrivals by
 * journey. Peaks are read on the engine's own grid, so that they agree with what is sent.
 */
const DEFAULT_RESOLUTION_MS = 100;

type Rate = (tS: number) => number;

interface Peak {
  readonly rps: number;
  readonly atS: number;
}

/** What the parts of a clocked model share. */
interface Clocked {
  readonly clock: SimClock;
  readonly durationS: number;
  readonly resolutionMs: number;
  readonly sim: Simulated;
  /** Real arrivals per real second, by journey, and in all. */
  readonly rates: readonly Rate[];
  readonly total: Rate;
}

export function clockedModel(city: City, journeys: readonly Journey[], cityClock: NonNullable<City['clock']>): CityModel {
  const c = clockedOf(city, journeys, cityClock);
  const { clock, sim, rates } = c;
  const curveOf = (rate: Rate): CurveConfig =>
    curve.validate(
      {
        executor: 'curve',
        rate,
        duration: c.durationS * 1000,
        resolution: c.resolutionMs,
        maxInFlight: city.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
        spacing: city.spacing ?? 'poisson',
        gracefulStop: city.gracefulStop,
      },
      'city',
    );
  const grid = gridOf(c);
  const arrivals = sim.used.map(({ journey, stream }) => stream.arrivals(clock.start, clock.end) * journey.weight);
  return {
    clock: { start: formatClockTime(clock.start), end: formatClockTime(clock.end), compress: clock.compress, realDurationS: round(c.durationS, 3) },
    population: populationOf(sim),
    model: sim.model,
    people: resolvePeople(city.people),
    prior: sim.prior,
    streams: sim.used.map(({ journey, stream }, i): StreamPlan => ({
      journey: journey.name,
      use: stream.name,
      what: stream.what,
      weight: journey.weight,
      retry: resolveRetry(city.retry, journey.retry),
      ...reachOf(c, arrivals[i]!, peakOf(rates[i]!, grid)),
    })),
    totals: reachOf(c, arrivals.reduce((sum, a) => sum + a, 0), peakOf(c.total, grid)),
    curve: curveOfRun(c),
    faults: [],
    load: curveOf(c.total),
    mix: sim.used.map(({ journey }, i) => ({ journey: journey.name, plan: curve.plan(curveOf(rates[i]!)) })),
  };
}

function clockedOf(city: City, journeys: readonly Journey[], cityClock: NonNullable<City['clock']>): Clocked {
  const clock: SimClock = { start: clockOf(cityClock.start, 'clock.start'), end: clockOf(cityClock.end, 'clock.end'), compress: cityClock.compress };
  const sim = simulated(city, journeys);
  const realRate = (stream: Stream, weight: number): Rate => (tS) => stream.rate(simTimeAt(clock, tS)) * weight * sim.scale * clock.compress;
  const rates = sim.used.map(({ journey, stream }) => realRate(stream, journey.weight));
  return {
    clock,
    durationS: realDurationS(clock),
    resolutionMs: city.resolution === undefined ? DEFAULT_RESOLUTION_MS : parseDuration(city.resolution, 'city.resolution'),
    sim,
    rates,
    total: (tS) => rates.reduce((sum, r) => sum + r(tS), 0),
  };
}

/** The engine's grid: every `resolution` of the run, in real seconds. */
function gridOf({ durationS, resolutionMs }: Clocked): number[] {
  return Array.from({ length: Math.floor((durationS * 1000) / resolutionMs) + 1 }, (_, k) => Math.min(durationS, (k * resolutionMs) / 1000));
}

function peakOf(rate: Rate, grid: readonly number[]): Peak {
  let best = { rps: 0, atS: 0 };
  for (const t of grid) {
    const r = rate(t);
    if (r > best.rps) best = { rps: r, atS: t };
  }
  return best;
}

/** Arrivals and the peak, for the whole city on its clock and as sent. */
function reachOf({ clock, sim }: Clocked, cityArrivals: number, peak: Peak): Pick<StreamPlan, 'city' | 'scaled'> {
  return {
    city: { arrivals: round(cityArrivals, 0), peakRps: round(peak.rps / (sim.scale * clock.compress), 1), peakAt: formatClockTime(simTimeAt(clock, peak.atS)) },
    scaled: { arrivals: round(cityArrivals * sim.scale, 1), peakRps: round(peak.rps, 2), peakAtS: round(peak.atS, 1) },
  };
}

function curveOfRun(c: Clocked): CurvePoint[] {
  const { clock, sim, rates } = c;
  return curvePoints(c.durationS, Math.max(c.durationS / CURVE_POINTS, c.resolutionMs / 1000), (tS) => {
    const byJourney: Record<string, number> = {};
    sim.used.forEach(({ journey }, i) => (byJourney[journey.name] = round(rates[i]!(tS), 2)));
    const scaledRps = c.total(tS);
    return { tS: round(tS, 2), clock: formatClockTime(simTimeAt(clock, tS)), cityRps: round(scaledRps / (sim.scale * clock.compress), 1), scaledRps: round(scaledRps, 2), byJourney };
  });
}
