import { z } from 'zod';
import { STREAMS } from '../../sim/city/morning.js';
import { CLOCK_EXPECTED, parseClockTime } from '../../sim/clock.js';
import { DURATION_EXPECTED, readDuration } from '../engine/executors/duration.js';
import { faultSchema } from '../faults/schema.js';

/**
 * The scenario file, as far as the load engine reads it. The zod schema is the single source:
 * types come from it, and (from issue #4 on) scenarios/schema.json is generated from it.
 * Objects are strict: an unknown key is an error, not ignored. Executor-specific `load` fields
 * are checked by the executor named in `load.executor` (src/engine/executors/), which knows
 * its own rules; here `load` only has to name one.
 */
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** k6-style duration: "500ms", "10s", "1m30s", "2h", or a number of milliseconds (the same
 *  grammar as the executors', src/engine/executors/duration.ts). */
export const duration = z.union([z.number(), z.string()]).refine((raw) => typeof readDuration(raw) === 'number', {
  error: DURATION_EXPECTED,
});

const status = z.number().int().min(100).max(599);

export const stepSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'expected letters, digits and _ . : - only (it becomes a metric tag)'),
  request: z.strictObject({
    method: z.enum(HTTP_METHODS).default('GET'),
    url: z.string().min(1),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
  }),
  /** The statuses that count as a passed check; by default any 2xx or 3xx. */
  check: z.strictObject({ status: z.union([status, z.array(status).min(1)]) }).optional(),
  /** Save a field of the JSON response for later steps: { token: "token" } → {{ vars.token }}. */
  save: z.record(z.string(), z.string()).optional(),
  /** Pause after this step, as a person would. */
  think: duration.optional(),
});

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

export const journeySchema = z
  .strictObject({
    name: z.string().min(1).max(64),
    /** Declarative journeys: how often this one is picked. Built-in ones: a multiplier on their stream's rate. */
    weight: z.number().positive().default(1),
    steps: z.array(stepSchema).min(1).optional(),
    /** A built-in journey of the simulator, fed by the stream of the same name (city scenarios). */
    use: z.enum(STREAMS).optional(),
    /** Built-in journeys: this journey's clients' retry policy (default: city.retry). */
    retry: retrySchema.optional(),
  })
  .superRefine((j, ctx) => {
    if ((j.steps === undefined) === (j.use === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'give either steps (a declarative journey) or use (a built-in one), not both or neither' });
    }
    if (j.steps !== undefined && j.retry !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['retry'], message: 'retry applies to built-in (use) journeys only' });
    }
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
  })
  .superRefine((c, ctx) => {
    if (c.clock === undefined) return;
    const start = parseClockTime(c.clock.start);
    const end = parseClockTime(c.clock.end);
    if (start !== undefined && end !== undefined && end <= start) {
      ctx.addIssue({ code: 'custom', path: ['clock', 'end'], message: `expected a time after clock.start (${c.clock.start}), got ${c.clock.end}` });
    }
  });

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(80).regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits and _ . - only (it names the run folder)'),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  target: z.union([z.literal('reference'), z.url({ protocol: /^https?$/, error: 'expected "reference" or an http:// URL' })]),
  // Checked field by field by the executor it names (src/engine/executors/). Either this or city.
  load: z.unknown().optional(),
  /** A simulated city's morning (sim/): the load comes from its curves. Either this or load. */
  city: citySchema.optional(),
  /** What each arrival does: declarative steps, or built-in journeys of a city. Either this or module. */
  journeys: z.array(journeySchema).default([]),
  /**
   * Journeys in code: the path (from this file) of an ES module exporting journeys(options, worker)
   * and, optionally, metrics (custom-metric declarations); as k6 runs a script. Either this or journeys.
   */
  module: z.string().min(1).optional(),
  // Checked expression by expression by src/engine/thresholds.ts.
  thresholds: z.unknown().optional(),
  // What "failing" means for the analysis, in threshold syntax over a sliding window (src/analyze/slo.ts).
  slo: z.unknown().optional(),
  /** What to break, when, and for how long (src/faults/): each one undone when it ends. */
  faults: z.array(faultSchema).optional(),
  /** A Prometheus endpoint of the target to scrape every second into server.ndjson (the reference stack's is scraped anyway). */
  scrape: z.url({ protocol: /^https?$/, error: 'expected an http:// URL of a Prometheus /metrics endpoint' }).optional(),
}).superRefine((s, ctx) => {
  if (s.load === undefined && s.city === undefined) {
    ctx.addIssue({ code: 'custom', path: [], message: 'give load (an executor), city (a simulated morning), or both (a city\'s people at the rate load gives)' });
  }
  if (s.module === undefined && s.journeys.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['journeys'], message: 'expected at least one journey (or a module of journeys in code)' });
  }
  if (s.module !== undefined && s.journeys.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['module'], message: 'give journeys or module, not both: the module\'s journeys() are the journeys' });
  }
  if (s.module !== undefined && s.city !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['module'], message: 'a city scenario runs the simulator\'s journeys; module is for other targets' });
  }
  if (s.city !== undefined && (s.load === undefined) === (s.city.clock === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['city', 'clock'],
      message: s.load === undefined ? 'missing: a city scenario without load needs a clock to make its curves' : 'the rate comes from load: leave city.clock out',
    });
  }
  s.journeys.forEach((j, i) => {
    if (s.city !== undefined && j.use === undefined) {
      ctx.addIssue({ code: 'custom', path: ['journeys', i, 'use'], message: 'a city scenario runs built-in journeys: expected use: one of ' + STREAMS.join(', ') });
    }
    if (s.city === undefined && j.use !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['journeys', i, 'use'], message: 'built-in journeys need a city section to feed them' });
    }
  });
  s.faults?.forEach((f, i) => {
    if (s.city?.clock === undefined && !f.at.startsWith('+')) {
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'at'], message: `a time of day needs a city clock; give an offset such as "+30s"` });
    }
    if (f.kind === 'db-stall' && f.mode === 'lock' && f.table === undefined) {
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'table'], message: 'missing: a lock needs the table to lock' });
    }
    if (f.kind === 'cache-corruption' && f.mode === 'stale' && f.find === undefined) {
      ctx.addIssue({ code: 'custom', path: ['faults', i, 'find'], message: 'missing: stale needs find (and replace): what the old value looks like' });
    }
  });
  const names = (s.faults ?? []).map((f, i) => f.name ?? `${f.kind}-${i}`);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['faults', i, 'name'], message: `"${n}" names two faults` });
  });
  const used = s.journeys.flatMap((j) => (j.use === undefined ? [] : [j.use]));
  used.forEach((u, i) => {
    if (used.indexOf(u) !== i) ctx.addIssue({ code: 'custom', path: ['journeys'], message: `use: ${u} appears twice; each stream feeds one journey` });
  });
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Journey = z.output<typeof journeySchema>;
export type Step = z.output<typeof stepSchema>;
export type City = z.output<typeof citySchema>;
export type RetryInput = z.output<typeof retrySchema>;
