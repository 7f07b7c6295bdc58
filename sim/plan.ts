import type { ExecutorConfig } from '../src/engine/executors/index.js';
import { createRandom } from '../src/engine/random.js';
import type { PriorSessions } from './city/prior.js';
import type { City, CityJourney as Journey } from './city/schema.js';
import type { StaffCredentials } from './city/staff.js';
import { faultClock, parseClockTime, type SimClock } from './clock.js';
import { createIdentityGenerator } from './identity/generator.js';
import type { CityJourneyOptions } from './journeys/options.js';
import { RESIDENTS_PER_SITE, tablesPerSite } from './people.js';
import { clockedModel } from './plan/clocked.js';
import { explicitLoadModel } from './plan/explicit-load.js';
import { clockOf } from './plan/resolve.js';
import type { CityModel, CityPlan } from './plan/types.js';

export { resolveModel, resolvePeople, resolveRetry } from './plan/resolve.js';
export type { CityModel, CityPlan, CurvePoint, StreamPlan } from './plan/types.js';

/**
 * A city scenario turned into what will run (sim/plan/types.ts says what each part is): the
 * clock, the population, one arrival stream per built-in journey (city-wide and scaled), the load
 * curve the engine follows and the mix that labels its arrivals. `cityModel` needs no seed;
 * `cityPlan` adds what the seed decides (the identities), and is what `codestorm plan` prints.
 *
 * On the city's clock (plan/clocked.ts), the streams make the load; with an explicit `load`
 * (plan/explicit-load.ts), the load is the scenario's and the streams share it by weight.
 */
export function cityModel(city: City, journeys: readonly Journey[], load?: ExecutorConfig): CityModel {
  if (load !== undefined) return explicitLoadModel(city, journeys, load);
  if (city.clock === undefined) throw new Error('a city scenario needs a clock or a load');
  return clockedModel(city, journeys, city.clock);
}

const SAMPLE_SIZE = 5;

/** The printable plan for one seed: the model plus a sample of the residents it will draw on. */
export function cityPlan(model: CityModel, seed: number): CityPlan {
  const { load: _load, mix: _mix, ...printable } = model;
  const people = createIdentityGenerator({ seed, population: model.population.residents });
  const random = createRandom(seed).fork('plan-sample');
  const sample = Array.from({ length: Math.min(SAMPLE_SIZE, model.population.residents) }, () => {
    const who = people.identity(random.int(model.population.residents));
    return { index: who.index, idNumber: who.idNumber, name: who.name, district: who.districtName, birthDate: who.birthDate, sex: who.sex, compound: who.compound };
  });
  return { seed, ...printable, sample };
}

/** The scenario's simulated clock, if it has one. */
export function simClockOf(scenario: { readonly city?: City | undefined }): SimClock | undefined {
  const c = scenario.city?.clock;
  if (c === undefined) return undefined;
  return { start: clockOf(c.start, 'clock.start'), end: clockOf(c.end, 'clock.end'), compress: c.compress };
}

/** The scenario's clock as its fault timeline takes it: real seconds at a time of day. */
export function faultClockOf(scenario: { readonly city?: City | undefined }): ReturnType<typeof faultClock> | undefined {
  const clock = simClockOf(scenario);
  return clock === undefined ? undefined : faultClock(clock);
}

/** What the engine's journey module needs, for one seed (and the sessions and staff credentials the stack prepared). */
export function cityJourneyOptions(
  model: CityModel,
  seed: number,
  prepared?: { readonly sessions: PriorSessions; readonly staff: StaffCredentials },
): CityJourneyOptions {
  const startS = model.clock === null ? undefined : parseClockTime(model.clock.start);
  return {
    ...(prepared === undefined ? {} : { priorSessions: prepared.sessions, staff: prepared.staff }),
    ...(startS === undefined || model.clock === null ? {} : { clock: { startS, compress: model.clock.compress } }),
    seed,
    residents: model.population.residents,
    people: model.people,
    residentsPerSite: RESIDENTS_PER_SITE,
    tablesPerSite: tablesPerSite(model.model.round.tables),
    poolSize: model.model.round.poolSize,
    journeys: model.streams.map((s) => ({ name: s.journey, use: s.use, weight: s.weight, retry: s.retry })),
  };
}
