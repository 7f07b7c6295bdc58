import { parseDuration } from '../../src/engine/executors/duration.js';
import type { City, CityJourney as Journey } from '../city/schema.js';
import { AGE_MIX, CITY_POPULATION, DISTRICTS, allocate } from '../city/districts.js';
import { morningStreams, type MorningModel, type Stream, type StreamName } from '../city/morning.js';
import { priorModel } from '../city/prior.js';
import { createIdentityGenerator } from '../identity/generator.js';
import { RESIDENTS_PER_SITE, tablesPerSite } from '../people.js';
import { clockOf, resolveModel } from './resolve.js';
import type { CityModel } from './types.js';

/** Who is simulated: the scaled population, the resolved model, and each built-in journey with its stream. */
export interface Simulated {
  readonly scale: number;
  readonly residents: number;
  readonly model: MorningModel;
  readonly used: readonly { readonly journey: Journey; readonly stream: Stream }[];
  readonly prior: CityModel['prior'];
}

export function simulated(city: City, journeys: readonly Journey[]): Simulated {
  const scale = city.population.scale;
  const residents = Math.max(1, Math.round(CITY_POPULATION * scale));
  const model = resolveModel(city.model);
  const streams = new Map<StreamName, Stream>(morningStreams(model, clockOf).map((s) => [s.name, s]));
  const used = journeys.flatMap((j) => (j.use === undefined ? [] : [{ journey: j, stream: streams.get(j.use)! }]));
  const startSimS = city.clock === undefined ? undefined : clockOf(city.clock.start, 'clock.start');
  const prior = priorModel(
    {
      sessions: city.prior?.sessions,
      cache: city.prior?.cache,
      cacheWindowS: city.prior?.cacheWindow === undefined ? undefined : parseDuration(city.prior.cacheWindow, 'city.prior.cacheWindow') / 1000,
    },
    [...streams.values()],
    startSimS,
  );
  return { scale, residents, model, used, prior: { ...prior, sessionResidents: Math.round(prior.sessions * residents), cachedResidents: Math.round(prior.cache * residents) } };
}

/** The population as printed: districts and ages allocated over the residents, and the sites and tables that sample them. */
export function populationOf({ residents, scale, model }: Simulated): CityModel['population'] {
  const generator = createIdentityGenerator({ seed: 0, population: residents });
  const sites = Math.ceil(residents / RESIDENTS_PER_SITE);
  const districtResidents = allocate(residents, DISTRICTS.map((d) => d.population));
  const ageResidents = allocate(residents, AGE_MIX.map((b) => b.share));
  return {
    city: CITY_POPULATION,
    scale,
    residents,
    districts: DISTRICTS.map((d, i) => ({ code: d.code, name: d.name, city: d.population, residents: districtResidents[i] ?? 0, source: d.source })),
    ageMix: AGE_MIX.map((b, i) => ({ ages: `${b.minAge}-${b.maxAge}`, share: b.share, residents: ageResidents[i] ?? 0 })),
    compounds: generator.compoundCount,
    sites,
    tables: sites * tablesPerSite(model.round.tables),
  };
}
