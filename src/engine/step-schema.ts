import { z } from 'zod';
import { DURATION_EXPECTED, readDuration } from './executors/duration.js';

/**
 * Declarative journeys, as the engine runs them: named steps of HTTP requests, checks, saved
 * fields and think times. The scenario file's journeys are these plus what a simulator adds
 * (src/scenario/schema.ts); the engine reads only the fields below.
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

export type Step = z.output<typeof stepSchema>;

/** What the engine needs of a declarative journey. */
export interface JourneySpec {
  readonly name: string;
  /** How often it is picked among the declarative journeys. */
  readonly weight: number;
  /** Its steps; a journey without them runs from a journey module. */
  readonly steps?: readonly Step[] | undefined;
}
