import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { OUTCOMES } from '../engine/second.js';
import { appendLine, jsonObject, optionalLines, parseWith, type NumberedLine } from './lines.js';

/**
 * steps.ndjson of a `codestorm capacity` run directory: one line per step, written as the step
 * completes, in the order the steps ran (the search's, then the overload steps'), so that the
 * search can be followed while it runs (the dashboard); capacity.json has them all at the end.
 *
 *   {"index":3,"kind":"search","multiple":null,"file":"steps/03-100rps.ndjson","rateRps":100,"ok":true,
 *    "reason":null,"p50Ms":2.1,"p99Ms":9.8,"p99IntervalMs":[9.1,11.2],"errorRate":0,"goodRps":99.8,
 *    "goodputRps":99.8,"byOutcome":{"ok":898},"late":0,"dropped":0}
 *
 *   index     1 for the first step
 *   kind      search (the doubling and the bisection) or overload (past the knee, measured only)
 *   multiple  an overload step's multiple of the capacity; null for a search step
 *   file      the step's metrics.ndjson, relative to the run directory
 *   serverFile the target's metrics scraped each second of the step, in server.ndjson's form
 *             (src/run-files/server.ts), relative to the run directory; absent when nothing was scraped
 *   …         the step's result over its judged part (StepResult in src/analyze/capacity.ts)
 *   tcp       what the kernel counted meanwhile, machine-wide (Linux only; src/run/tcp-counters.ts):
 *             listenOverflows, connections dropped at a full accept queue; synRetrans, SYNs sent again;
 *             passiveOpens, connections accepted (absent in files written before it was counted)
 */
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative().nullable();

const stepLine = z.strictObject({
  index: z.number().int().positive(),
  kind: z.enum(['search', 'overload']),
  multiple: z.number().positive().nullable(),
  file: z.string().min(1),
  serverFile: z.string().min(1).optional(),
  rateRps: z.number().positive(),
  ok: z.boolean(),
  reason: z.string().nullable(),
  p50Ms: ms,
  p99Ms: ms,
  p99IntervalMs: z.tuple([z.number(), z.number().nullable()]).readonly().nullable(),
  errorRate: z.number().min(0).max(1).nullable(),
  goodRps: z.number().nonnegative(),
  goodputRps: z.number().nonnegative(),
  byOutcome: z.partialRecord(z.enum(OUTCOMES), count).readonly(),
  late: count,
  dropped: count,
  tcp: z.strictObject({ listenOverflows: count, synRetrans: count, passiveOpens: count.optional() }).optional(),
});

export type StepLine = z.output<typeof stepLine>;

export const STEPS_FILE = 'steps.ndjson';
// A capacity folder's own file: malformed, the folder is not a run directory codestorm wrote.
const CODE = 'RUN_DIR_INVALID';

/** steps.ndjson, every line checked; none when the file is absent. */
export function readSteps(file: string): StepLine[] {
  return optionalLines(file).map(stepOf);
}

/** One line of steps.ndjson, checked. */
export function stepOf({ text, where }: NumberedLine): StepLine {
  return parseWith(stepLine, jsonObject(text, where, CODE), where, CODE);
}

/** steps.ndjson's one writer. */
export class StepLog {
  readonly #file: string;

  /** Creates (or empties) the file. */
  constructor(file: string) {
    this.#file = file;
    writeFileSync(file, '');
  }

  write(step: StepLine): void {
    appendLine(this.#file, step);
  }
}
