import type { Faker } from '@faker-js/faker';
import { invalidInput } from '../errors.js';
import type { JourneySpec } from './step-schema.js';
import { parseDuration } from './executors/duration.js';
import { planRateAt, type RatePlan } from './executors/rate-plan.js';
import type { HistoryOp } from './history.js';
import type { Outcome } from './http/outcome.js';
import type { RequestSpec } from './http/request-head.js';
import type { Random } from './random.js';
import { compileJson, compileTemplate, fill, type Template, type TemplateScope } from './template.js';

/**
 * A journey is what one arrival does: an async function given a context. Built-in journeys
 * (the simulator's residents) are written as such functions; declarative ones from a scenario
 * file compile to the same kind of function.
 */
export interface StepResponse {
  readonly status: number;
  /** The outcome as measured: a status the step's check expects counts as ok, one it does not
   *  expect as `other` (for 4xx/5xx and failures the measured class is kept). */
  readonly outcome: Outcome;
  /** Only when asked for with wantBody. */
  readonly body: string | undefined;
  /** The response's Retry-After in seconds, when it gave one. */
  readonly retryAfterS?: number;
}

export interface RequestOptions {
  readonly wantBody?: boolean;
  readonly expect?: readonly number[];
  /** This request's timeout (a person's patience), instead of the run's. */
  readonly timeoutMs?: number;
}

/**
 * Custom metrics, as k6 has them (Counter, Gauge, Rate, Trend): a journey module declares them
 * (`export const metrics: MetricDeclarations`) and records samples through `ctx.metrics`. They go
 * through the same per-second files, thresholds, summary and report as the built-in metrics.
 * Names follow k6's rule (src/engine/metric-declarations.ts); recording an undeclared name, or
 * with the wrong kind, fails the run.
 */
export type MetricKind = 'counter' | 'gauge' | 'rate' | 'trend';
export interface MetricDeclaration {
  readonly type: MetricKind;
  /** One line for people reading the report: "residents who re-installed the app and signed in again". */
  readonly description: string;
  /** How values read: 'count' (default for counter/rate), 'ms' (a time, k6's isTime trend), 'clock' (seconds since midnight, shown as HH:MM:SS), or '' for plain numbers. */
  readonly unit?: 'count' | 'ms' | 'clock' | '';
}
export type MetricUnit = NonNullable<MetricDeclaration['unit']>;
export type MetricDeclarations = Readonly<Record<string, MetricDeclaration>>;
export type MetricTags = Readonly<Record<string, string>>;

export interface CustomMetrics {
  /** k6 Counter.add: adds `value` (default 1). */
  counter(name: string, value?: number, tags?: MetricTags): void;
  /** k6 Gauge.add: the latest value wins; min and max are kept. */
  gauge(name: string, value: number, tags?: MetricTags): void;
  /** k6 Rate.add: a true (or non-zero) sample passes. */
  rate(name: string, value: boolean | number, tags?: MetricTags): void;
  /** k6 Trend.add. */
  trend(name: string, value: number, tags?: MetricTags): void;
}

export interface JourneyContext {
  /** Sends one request, named for the metrics; latency counts from when it was meant to go. */
  request(name: string, spec: RequestSpec, options?: RequestOptions): Promise<StepResponse>;
  /** Waits as a person would between two steps. */
  think(ms: number): Promise<void>;
  readonly random: Random;
  readonly faker: Faker;
  /** The arrival's data (from the simulator: a resident, a site…); empty for plain scenarios. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly metrics: CustomMetrics;
  /** Milliseconds since the run's second 0 (the engine's monotonic clock): what a journey needs to compute, say, a simulated time of day. */
  elapsedMs(): number;
  /**
   * Adds an operation to the run's history (history.ndjson, src/engine/history.ts): an `invoke`
   * returns the operation's id, which its `ok`, `fail` or `info` names. Buffered; no I/O here.
   */
  record(op: HistoryOp): number;
}

export type Journey = (ctx: JourneyContext) => Promise<void>;

export interface WeightedJourney {
  readonly name: string;
  readonly weight: number;
  readonly run: Journey;
}

/**
 * Journeys written in code, loaded by each worker thread from a module (as k6 loads a script):
 * the module's `journeys(options, worker)` returns them. `options` is plain data from the run.
 * The module may also export `metrics` (MetricDeclarations): the custom metrics it records.
 */
export interface JourneyModuleRef {
  /** Absolute path of an ES module exporting `journeys` (and, optionally, `metrics`). */
  readonly file: string;
  readonly options: unknown;
}

export interface WorkerIdentity {
  readonly seed: number;
  /** This worker's index among `of`. */
  readonly index: number;
  readonly of: number;
}

export type JourneyFactory = (options: unknown, worker: WorkerIdentity) => readonly WeightedJourney[];

/** What a journey module exports (`satisfies JourneyModule` checks one). */
export interface JourneyModule {
  readonly journeys: JourneyFactory;
  readonly metrics?: MetricDeclarations;
}

/**
 * A mix that changes over the run: journey `journey` is picked in proportion to its own rate
 * plan's rate at the arrival's time (superposed arrival streams, each labelled by its share).
 */
export interface MixEntry {
  readonly journey: string;
  readonly plan: RatePlan;
}

export function mixPicker(journeys: readonly WeightedJourney[], mix: readonly MixEntry[]): (random: Random, tMs: number) => WeightedJourney {
  const entries = mix.map((m) => {
    const journey = journeys.find((j) => j.name === m.journey);
    if (journey === undefined) throw new Error(`the mix names journey "${m.journey}", which the journeys do not have`);
    return { journey, plan: m.plan };
  });
  const first = entries[0];
  if (first === undefined) throw new Error('a mix needs at least one journey');
  // Each stream's rate is looked up once per arrival, into a buffer reused across arrivals.
  const rates = new Float64Array(entries.length);
  return (random, tMs) => {
    let total = 0;
    entries.forEach((e, i) => {
      rates[i] = planRateAt(e.plan, tMs);
      total += rates[i]!;
    });
    if (!(total > 0)) return first.journey;
    let x = random.next() * total;
    for (let i = 0; i < entries.length; i++) {
      x -= rates[i]!;
      if (x < 0) return entries[i]!.journey;
    }
    return entries[entries.length - 1]?.journey ?? first.journey;
  };
}

/** Picks journeys in proportion to their weights, from the given random stream. */
export function journeyPicker(journeys: readonly WeightedJourney[]): (random: Random) => WeightedJourney {
  const total = journeys.reduce((sum, j) => sum + j.weight, 0);
  const first = journeys[0];
  if (first === undefined || !(total > 0)) throw new Error('at least one journey with a positive weight is needed');
  if (journeys.length === 1) return () => first;
  return (random) => {
    let x = random.next() * total;
    for (const j of journeys) {
      x -= j.weight;
      if (x < 0) return j;
    }
    return journeys[journeys.length - 1] ?? first;
  };
}

/**
 * Declarative steps → a journey. Templates are compiled here, once; a step whose request fails
 * or whose check fails ends the iteration (later steps usually need what it would have given).
 */
export function compileJourneys(specs: readonly JourneySpec[], faker?: Faker): WeightedJourney[] {
  return specs.map((spec, j) => {
    if (spec.steps === undefined) {
      throw invalidInput('JOURNEY_INVALID', `journeys[${j}]: "${spec.name}" has no steps; built-in journeys run from a journey module`);
    }
    const steps = spec.steps.map((step, s) => compileStep(step, `journeys[${j}].steps[${s}]`, faker));
    return { name: spec.name, weight: spec.weight, run: stepsJourney(steps) };
  });
}

type StepSpec = NonNullable<JourneySpec['steps']>[number];

/** One step with its templates compiled; headers that are all constant are built once. */
interface CompiledStep {
  readonly name: string;
  readonly method: StepSpec['request']['method'];
  readonly url: Template;
  readonly headers: readonly (readonly [string, Template])[];
  readonly jsonHeaders: Readonly<Record<string, string>> | undefined;
  readonly staticHeaders: Readonly<Record<string, string>> | undefined;
  readonly body: ((scope: TemplateScope) => unknown) | undefined;
  readonly expect: readonly number[] | undefined;
  readonly save: readonly (readonly [string, string])[];
  readonly thinkMs: number;
}

function compileStep(step: StepSpec, where: string, faker: Faker | undefined): CompiledStep {
  if (!step.request.url.startsWith('/')) {
    throw invalidInput('STEP_INVALID', `${where}.request.url: expected a path on the target, starting with "/", got "${step.request.url}"`);
  }
  const url = compileTemplate(step.request.url, `${where}.request.url`, faker);
  const headers = Object.entries(step.request.headers ?? {}).map(
    ([k, v]) => [k, compileTemplate(v, `${where}.request.headers.${k}`, faker)] as const,
  );
  const body = step.request.body === undefined ? undefined : compileJson(step.request.body, `${where}.request.body`, faker);
  const jsonHeaders = body === undefined ? undefined : { 'content-type': 'application/json' };
  const staticHeaders = headers.every(([, t]) => t.constant)
    ? { ...jsonHeaders, ...Object.fromEntries(headers.map(([k, t]) => [k, fill(t, EMPTY_SCOPE)])) }
    : undefined;
  const expect = step.check === undefined ? undefined : Array.isArray(step.check.status) ? step.check.status : [step.check.status];
  return {
    name: step.name,
    method: step.request.method,
    url,
    headers,
    jsonHeaders,
    staticHeaders,
    body,
    expect,
    save: Object.entries(step.save ?? {}),
    thinkMs: step.think === undefined ? 0 : parseDuration(step.think, `${where}.think`),
  };
}

/** Runs the steps in order; a step that is not ok, or whose body cannot be read for `save`, ends the iteration. */
function stepsJourney(steps: readonly CompiledStep[]): Journey {
  return async (ctx) => {
    const vars: Record<string, unknown> = {};
    const scope: TemplateScope = { faker: ctx.faker, data: ctx.data, vars };
    for (const step of steps) {
      const headers =
        step.staticHeaders ?? { ...step.jsonHeaders, ...Object.fromEntries(step.headers.map(([k, t]) => [k, fill(t, scope)])) };
      const response = await ctx.request(
        step.name,
        {
          method: step.method,
          path: fill(step.url, scope),
          headers,
          body: step.body === undefined ? undefined : JSON.stringify(step.body(scope)),
        },
        { wantBody: step.save.length > 0, ...(step.expect === undefined ? {} : { expect: step.expect }) },
      );
      if (response.outcome !== 'ok') return;
      if (step.save.length > 0 && !saveFrom(response.body, step.save, vars)) return;
      if (step.thinkMs > 0) await ctx.think(step.thinkMs);
    }
  };
}

/** Saves the named paths of a JSON body into `vars`; false when the body is not JSON. */
function saveFrom(body: string | undefined, save: CompiledStep['save'], vars: Record<string, unknown>): boolean {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return false;
  }
  for (const [name, path] of save) vars[name] = pick(json, path);
  return true;
}

const EMPTY_SCOPE: TemplateScope = { faker: undefined as unknown as Faker, data: {}, vars: {} };

/** "qr.payload" → json.qr.payload */
function pick(json: unknown, path: string): unknown {
  let value = json;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
