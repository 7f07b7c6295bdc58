import { curve, type CurveConfig } from '../src/engine/executors/curve.js';
import { planOf, totalDurationOf, type ExecutorConfig } from '../src/engine/executors/index.js';
import { planExpected, planRateAt } from '../src/engine/executors/rate-plan.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../src/engine/executors/fields.js';
import { parseDuration } from '../src/engine/executors/duration.js';
import type { MixEntry } from '../src/engine/journey.js';
import { createRandom } from '../src/engine/random.js';
import type { City, CityJourney as Journey, RetryInput } from './city/schema.js';
import { AGE_MIX, CITY_POPULATION, DISTRICTS, allocate } from './city/districts.js';
import { MORNING, morningStreams, type MorningModel, type Stream, type StreamName } from './city/morning.js';
import { priorModel, type PriorModel, type PriorSessions } from './city/prior.js';
import type { StaffCredentials } from './city/staff.js';
import { faultClock, formatClockTime, parseClockTime, realDurationS, simTimeAt, type SimClock } from './clock.js';
import { createIdentityGenerator } from './identity/generator.js';
import type { CityJourneyOptions } from './journeys/index.js';
import { PEOPLE, RESIDENTS_PER_SITE, RETRY_DEFAULTS, tablesPerSite, type People, type RetryPolicy } from './people.js';

/**
 * A city scenario turned into what will run: the clock, the population, one arrival stream per
 * built-in journey (city-wide and scaled), the load curve the engine follows and the mix that
 * labels its arrivals. `cityModel` needs no seed; `cityPlan` adds what the seed decides (the
 * identities), and is what `codestorm plan` prints: plain data, no timestamps, so the same
 * scenario and seed give the same bytes.
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

const DEFAULT_RESOLUTION_MS = 100;
const CURVE_POINTS = 120;
const SAMPLE_SIZE = 5;

/** Throws (a plain Error naming the field) on a model time that is not a time of day; the
 *  schema has checked them already, so this is a guard, not a user-facing path. */
function clockOf(text: string, field: string): number {
  const s = parseClockTime(text);
  if (s === undefined) throw new Error(`city.model.${field}: not a time of day: ${text}`);
  return s;
}

export function resolveModel(overrides: City['model']): MorningModel {
  return {
    ...MORNING,
    ...stripUndefined(overrides ?? {}),
    commute: { ...MORNING.commute, ...stripUndefined(overrides?.commute ?? {}) },
    round: { ...MORNING.round, ...stripUndefined(overrides?.round ?? {}) },
  } as MorningModel;
}

export function resolvePeople(overrides: City['people']): People {
  return {
    patienceMs: overrides?.patience === undefined ? PEOPLE.patienceMs : parseDuration(overrides.patience, 'city.people.patience'),
    reinstall: {
      young: overrides?.reinstall?.young ?? PEOPLE.reinstall.young,
      adult: overrides?.reinstall?.adult ?? PEOPLE.reinstall.adult,
      elderly: overrides?.reinstall?.elderly ?? PEOPLE.reinstall.elderly,
    },
    scanFailure: overrides?.scanFailure ?? PEOPLE.scanFailure,
    hospitalShare: overrides?.hospitalShare ?? PEOPLE.hospitalShare,
    positivity: overrides?.positivity ?? PEOPLE.positivity,
    comeBack: {
      times: overrides?.comeBack?.times ?? PEOPLE.comeBack.times,
      afterMs: overrides?.comeBack?.after === undefined ? PEOPLE.comeBack.afterMs : parseDuration(overrides.comeBack.after, 'city.people.comeBack.after'),
    },
  };
}

export function resolveRetry(...layers: readonly (RetryInput | undefined)[]): RetryPolicy {
  let out: RetryPolicy = RETRY_DEFAULTS;
  for (const layer of layers) {
    if (layer === undefined) continue;
    out = {
      policy: layer.policy ?? out.policy,
      maxAttempts: layer.maxAttempts ?? out.maxAttempts,
      tapMs: layer.tap === undefined ? out.tapMs : parseDuration(layer.tap, 'retry.tap'),
      baseMs: layer.base === undefined ? out.baseMs : parseDuration(layer.base, 'retry.base'),
      capMs: layer.cap === undefined ? out.capMs : parseDuration(layer.cap, 'retry.cap'),
      budget: layer.budget ?? out.budget,
    };
  }
  return out;
}

/** Who is simulated: the scaled population, the resolved model, and each built-in journey with its stream. */
function peopleOf(city: City, journeys: readonly Journey[]) {
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

export function cityModel(city: City, journeys: readonly Journey[], load?: ExecutorConfig): CityModel {
  if (load !== undefined || city.clock === undefined) {
    if (load === undefined) throw new Error('a city scenario needs a clock or a load');
    return explicitLoadModel(city, journeys, load);
  }
  const clock: SimClock = { start: clockOf(city.clock.start, 'clock.start'), end: clockOf(city.clock.end, 'clock.end'), compress: city.clock.compress };
  const durationS = realDurationS(clock);
  const { scale, residents, model, used, prior } = peopleOf(city, journeys);
  const people = resolvePeople(city.people);
  const realRate = (stream: Stream, weight: number) => (tS: number) => stream.rate(simTimeAt(clock, tS)) * weight * scale * clock.compress;
  const resolutionMs = city.resolution === undefined ? DEFAULT_RESOLUTION_MS : parseDuration(city.resolution, 'city.resolution');
  const durationMs = durationS * 1000;
  const curveOf = (rate: (tS: number) => number): CurveConfig =>
    curve.validate({ executor: 'curve', rate, duration: durationMs, resolution: resolutionMs, maxInFlight: city.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, spacing: city.spacing ?? 'poisson' }, 'city');
  const rates = used.map(({ journey, stream }) => realRate(stream, journey.weight));
  const curveLoad = curveOf((tS) => rates.reduce((sum, r) => sum + r(tS), 0));
  const mix = used.map(({ journey }, i) => ({ journey: journey.name, plan: curve.plan(curveOf(rates[i]!)) }));

  // Peaks are read on the engine's own grid, so that they agree with what is sent.
  const gridS = Array.from({ length: Math.floor(durationMs / resolutionMs) + 1 }, (_, k) => Math.min(durationS, (k * resolutionMs) / 1000));
  const peakOf = (rate: (tS: number) => number) => {
    let best = { rps: 0, atS: 0 };
    for (const t of gridS) {
      const r = rate(t);
      if (r > best.rps) best = { rps: r, atS: t };
    }
    return best;
  };
  const streamPlans: StreamPlan[] = used.map(({ journey, stream }, i) => {
    const peak = peakOf(rates[i]!);
    const cityArrivals = stream.arrivals(clock.start, clock.end) * journey.weight;
    return {
      journey: journey.name,
      use: stream.name,
      what: stream.what,
      weight: journey.weight,
      retry: resolveRetry(city.retry, journey.retry),
      city: { arrivals: round(cityArrivals, 0), peakRps: round(peak.rps / (scale * clock.compress), 1), peakAt: formatClockTime(simTimeAt(clock, peak.atS)) },
      scaled: { arrivals: round(cityArrivals * scale, 1), peakRps: round(peak.rps, 2), peakAtS: round(peak.atS, 1) },
    };
  });
  const totalRate = (tS: number) => rates.reduce((sum, r) => sum + r(tS), 0);
  const totalPeak = peakOf(totalRate);
  const totalCity = used.reduce((sum, { journey, stream }) => sum + stream.arrivals(clock.start, clock.end) * journey.weight, 0);

  const step = Math.max(durationS / CURVE_POINTS, resolutionMs / 1000);
  const curvePoints: CurvePoint[] = [];
  for (let k = 0; k * step <= durationS + 1e-9; k++) {
    const tS = Math.min(durationS, k * step);
    const byJourney: Record<string, number> = {};
    used.forEach(({ journey }, i) => (byJourney[journey.name] = round(rates[i]!(tS), 2)));
    const scaledRps = totalRate(tS);
    curvePoints.push({ tS: round(tS, 2), clock: formatClockTime(simTimeAt(clock, tS)), cityRps: round(scaledRps / (scale * clock.compress), 1), scaledRps: round(scaledRps, 2), byJourney });
  }

  return {
    clock: { start: formatClockTime(clock.start), end: formatClockTime(clock.end), compress: clock.compress, realDurationS: round(durationS, 3) },
    population: populationOf(residents, scale, model),
    model,
    people,
    prior,
    streams: streamPlans,
    totals: {
      city: { arrivals: round(totalCity, 0), peakRps: round(totalPeak.rps / (scale * clock.compress), 1), peakAt: formatClockTime(simTimeAt(clock, totalPeak.atS)) },
      scaled: { arrivals: round(totalCity * scale, 1), peakRps: round(totalPeak.rps, 2), peakAtS: round(totalPeak.atS, 1) },
    },
    curve: curvePoints,
    faults: [],
    load: curveLoad,
    mix,
  };
}

function populationOf(residents: number, scale: number, model: MorningModel): CityModel['population'] {
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

/**
 * The city's people at the rate the scenario's `load` gives (a capacity ramp, say): journeys are
 * picked by weight, and each stream's share of the load is its share of the weights.
 */
function explicitLoadModel(city: City, journeys: readonly Journey[], load: ExecutorConfig): CityModel {
  const { scale, residents, model, used, prior } = peopleOf(city, journeys);
  const totalWeight = used.reduce((sum, u) => sum + u.journey.weight, 0);
  const durationMs = totalDurationOf(load);
  const open = load.executor === 'constant-vus' || load.executor === 'ramping-vus' ? undefined : planOf(load);
  const expected = open === undefined ? 0 : planExpected(open, 0, durationMs);
  let peak = { rps: 0, atS: 0 };
  if (open !== undefined) {
    for (const seg of open.segments) {
      if (seg.fromRate > peak.rps) peak = { rps: seg.fromRate, atS: seg.startMs / 1000 };
      if (seg.toRate > peak.rps) peak = { rps: seg.toRate, atS: (seg.startMs + seg.durationMs) / 1000 };
    }
  }
  const durationS = durationMs / 1000;
  const step = Math.max(durationS / CURVE_POINTS, 0.1);
  const curvePoints: CurvePoint[] = [];
  if (open !== undefined) {
    for (let k = 0; k * step <= durationS + 1e-9; k++) {
      const tS = Math.min(durationS, k * step);
      const rps = planRateAt(open, Math.min(tS * 1000, durationMs - 1e-6));
      const byJourney: Record<string, number> = {};
      for (const u of used) byJourney[u.journey.name] = round((rps * u.journey.weight) / totalWeight, 2);
      curvePoints.push({ tS: round(tS, 2), clock: '', cityRps: round(rps / scale, 1), scaledRps: round(rps, 2), byJourney });
    }
  }
  const share = (w: number) => (totalWeight > 0 ? w / totalWeight : 0);
  return {
    clock: null,
    population: populationOf(residents, scale, model),
    model,
    people: resolvePeople(city.people),
    prior,
    streams: used.map(({ journey, stream }) => ({
      journey: journey.name,
      use: stream.name,
      what: stream.what,
      weight: journey.weight,
      retry: resolveRetry(city.retry, journey.retry),
      city: null,
      scaled: { arrivals: round(expected * share(journey.weight), 1), peakRps: round(peak.rps * share(journey.weight), 2), peakAtS: round(peak.atS, 1) },
    })),
    totals: { city: null, scaled: { arrivals: round(expected, 1), peakRps: round(peak.rps, 2), peakAtS: round(peak.atS, 1) } },
    curve: curvePoints,
    faults: [],
    load,
    mix: undefined,
  };
}

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

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
