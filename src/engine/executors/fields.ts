import { z } from 'zod';
import { describeValue } from './describe-value.js';
import { readDuration } from './duration.js';

/**
 * The fields executors share, as zod schemas. Every message names what was expected and what came
 * (`expected a number >= 0, got -5`, or `missing; expected …` for an absent field); read-config.ts
 * turns them into field problems (`load.stages[1].target: …`), all of them at once.
 */

/** Arrival-rate executors' default cap on iterations in flight; arrivals beyond it are dropped. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000;

export interface NumberRule {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  readonly integer?: boolean;
  /** Used when the field is absent; without one the field is required. */
  readonly default?: number;
}

export interface DurationRule {
  /** Reject 0. */
  readonly positive?: boolean;
  readonly default?: number;
}

/** One stage of a ramp: `duration` in ms, `target` in the executor's unit. */
export interface Stage {
  readonly duration: number;
  readonly target: number;
}

/** "missing; expected X" for an absent value, "expected X, got Y" for a bad one. */
export function expecting(expected: string): (issue: { readonly input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? `missing; ${expected}` : `${expected}, got ${describeValue(issue.input)}`);
}

/** A finite number within the rule's bounds: one message, whichever bound it misses. */
export function number(rule: NumberRule): z.ZodType<number> {
  const bound = rule.above !== undefined ? ` > ${rule.above}` : rule.min !== undefined ? ` >= ${rule.min}` : '';
  const error = expecting(`expected ${rule.integer === true ? 'a whole number' : 'a number'}${bound}`);
  const within = (n: number): boolean =>
    (rule.integer !== true || Number.isInteger(n)) && (rule.min === undefined || n >= rule.min) && (rule.above === undefined || n > rule.above);
  const field = z.number({ error }).refine(within, { error });
  return rule.default === undefined ? field : field.default(rule.default);
}

/** Milliseconds, read by the one duration grammar (duration.ts). */
export function duration(rule: DurationRule): z.ZodType<number> {
  const field = z.unknown().transform((raw, ctx) => durationOrIssue(raw, rule, ctx));
  return rule.default === undefined ? field : field.default(rule.default);
}

/** A duration that may be left out (undefined then). */
export const optionalDuration: z.ZodType<number | undefined> = z.unknown().transform((raw, ctx) => (raw === undefined ? undefined : durationOrIssue(raw, {}, ctx)));

function durationOrIssue(raw: unknown, rule: DurationRule, ctx: z.RefinementCtx): number {
  const ms = durationMs(raw, rule);
  if (typeof ms === 'number') return ms;
  ctx.addIssue({ code: 'custom', message: ms });
  return z.NEVER;
}

function durationMs(raw: unknown, rule: DurationRule): number | string {
  if (raw === undefined) return `missing; expected a duration${rule.positive === true ? ' > 0' : ''} such as "10s"`;
  const ms = readDuration(raw);
  if (typeof ms === 'string') return ms;
  if (rule.positive === true && ms <= 0) return `expected a duration > 0, got ${describeValue(raw)}`;
  return ms;
}

/** How arrivals are spaced: `even` (the default) or `poisson`. */
export const spacing = z.enum(['even', 'poisson'], { error: expecting('expected "even" or "poisson"') }).default('even');

/**
 * A strict object: each unknown key is reported, naming the keys there are (`known`, in the order
 * users read them); anything but an object is one problem, not one a field.
 */
export function object<Shape extends z.ZodRawShape>(shape: Shape, known: readonly string[] = Object.keys(shape)) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field (expected one of ${known.join(', ')})` : `expected an object, got ${describeValue(issue.input)}`),
  });
}

/** What every executor's config may also say. */
export interface ExecutorCommon {
  /**
   * ms, as k6's `gracefulStop`: how long iterations still running when the schedule ends are
   * waited for; what they do after that is not counted, and they are reported as interrupted.
   * Absent: the request timeout and a second more, so that every request in flight ends.
   */
  readonly gracefulStop?: number | undefined;
}

/**
 * An executor's config: its fields, `gracefulStop`, and `executor`, which may be left out but
 * must name it.
 */
export function executorObject<Name extends string, Shape extends z.ZodRawShape>(name: Name, shape: Shape) {
  const executor = z.literal(name, { error: (issue) => `expected "${name}", got ${describeValue(issue.input)}` }).default(name);
  return object({ executor, ...shape, gracefulStop: optionalDuration.optional() }, [...Object.keys(shape), 'gracefulStop', 'executor']);
}

/** A non-empty array of `{ duration, target }`; each target checked against `target`. */
export function stages(target: NumberRule): z.ZodType<readonly Stage[]> {
  const error = expecting('expected a non-empty array of { duration, target }');
  // A refinement, not .min(1): zod runs length checks on anything with a length, strings too.
  return z.array(object({ duration: duration({}), target: number(target) }), { error }).refine((list) => list.length > 0, { error });
}

/**
 * A rule across fields. It is checked even when some fields failed, since every problem is
 * reported at once, and then sees what came for those fields: it trusts only values of the type
 * it expects, or asks `passed(...keys)` whether the fields it reads passed.
 */
export type Rule = (
  seen: Readonly<Record<string, unknown>>,
  report: (key: string, message: string) => void,
  passed: (...keys: string[]) => boolean,
) => void;

export function withRule<Schema extends z.ZodType>(schema: Schema, rule: Rule): Schema {
  return schema.superRefine(
    (seen, ctx) => {
      const report = (key: string, message: string): void => ctx.addIssue({ code: 'custom', path: [key], message });
      const passed = (...keys: string[]): boolean => !ctx.issues.some((issue) => keys.some((key) => key === issue.path?.[0]));
      rule(seen as Readonly<Record<string, unknown>>, report, passed);
    },
    { when: (payload) => isRecord(payload.value) },
  );
}

/**
 * A ramp must last and must carry load: its stages' durations may not all be 0, nor its start
 * (`startKey`) and every target. A stage field that failed counts as not 0.
 */
export function rampRule(startKey: string, unit: string): Rule {
  return (seen, report) => {
    const raw = seen['stages'];
    const list = Array.isArray(raw) ? raw.map((s: unknown) => (isRecord(s) ? s : {})) : [];
    if (list.length === 0) return;
    if (list.every((s) => s['duration'] === 0)) report('stages', 'expected a total duration > 0, got 0');
    if (seen[startKey] === 0 && list.every((s) => s['target'] === 0)) {
      report('stages', `expected ${startKey} or some stage target > 0; every ${unit} is 0`);
    }
  };
}

export function isRecord(raw: unknown): raw is Readonly<Record<string, unknown>> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}
