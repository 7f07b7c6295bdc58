import type { ExecutorConfig } from '../../src/engine/executors/index.js';
import type { MixEntry } from '../../src/engine/journey.js';
import type { MorningModel, StreamName } from '../city/morning.js';
import type { PriorModel } from '../city/prior.js';
import type { People, RetryPolicy } from '../people.js';

/**
 * What a city scenario becomes (sim/plan.ts makes it): plain data, no timestamps, so the same
 * scenario and seed give the same bytes when `codestorm plan` prints it.
 *
 * Scaling: a simulated second lasts 1/compress real seconds, and the population is `scale` of
 * the city, so a stream's real rate is its city rate × scale × compress, and the arrivals it
 * makes over the run are its city arrivals × scale.
 */
export interface StreamPlan {
  readonly journey: string;
  readonly use: StreamName;
  readonly what: string;
  /** Multiplier on the stream's rate, from the journey's weight. */
  readonly weight: number;
  readonly retry: RetryPolicy;
  /** Whole city, simulated time: arrivals in the window, the peak per simulated second and when
   *  (null when the scenario's `load` gives the rate rather than the city's clock). */
  readonly city: { readonly arrivals: number; readonly peakRps: number; readonly peakAt: string } | null;
  /** What is sent: arrivals over the run, the peak per real second and when (s from the start). */
  readonly scaled: { readonly arrivals: number; readonly peakRps: number; readonly peakAtS: number };
}

export interface CurvePoint {
  /** Real seconds from the run's start. */
  readonly tS: number;
  readonly clock: string;
  /** Whole city, per simulated second. */
  readonly cityRps: number;
  /** Sent, per real second, in all and by journey. */
  readonly scaledRps: number;
  readonly byJourney: Readonly<Record<string, number>>;
}

export interface CityModel {
  readonly clock: { readonly start: string; readonly end: string; readonly compress: number; readonly realDurationS: number } | null;
  readonly population: {
    readonly city: number;
    readonly scale: number;
    readonly residents: number;
    readonly districts: readonly { readonly code: string; readonly name: string; readonly city: number; readonly residents: number; readonly source: string }[];
    readonly ageMix: readonly { readonly ages: string; readonly share: number; readonly residents: number }[];
    readonly compounds: number;
    readonly sites: number;
    readonly tables: number;
  };
  readonly model: MorningModel;
  readonly people: People;
  /** The city's state when the clock starts: sessions held and codes cached, as shares and residents. */
  readonly prior: PriorModel & { readonly sessionResidents: number; readonly cachedResidents: number };
  readonly streams: readonly StreamPlan[];
  readonly totals: { readonly city: StreamPlan['city']; readonly scaled: StreamPlan['scaled'] };
  readonly curve: readonly CurvePoint[];
  readonly faults: readonly unknown[];
  /** For the engine: not part of the printed plan. No mix: journeys are picked by weight. */
  readonly load: ExecutorConfig;
  readonly mix: readonly MixEntry[] | undefined;
}

export interface CityPlan extends Omit<CityModel, 'load' | 'mix'> {
  readonly seed: number;
  readonly sample: readonly { readonly index: number; readonly idNumber: string; readonly name: string; readonly district: string; readonly birthDate: string; readonly sex: string; readonly compound: number }[];
}
