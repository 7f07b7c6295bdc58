import type { ExecutorConfig } from '../engine/executors/index.js';
import { invalidInput } from '../errors.js';
import type { LoadedScenario } from '../scenario/load.js';
import { k6Duration, rampOf, type K6Ramp, type K6Stage } from './stages.js';

/**
 * A scenario's load as k6 `options.scenarios`. An explicit executor maps one to one (rates made
 * whole per time unit, as k6 wants them, by lengthening the unit); a city's curve becomes one
 * ramping-arrival-rate scenario per stream, each running its journey (`exec`), its stages
 * within 1 % of the plan's arrivals (stages.ts). `maxInFlight` is the whole test's cap: for a
 * city it is shared among the streams in proportion to their peaks, so their maxVUs add up to it.
 * Rates and VUs are the whole test's: k6 splits them among runners by execution segment.
 */
export interface K6Scenario {
  readonly executor: string;
  readonly exec: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

export interface K6Load {
  readonly scenarios: Readonly<Record<string, K6Scenario>>;
  /** The exported functions the scenarios name, and the journey each runs (undefined: picked by weight). */
  readonly execs: readonly { readonly exec: string; readonly journey: string | undefined }[];
  /** Per stream, for the plan check: what the stages make and what the plan expects. */
  readonly ramps: readonly { readonly journey: string; readonly ramp: K6Ramp }[];
  /** VUs the script may have in all. */
  readonly vus: number;
}

/** The exported function that picks a journey by weight. */
export const PICK_EXEC = 'journey';

export function k6Load(loaded: LoadedScenario, tolerance = 0.005): K6Load {
  const city = loaded.city;
  if (city !== undefined && city.mix !== undefined) {
    const maxInFlight = 'maxInFlight' in loaded.load ? loaded.load.maxInFlight : 1_000;
    // A stream with no arrivals (a round that has not started, labs with nothing to report) gets no k6 scenario.
    const all = city.mix.map((m) => {
      const planned = city.streams.find((s) => s.journey === m.journey)?.scaled.arrivals ?? m.plan.total;
      return { journey: m.journey, ramp: rampOf(m.plan, tolerance, planned) };
    });
    const ramps = all.filter((r) => r.ramp.planned > 0);
    const peaks = ramps.map((r) => r.ramp.peakRps);
    const maxVUs = share(maxInFlight, peaks);
    const scenarios: Record<string, K6Scenario> = {};
    const execs = ramps.map((r, i) => {
      const exec = execName(r.journey);
      scenarios[exec] = {
        executor: 'ramping-arrival-rate',
        exec,
        startRate: r.ramp.startRate,
        timeUnit: r.ramp.timeUnit,
        preAllocatedVUs: preAllocated(r.ramp.peakRps, maxVUs[i]!),
        maxVUs: maxVUs[i]!,
        stages: r.ramp.stages,
        ...gracefulStop(loaded.load),
        tags: { journey: r.journey },
      };
      return { exec, journey: r.journey };
    });
    return { scenarios, execs, ramps: all, vus: maxInFlight };
  }
  const scenario = explicit(loaded.load);
  return { scenarios: { [PICK_EXEC]: { ...scenario.k6, ...gracefulStop(loaded.load) } }, execs: [{ exec: PICK_EXEC, journey: undefined }], ramps: [], vus: scenario.vus };
}

/** k6's own field, when the scenario sets one (k6's default, 30 s, is near ours otherwise). */
function gracefulStop(load: ExecutorConfig): { gracefulStop?: string } {
  return load.gracefulStop === undefined ? {} : { gracefulStop: k6Duration(load.gracefulStop) };
}

/** A journey name as an exported function's name. */
export function execName(journey: string): string {
  const safe = journey.replace(/[^A-Za-z0-9_$]/g, '_');
  return `journey_${safe}`;
}

function explicit(load: ExecutorConfig): { k6: K6Scenario; vus: number } {
  const base = { exec: PICK_EXEC, tags: {} };
  switch (load.executor) {
    case 'constant-arrival-rate': {
      const { unit, scale } = wholeRates([load.rate], load.timeUnit);
      return {
        vus: load.maxInFlight,
        k6: {
          executor: load.executor,
          ...base,
          rate: Math.round(load.rate * scale),
          timeUnit: unit,
          duration: k6Duration(load.duration),
          preAllocatedVUs: preAllocated((load.rate * 1000) / load.timeUnit, load.maxInFlight),
          maxVUs: load.maxInFlight,
        },
      };
    }
    case 'ramping-arrival-rate': {
      const { unit, scale } = wholeRates([load.startRate, ...load.stages.map((s) => s.target)], load.timeUnit);
      const peak = Math.max(load.startRate, ...load.stages.map((s) => s.target));
      const stages: K6Stage[] = load.stages.map((s) => ({ duration: k6Duration(s.duration), target: Math.round(s.target * scale) }));
      return {
        vus: load.maxInFlight,
        k6: {
          executor: load.executor,
          ...base,
          startRate: Math.round(load.startRate * scale),
          timeUnit: unit,
          preAllocatedVUs: preAllocated((peak * 1000) / load.timeUnit, load.maxInFlight),
          maxVUs: load.maxInFlight,
          stages,
        },
      };
    }
    case 'constant-vus':
      return { vus: load.vus, k6: { executor: load.executor, ...base, vus: load.vus, duration: k6Duration(load.duration) } };
    case 'ramping-vus': {
      const peak = Math.max(load.startVUs, ...load.stages.map((s) => s.target));
      return {
        vus: peak,
        k6: { executor: load.executor, ...base, startVUs: load.startVUs, stages: load.stages.map((s) => ({ duration: k6Duration(s.duration), target: s.target })) },
      };
    }
    case 'curve':
      throw invalidInput('K6_LOAD_UNSUPPORTED', 'load: a curve executor has a rate function, which k6 options cannot hold');
  }
}

/** The shortest time unit (the scenario's, ×10, ×100, …) in which every rate is a whole number. */
function wholeRates(rates: readonly number[], timeUnitMs: number): { unit: string; scale: number } {
  for (let scale = 1; scale <= 1e6; scale *= 10) {
    if (rates.every((r) => Math.abs(r * scale - Math.round(r * scale)) < 1e-9 * Math.max(1, r * scale))) return { unit: k6Duration(timeUnitMs * scale), scale };
  }
  return { unit: k6Duration(timeUnitMs * 1e6), scale: 1e6 };
}

/** VUs allocated before the start: a second's worth of the peak rate, at least one, at most maxVUs. */
function preAllocated(peakRps: number, maxVUs: number): number {
  return Math.max(1, Math.min(maxVUs, Math.ceil(peakRps)));
}

/** `total` shared in proportion to `weights` (largest remainders), each at least 1. */
function share(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = Math.max(0, total - weights.length);
  const raw = weights.map((w) => (sum > 0 ? (spare * w) / sum : spare / weights.length));
  const out = raw.map((r) => 1 + Math.floor(r));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left--;
  }
  return out;
}
