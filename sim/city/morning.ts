import { CITY_POPULATION, AGE_MIX } from './districts.js';

/**
 * The testing morning as arrival-rate curves, one per kind of arrival (a stream), in city time:
 * arrivals per simulated second for the whole city, as functions of seconds since midnight.
 *
 * DOMAIN.md gives the scale (12,952,907 residents, > 8 million scans a day, 11,700 tables at
 * about 85 people an hour, pools of 10, first lab results about 1.7 hours after sampling, a
 * round starting at 09:00, failures from the morning commute on). It gives no arrival-time
 * distribution: the shapes below (a Gaussian commute, an exponential surge when the round is
 * announced, a linear ramp of the sampling tables) are this model's own, and every number that
 * no source gave is a named parameter a scenario can override under `city.model`.
 *
 * Each stream's integral is computed in closed form, so a plan can announce how many arrivals
 * the curve will make without sampling it.
 */
export interface MorningModel {
  /** Checkpoint scans in a day, city-wide. Source: municipal Big Data Bureau, "more than 8 million scans a day" (Dec 2021). */
  readonly scansPerDay: number;
  /** Everyday scans and own checks spread evenly over these waking hours. Model choice. */
  readonly dayStart: string;
  readonly dayEnd: string;
  /** Code opens per resident per day that are not a scan: people checking their own colour. Model choice. */
  readonly ownChecksPerResident: number;
  readonly commute: {
    /** When the morning commute's checkpoint scans peak. Model choice (failures began 07:40–08:31, DOMAIN.md). */
    readonly peak: string;
    /** Standard deviation of the commute's Gaussian, in minutes. Model choice. */
    readonly spreadMinutes: number;
    /** Share of working-age residents (15–59) who pass a metro or checkpoint gate in the morning. Model choice. */
    readonly share: number;
  };
  readonly round: {
    /** When the testing round starts and is announced. Source: 4 January 2022, about 09:00. */
    readonly start: string;
    /** Share of residents who open their code when the round is announced. Model choice. */
    readonly notifiedShare: number;
    /**
     * Residents who set out for the sites before the start and open their code while they queue:
     * from `earlyFrom`, rising linearly until the start. Model choice (the seed article: from 08:00
     * the app kept "loading", an hour before the crash).
     */
    readonly earlyFrom: string;
    readonly earlyShare: number;
    /** Time constant of the announcement surge (exponential decay), minutes. Model choice. */
    readonly surgeMinutes: number;
    /** Sampling tables city-wide. Source: Xinhua, about 11,700 (late December 2021 round). */
    readonly tables: number;
    /** People sampled per table per hour. Source: about 85 in the first two hours of the 25 December round. */
    readonly perTablePerHour: number;
    /** Minutes for the tables to reach full speed after the start. Model choice. */
    readonly rampMinutes: number;
    /** Sites close. Source: sites ran 08:00–20:00. */
    readonly sitesClose: string;
    /** Swabs per tube. Source: 10-in-1 pooling. */
    readonly poolSize: number;
    /** Hours from sampling to the first results. Source: about 1.7 hours (Xinhua). */
    readonly labDelayHours: number;
  };
}

export const MORNING: MorningModel = Object.freeze({
  scansPerDay: 8_000_000,
  dayStart: '06:00',
  dayEnd: '22:00',
  ownChecksPerResident: 0.3,
  commute: Object.freeze({ peak: '07:50', spreadMinutes: 35, share: 0.5 }),
  round: Object.freeze({
    start: '09:00',
    notifiedShare: 0.6,
    earlyFrom: '08:00',
    earlyShare: 0.1,
    surgeMinutes: 15,
    tables: 11_700,
    perTablePerHour: 85,
    rampMinutes: 20,
    sitesClose: '20:00',
    poolSize: 10,
    labDelayHours: 1.7,
  }),
});

/** What each kind of arrival does: the built-in journey (sim/journeys/) it runs. */
export const STREAMS = ['resident.open-code', 'checkpoint.verify', 'sampler.table', 'lab.result'] as const;
export type StreamName = (typeof STREAMS)[number];

export interface Stream {
  readonly name: StreamName;
  readonly what: string;
  /** City-wide arrivals per simulated second at `simS` seconds since midnight. */
  rate(simS: number): number;
  /** City-wide arrivals between two simulated times. */
  arrivals(fromSimS: number, toSimS: number): number;
}

/** Parses the model's clock times; `clock` turns "HH:MM" into seconds since midnight or throws. */
export function morningStreams(model: MorningModel, clock: (text: string, field: string) => number): readonly Stream[] {
  const dayStart = clock(model.dayStart, 'dayStart');
  const dayEnd = clock(model.dayEnd, 'dayEnd');
  const everyday = box(dayStart, dayEnd, model.scansPerDay / Math.max(1, dayEnd - dayStart));
  const ownChecks = box(dayStart, dayEnd, (CITY_POPULATION * model.ownChecksPerResident) / Math.max(1, dayEnd - dayStart));
  const workingAge = AGE_MIX[1]?.share ?? 0;
  const commute = gaussian(clock(model.commute.peak, 'commute.peak'), model.commute.spreadMinutes * 60, CITY_POPULATION * workingAge * model.commute.share);
  const start = clock(model.round.start, 'round.start');
  const surge = decay(start, model.round.surgeMinutes * 60, CITY_POPULATION * model.round.notifiedShare);
  const early = rise(clock(model.round.earlyFrom, 'round.earlyFrom'), start, CITY_POPULATION * model.round.earlyShare);
  const close = clock(model.round.sitesClose, 'round.sitesClose');
  const tableRate = (model.round.tables * model.round.perTablePerHour) / 3600;
  const sampling = ramp(start, model.round.rampMinutes * 60, close, tableRate);
  const delay = model.round.labDelayHours * 3600;
  const lab = ramp(start + delay, model.round.rampMinutes * 60, close + delay, tableRate / model.round.poolSize);
  return [
    sum('resident.open-code', 'residents opening their code: own checks, queueing early for the round, and the surge when it is announced', ownChecks, early, surge),
    sum('checkpoint.verify', 'metro, shop and hospital gates verifying a code: everyday scans and the morning commute', everyday, commute),
    sum('sampler.table', 'people sampled at the tables: scan the tube, then the code (or type the ID number)', sampling),
    sum('lab.result', 'pooled tube results posted by the labs', lab),
  ];
}

interface Shape {
  rate(s: number): number;
  integral(a: number, b: number): number;
}

function sum(name: StreamName, what: string, ...shapes: readonly Shape[]): Stream {
  return {
    name,
    what,
    rate: (s) => shapes.reduce((acc, sh) => acc + sh.rate(s), 0),
    arrivals: (a, b) => (b <= a ? 0 : shapes.reduce((acc, sh) => acc + sh.integral(a, b), 0)),
  };
}

/** `level` between from and to, 0 elsewhere. */
function box(from: number, to: number, level: number): Shape {
  return {
    rate: (s) => (s >= from && s < to ? level : 0),
    integral: (a, b) => Math.max(0, Math.min(b, to) - Math.max(a, from)) * level,
  };
}

/** `total` arrivals spread as a normal distribution around `mean`. */
function gaussian(mean: number, sd: number, total: number): Shape {
  return {
    rate: (s) => (total / (sd * Math.sqrt(2 * Math.PI))) * Math.exp(-0.5 * ((s - mean) / sd) ** 2),
    integral: (a, b) => total * (normalCdf((b - mean) / sd) - normalCdf((a - mean) / sd)),
  };
}

/** `total` arrivals from `start` on, decaying exponentially with time constant tau. */
function decay(start: number, tau: number, total: number): Shape {
  const cdf = (s: number) => (s <= start ? 0 : 1 - Math.exp(-(s - start) / tau));
  return {
    rate: (s) => (s < start ? 0 : (total / tau) * Math.exp(-(s - start) / tau)),
    integral: (a, b) => total * (cdf(b) - cdf(a)),
  };
}

/** `total` arrivals between from and to, their rate rising linearly from 0 (a triangle's left half). */
function rise(from: number, to: number, total: number): Shape {
  if (!(to > from) || !(total > 0)) return { rate: () => 0, integral: () => 0 };
  const span = Math.max(1, to - from);
  const peak = (2 * total) / span;
  const upTo = (s: number): number => {
    const x = Math.min(Math.max(s, from), to) - from;
    return (peak * x * x) / (2 * span);
  };
  return {
    rate: (s) => (s < from || s >= to ? 0 : (peak * (s - from)) / span),
    integral: (a, b) => Math.max(0, upTo(b) - upTo(a)),
  };
}

/** 0 before start, rising linearly to `level` over rampS, level until end, 0 after. */
function ramp(start: number, rampS: number, end: number, level: number): Shape {
  const rate = (s: number) => (s < start || s >= end ? 0 : rampS <= 0 ? level : level * Math.min(1, (s - start) / rampS));
  // The antiderivative of the ramp from `start`, before the cut at `end`.
  const upTo = (s: number): number => {
    if (s <= start) return 0;
    const x = s - start;
    if (rampS <= 0 || x >= rampS) return (rampS > 0 ? (level * rampS) / 2 : 0) + level * (x - Math.max(0, rampS));
    return (level * x * x) / (2 * rampS);
  };
  return {
    rate,
    integral: (a, b) => Math.max(0, upTo(Math.min(b, end)) - upTo(Math.min(a, end))),
  };
}

/** Φ(x), from erf (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return sign * (1 - poly * Math.exp(-z * z));
}
