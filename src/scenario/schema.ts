import { z } from 'zod';
import { DURATION_EXPECTED, readDuration } from '../engine/executors/duration.js';

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

export const journeySchema = z.strictObject({
  name: z.string().min(1).max(64),
  weight: z.number().positive().default(1),
  steps: z.array(stepSchema).min(1),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(80).regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits and _ . - only (it names the run folder)'),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  target: z.union([z.literal('reference'), z.url({ protocol: /^https?$/, error: 'expected "reference" or an http:// URL' })]),
  // Checked field by field by the executor it names (src/engine/executors/).
  load: z.unknown(),
  journeys: z.array(journeySchema).min(1),
  // Checked expression by expression by src/engine/thresholds.ts.
  thresholds: z.unknown().optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Journey = z.output<typeof journeySchema>;
export type Step = z.output<typeof stepSchema>;
