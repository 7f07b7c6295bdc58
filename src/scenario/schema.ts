import { z } from 'zod';
import { STREAMS } from '../../sim/city/morning.js';
import { citySchema, retrySchema } from '../../sim/city/schema.js';
import { stepSchema } from '../engine/step-schema.js';
import { faultSchema } from '../faults/schema.js';

/**
 * The scenario file, as far as the load engine reads it. The zod schema is the single source:
 * types come from it, and (from issue #4 on) scenarios/schema.json is generated from it.
 * Objects are strict: an unknown key is an error, not ignored. Executor-specific `load` fields
 * are checked by the executor named in `load.executor` (src/engine/executors/), which knows
 * its own rules; here `load` only has to name one.
 */
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
export type { Step } from '../engine/step-schema.js';
export type { City, RetryInput } from '../../sim/city/schema.js';
