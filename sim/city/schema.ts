import { z } from 'zod';
import { duration } from '../../src/engine/step-schema.js';
import { CLOCK_EXPECTED, parseClockTime } from '../clock.js';
import type { StreamName } from './morning.js';

/**
 * A scenario's `city` section and the clients' retry policy, as the simulator reads them (the
 * scenario schema, src/scenario/schema.ts, takes them from here): the zod schema is the single
 * source, and the types come from it.
 */
const share = z.number().min(0).max(1);
const clockTime = z.string().refine((t) => parseClockTime(t) !== undefined, { error: CLOCK_EXPECTED });

/** A client's retry policy: `naive` taps refresh as soon as the person can, `backoff` waits
 *  (capped, jittered). Every field is optional; the defaults are sim/people.ts's RETRY_DEFAULTS. */
export const retrySchema = z.strictObject({
  policy: z.enum(['naive', 'backoff']).optional(),
  /** naive: how long a person takes to see the error or the spinner give up and tap again (on average; 0.5–1.5×). */
  tap: duration.optional(),
  /** Attempts in all, the first included. */
  maxAttempts: z.number().int().min(1).max(20).optional(),
  /** backoff: the first wait's ceiling, and the cap. */
  base: duration.optional(),
  cap: duration.optional(),
  /** backoff: retries allowed per first attempt, over the client's life (a retry budget). */
  budget: z.number().min(0).max(10).optional(),
});

/** Overrides of the morning model's parameters (sim/city/morning.ts); every one is optional. */
export const modelSchema = z.strictObject({
  scansPerDay: z.number().min(0).optional(),
  dayStart: clockTime.optional(),
  dayEnd: clockTime.optional(),
  ownChecksPerResident: z.number().min(0).max(100).optional(),
  commute: z.strictObject({ peak: clockTime.optional(), spreadMinutes: z.number().positive().max(600).optional(), share: share.optional() }).optional(),
  round: z
    .strictObject({
      start: clockTime.optional(),
      notifiedShare: share.optional(),
      earlyFrom: clockTime.optional(),
      earlyShare: share.optional(),
      surgeMinutes: z.number().positive().max(600).optional(),
      tables: z.number().int().min(0).optional(),
      perTablePerHour: z.number().min(0).max(10_000).optional(),
      rampMinutes: z.number().min(0).max(600).optional(),
      sitesClose: clockTime.optional(),
      poolSize: z.number().int().min(1).max(50).optional(),
      labDelayHours: z.number().min(0).max(72).optional(),
    })
    .optional(),
});

/** How the people behave (sim/people.ts). */
export const peopleSchema = z.strictObject({
  /** Real time a person watches a spinner before tapping refresh: a request's timeout. */
  patience: duration.optional(),
  /** Of residents whose app gave up, the share whose client state broke and who re-install, by age band. */
  reinstall: z.strictObject({ young: share.optional(), adult: share.optional(), elderly: share.optional() }).optional(),
  /** Share of code scans at a table that fail whatever the server does (glare, a cracked screen). */
  scanFailure: share.optional(),
  /** Share of checkpoint arrivals that are hospitals (the rest: metro gates and shops). */
  hospitalShare: share.optional(),
  /** Share of pooled tubes that come back positive. */
  positivity: share.optional(),
  /** A resident whose code would not show opens it again: up to `times` more opens, each `after` (real time) on average. */
  comeBack: z.strictObject({ times: z.number().int().min(0).max(20).optional(), after: duration.optional() }).optional(),
});

export const citySchema = z
  .strictObject({
    /** The simulated morning and its compression; leave it out when `load` gives the rate instead. */
    clock: z
      .strictObject({
        start: clockTime,
        end: clockTime,
        /** Simulated seconds per real second. */
        compress: z.number().min(1).max(3600),
      })
      .optional(),
    population: z.strictObject({
      /** Share of the city simulated: 0.001 is 12,953 residents. */
      scale: z.number().gt(0).max(1),
    }),
    model: modelSchema.optional(),
    /** The city's state when the clock starts (sim/city/prior.ts): sessions held, codes cached. */
    prior: z
      .strictObject({
        /** Share of residents whose app holds a session (default 0.9, a model choice). */
        sessions: share.optional(),
        /** Share of residents whose code is cached; default derived from the arrivals in cacheWindow before the start. */
        cache: share.optional(),
        /** How long an opened code stays cached: the window the derivation looks back over (default 1h). */
        cacheWindow: duration.optional(),
      })
      .optional(),
    people: peopleSchema.optional(),
    /** The clients' retry policy, unless a journey gives its own. */
    retry: retrySchema.optional(),
    /** Grid on which the curve is sampled for the engine (real time). */
    resolution: duration.optional(),
    /** Most arrivals in flight at once; more are dropped and counted. */
    maxInFlight: z.number().int().min(1).optional(),
    /** People arrive at random (poisson, the default) or evenly spaced. */
    spacing: z.enum(['even', 'poisson']).optional(),
    /**
     * Real time that people still mid-journey when the clock ends are waited for, as k6's
     * gracefulStop; after it they are counted as interrupted. Default: the request timeout and a second.
     */
    gracefulStop: duration.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.clock === undefined) return;
    const start = parseClockTime(c.clock.start);
    const end = parseClockTime(c.clock.end);
    if (start !== undefined && end !== undefined && end <= start) {
      ctx.addIssue({ code: 'custom', path: ['clock', 'end'], message: `expected a time after clock.start (${c.clock.start}), got ${c.clock.end}` });
    }
  });

export type City = z.output<typeof citySchema>;
export type RetryInput = z.output<typeof retrySchema>;

/** What the simulator needs of a scenario's journey: the stream it runs on, its weight, its retry policy. */
export interface CityJourney {
  readonly name: string;
  readonly weight: number;
  readonly use?: StreamName | undefined;
  readonly retry?: RetryInput | undefined;
}
