/**
 * Thresholds: pass/fail criteria on the run's metrics in k6's syntax, parsed and checked in full
 * before the run so that a bad one is a config error (exit 2), not a surprise at the end.
 *
 * Grammar (whitespace is allowed around every token):
 *
 *   thresholds = { metricKey: [ entry, ... ], ... }
 *   entry      = expr
 *              | { threshold: expr, abortOnFail?: boolean, delayAbortEval?: duration }
 *   metricKey  = metric [ "{" tag { "," tag } "}" ]      e.g. http_req_failed{name:scan,outcome:timeout}
 *   tag        = tagKey ":" tagValue                     split at the first ":"; neither part empty,
 *                                                        neither contains "{", "}" or ","
 *   metric     = "http_req_duration"                     trend, milliseconds
 *              | "http_req_failed"                       rate
 *              | "dropped_iterations" | "iterations" | "http_reqs"      counter
 *              | a custom metric the journeys declare    its declared type (src/engine/journey.ts)
 *   expr       = agg op value
 *   agg        = "p(" N ")" | "avg" | "med" | "min" | "max"   on a trend; 0 < N <= 100, e.g. p(99.9)
 *              | "rate"                                        on a rate: fraction of non-zero samples
 *              | "count" | "rate"                              on a counter: total, and per second
 *              | "value" | "min" | "max"                       on a gauge: the latest value, the extremes
 *   op         = "<" | "<=" | ">" | ">=" | "==" | "===" | "!="  ("===" means "==", as in k6)
 *   value      = number [ "ms" | "s" ]                   a unit only on a metric in ms (http_req_duration,
 *                                                        or a custom one with unit ms); none means ms
 *              | clock                                   on a custom metric with unit clock
 *   clock      = hh ":" mm [ ":" ss ]                    a time of day, as seconds since midnight
 *   number     = [ "+" | "-" ] ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) exponent ]
 *   duration   = ( decimal ( "ms" | "s" | "m" | "h" ) )+   e.g. "500ms", "10s", "1m", "1m30s"
 *
 * Meaning:
 *   - med is p(50); percentiles are given to the source as percent (95, 99.9), not fractions.
 *   - A tag filter selects the samples whose tags include every listed pair; none selects all.
 *     Built-in metrics are tagged by name and outcome; a custom metric by what its journeys record.
 *   - A custom metric's values are in its unit; a trend's percentiles are to its histogram's
 *     resolution (src/engine/histogram.ts, VALUE_LAYOUT), its avg, min and max exact.
 *   - A metric neither built in nor declared is invalid input, naming the key and the declared ones.
 *   - No data: a trend or rate threshold with no samples passes, with value null, as in k6 (a
 *     filter nothing was tagged with cannot fail a run). A counter with no samples counts 0 and
 *     is compared as such, so dropped_iterations: ["count==0"] holds and iterations: ["count>0"]
 *     fails. (k6 skips empty counters too; a count of nothing is a real zero, so we do not.)
 *     A gauge with no samples passes, as a trend does.
 *   - delayAbortEval without abortOnFail is accepted and has no effect, as in k6.
 *   - A failed threshold asks to abort only when abortOnFail is set and the run has been going
 *     for at least delayAbortEval (default 0).
 */
import { invalidFields, type FieldProblem } from '../errors.js';
import type { MetricDeclarations, MetricUnit } from './journey.js';
import { unitOf } from './metric-declarations.js';

export const METRIC_TYPES = Object.freeze({
  http_req_duration: 'trend',
  http_req_failed: 'rate',
  dropped_iterations: 'counter',
  iterations: 'counter',
  http_reqs: 'counter',
} as const);

export type MetricName = keyof typeof METRIC_TYPES;
export type MetricType = (typeof METRIC_TYPES)[MetricName] | 'gauge';

export type Aggregation =
  | { readonly kind: 'percentile'; readonly p: number }
  | { readonly kind: 'avg' | 'med' | 'min' | 'max' | 'rate' | 'count' | 'value' };

/** The custom metrics thresholds may name, and where they were declared (for messages). */
export interface CustomMetricsInScope {
  readonly metrics: MetricDeclarations;
  /** e.g. the journey module's path. */
  readonly from: string;
  /** The module could not be loaded (reported on its own): thresholds on metrics that are not built in go unchecked. */
  readonly unavailable?: boolean;
}

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

export type Tags = Readonly<Record<string, string>>;

export interface Threshold {
  /** A built-in MetricName, or a custom metric's declared name. */
  readonly metric: string;
  readonly type: MetricType;
  /** Declared by the journeys rather than built in. */
  readonly custom: boolean;
  readonly tags: Tags;
  /** The metric key as written, e.g. `http_req_duration{name:register}`. */
  readonly key: string;
  /** The expression as written, e.g. `p(95)<1.5s`. */
  readonly expr: string;
  readonly aggregation: Aggregation;
  readonly op: Operator;
  /** In milliseconds for http_req_duration; in its unit for a custom metric (seconds for clock). */
  readonly value: number;
  readonly abortOnFail: boolean;
  readonly delayAbortEvalMs: number;
}

export type ThresholdSet = readonly Threshold[];

/** A trend's samples under one tag filter. `percentile` takes percent: 95, 99.9, 100. */
export interface TrendAggregate {
  percentile(p: number): number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

/** A rate's samples: `passes` are the non-zero ones (for http_req_failed, the failed requests). */
export interface RateAggregate {
  readonly passes: number;
  readonly total: number;
}

export interface CounterAggregate {
  readonly count: number;
  readonly perSecond: number;
}

/** A gauge's latest value (by time) and its extremes. */
export interface GaugeAggregate {
  readonly value: number;
  readonly min: number;
  readonly max: number;
}

/**
 * What the engine offers evaluation: aggregates over the samples whose tags include every pair in
 * `tags` (an empty filter means all samples). `undefined` means no samples. `metric` is a
 * built-in name or a custom metric's; the two never share a name (metric-declarations.ts).
 */
export interface MetricSource {
  trend(metric: string, tags: Tags): TrendAggregate | undefined;
  rate(metric: string, tags: Tags): RateAggregate | undefined;
  counter(metric: string, tags: Tags): CounterAggregate | undefined;
  gauge(metric: string, tags: Tags): GaugeAggregate | undefined;
}

export interface ThresholdResult {
  readonly threshold: Threshold;
  readonly ok: boolean;
  /** The observed aggregate, or null when a trend or rate had no samples (and ok is true). */
  readonly value: number | null;
  /** !ok && abortOnFail && elapsedMs >= delayAbortEvalMs */
  readonly shouldAbort: boolean;
}

const OPERATORS: readonly Operator[] = ['<', '<=', '>', '>=', '==', '===', '!='];
const OPERATOR_LIST = OPERATORS.join(', ');
const AGGREGATIONS: Readonly<Record<MetricType, readonly string[]>> = {
  trend: ['p(N)', 'avg', 'med', 'min', 'max'],
  rate: ['rate'],
  counter: ['count', 'rate'],
  gauge: ['value', 'min', 'max'],
};
const NAMED_AGGREGATIONS = new Set(['avg', 'med', 'min', 'max', 'rate', 'count', 'value'] as const);
const ALL_AGGREGATIONS = ['p(N)', 'avg', 'med', 'min', 'max', 'rate', 'count', 'value'];
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/;
const ENTRY_FIELDS = new Set(['threshold', 'abortOnFail', 'delayAbortEval']);
const NUMBER = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?\s*([A-Za-z]*)$/;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Checks every threshold in `raw` and returns them frozen, or throws one BAD_THRESHOLD error
 * listing every problem, one per line, each prefixed by its path under `where`.
 */
export function parseThresholds(raw: unknown, where = 'thresholds', custom?: CustomMetricsInScope): ThresholdSet {
  const problems: FieldProblem[] = [];
  const out: Threshold[] = [];
  if (!isPlainObject(raw)) {
    problems.push({ path: where, message: `expected a map of metric to a list of thresholds, got ${describe(raw)}` });
  } else {
    for (const [key, entries] of Object.entries(raw)) {
      const at = `${where}.${key}`;
      if (custom?.unavailable === true && !Object.hasOwn(METRIC_TYPES, key.split('{')[0]!.trim())) continue;
      const target = parseMetricKey(key, custom, (p) => problems.push({ path: at, message: p }));
      if (!Array.isArray(entries)) {
        problems.push({ path: at, message: `expected a list of thresholds, got ${describe(entries)}` });
        continue;
      }
      entries.forEach((entry: unknown, i) => {
        const t = parseEntry(entry, target, `${at}[${i}]`, problems);
        if (t !== undefined && target !== undefined) {
          const { unit: _unit, ...rest } = target;
          out.push(Object.freeze({ ...rest, key, ...t }));
        }
      });
    }
  }
  if (problems.length > 0) {
    throw invalidFields('BAD_THRESHOLD', problems, {
      hint: 'a threshold reads AGG OP VALUE, e.g. http_req_duration: ["p(95)<500"], http_req_failed: ["rate<0.01"]',
    });
  }
  return Object.freeze(out);
}

/** Each threshold against the aggregates so far; `elapsedMs` is time since the run started. */
export function evaluate(set: ThresholdSet, source: MetricSource, elapsedMs: number): ThresholdResult[] {
  return set.map((threshold) => {
    const value = observe(threshold, source);
    const ok = value === null || compare(value, threshold.op, threshold.value);
    const shouldAbort = !ok && threshold.abortOnFail && elapsedMs >= threshold.delayAbortEvalMs;
    return Object.freeze({ threshold, ok, value, shouldAbort });
  });
}

function observe(t: Threshold, source: MetricSource): number | null {
  const { aggregation: agg, tags } = t;
  switch (t.type) {
    case 'trend': {
      const trend = source.trend(t.metric, tags);
      if (trend === undefined || trend.count === 0) return null;
      switch (agg.kind) {
        case 'percentile':
          return trend.percentile(agg.p);
        case 'med':
          return trend.percentile(50);
        case 'avg':
        case 'min':
        case 'max':
          return trend[agg.kind];
        default:
          throw new Error(`aggregation ${agg.kind} on trend ${t.key} got past parsing`);
      }
    }
    case 'rate': {
      const rate = source.rate(t.metric, tags);
      if (rate === undefined || rate.total === 0) return null;
      return rate.passes / rate.total;
    }
    case 'counter': {
      const counter = source.counter(t.metric, tags) ?? { count: 0, perSecond: 0 };
      return agg.kind === 'rate' ? counter.perSecond : counter.count;
    }
    case 'gauge': {
      const gauge = source.gauge(t.metric, tags);
      if (gauge === undefined) return null;
      switch (agg.kind) {
        case 'value':
        case 'min':
        case 'max':
          return gauge[agg.kind];
        default:
          throw new Error(`aggregation ${agg.kind} on gauge ${t.key} got past parsing`);
      }
    }
  }
}

function compare(observed: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return observed < limit;
    case '<=':
      return observed <= limit;
    case '>':
      return observed > limit;
    case '>=':
      return observed >= limit;
    case '==':
    case '===':
      return observed === limit;
    case '!=':
      return observed !== limit;
  }
}

interface Target {
  readonly metric: string;
  readonly type: MetricType;
  readonly custom: boolean;
  /** How values read: 'ms' for http_req_duration. Not kept on the Threshold. */
  readonly unit: MetricUnit;
  readonly tags: Tags;
}

/** `metric{k:v,...}`; returns undefined (after reporting) when the key is unusable. */
function parseMetricKey(key: string, custom: CustomMetricsInScope | undefined, report: (problem: string) => void): Target | undefined {
  const open = key.indexOf('{');
  const nameEnd = key.search(/[{}]/);
  const name = (nameEnd === -1 ? key : key.slice(0, nameEnd)).trim();
  let ok = true;
  let tags: [string, string][] = [];
  let type: MetricType | undefined;
  let unit: MetricUnit = '';
  const declared = custom !== undefined && Object.hasOwn(custom.metrics, name) ? custom.metrics[name] : undefined;
  if (name === '') {
    report('missing metric name');
    ok = false;
  } else if (Object.hasOwn(METRIC_TYPES, name)) {
    type = METRIC_TYPES[name as MetricName];
    unit = name === 'http_req_duration' ? 'ms' : 'count';
  } else if (declared !== undefined) {
    type = declared.type;
    unit = unitOf(declared);
  } else {
    const names = custom === undefined ? [] : Object.keys(custom.metrics);
    const theirs =
      custom === undefined
        ? ''
        : names.length === 0
          ? `; ${custom.from} declares no custom metrics`
          : `, or a custom metric ${custom.from} declares: ${names.join(', ')}`;
    report(`unknown metric "${name}" (expected ${Object.keys(METRIC_TYPES).join(', ')}${theirs})`);
    ok = false;
  }
  if (open === -1) {
    if (key.includes('}')) {
      report(`unexpected "}" in "${key}" (a tag filter reads metric{key:value,...})`);
      ok = false;
    }
  } else {
    const filter = parseTagFilter(key.slice(open).trim(), report);
    if (filter === undefined) ok = false;
    else tags = filter;
  }
  if (!ok || type === undefined) return undefined;
  return Object.freeze({ metric: name, type, custom: declared !== undefined, unit, tags: Object.freeze(Object.fromEntries(tags)) });
}

function parseTagFilter(text: string, report: (problem: string) => void): [string, string][] | undefined {
  if (!text.endsWith('}')) {
    report(`tag filter "${text}" is not closed with "}"`);
    return undefined;
  }
  const inner = text.slice(1, -1);
  if (/[{}]/.test(inner)) {
    report(`unexpected brace in tag filter "${text}"`);
    return undefined;
  }
  if (inner.trim() === '') {
    report(`empty tag filter "${text}" (leave out the braces to select every sample)`);
    return undefined;
  }
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  let ok = true;
  for (const part of inner.split(',')) {
    const colon = part.indexOf(':');
    const k = (colon === -1 ? part : part.slice(0, colon)).trim();
    const v = colon === -1 ? '' : part.slice(colon + 1).trim();
    if (colon === -1 || k === '' || v === '') {
      report(`tag filter entry "${part.trim()}" in "${text}" is not key:value`);
      ok = false;
    } else if (seen.has(k)) {
      report(`tag "${k}" appears twice in "${text}"`);
      ok = false;
    } else {
      seen.add(k);
      pairs.push([k, v]);
    }
  }
  return ok ? pairs : undefined;
}

type ParsedEntry = Omit<Threshold, 'metric' | 'type' | 'custom' | 'tags' | 'key'>;

/** A string or an object entry. Parses the expression even when the key was bad, to report all. */
function parseEntry(
  entry: unknown,
  target: Target | undefined,
  at: string,
  problems: FieldProblem[],
): ParsedEntry | undefined {
  const before = problems.length;
  let expr: string | undefined;
  let exprAt = at;
  let abortOnFail = false;
  let delayAbortEvalMs = 0;
  if (typeof entry === 'string') {
    expr = entry;
  } else if (isPlainObject(entry)) {
    for (const field of Object.keys(entry)) {
      if (!ENTRY_FIELDS.has(field)) {
        problems.push({ path: at, message: `unknown field "${field}" (expected threshold, abortOnFail, delayAbortEval)` });
      }
    }
    exprAt = `${at}.threshold`;
    if (typeof entry['threshold'] === 'string') expr = entry['threshold'];
    else problems.push({ path: exprAt, message: `expected an expression such as "p(95)<500", got ${describe(entry['threshold'])}` });
    const abort = entry['abortOnFail'];
    if (typeof abort === 'boolean') abortOnFail = abort;
    else if (abort !== undefined) problems.push({ path: `${at}.abortOnFail`, message: `expected true or false, got ${describe(abort)}` });
    const delay = entry['delayAbortEval'];
    if (delay !== undefined) {
      const ms = typeof delay === 'string' ? parseDuration(delay) : undefined;
      if (ms === undefined) {
        problems.push({ path: `${at}.delayAbortEval`, message: `expected a duration such as "10s", "500ms", "1m" or "1m30s", got ${describe(delay)}` });
      } else {
        delayAbortEvalMs = ms;
      }
    }
  } else {
    problems.push({ path: at, message: `expected an expression string or {threshold, abortOnFail, delayAbortEval}, got ${describe(entry)}` });
  }
  if (expr === undefined) return undefined;
  const parsed = parseExpression(expr, target, (p) => problems.push({ path: exprAt, message: `${p} in "${expr}"` }));
  if (parsed === undefined || problems.length > before) return undefined;
  return { expr, ...parsed, abortOnFail, delayAbortEvalMs };
}

/** `AGG OP VALUE`. With no target (an unusable key), checks the syntax against every metric type. */
function parseExpression(
  expr: string,
  target: Target | undefined,
  report: (problem: string) => void,
): Pick<Threshold, 'aggregation' | 'op' | 'value'> | undefined {
  if (expr.trim() === '') {
    report('empty expression (expected AGG OP VALUE, e.g. "p(95)<500")');
    return undefined;
  }
  const opMatch = /[<>=!]+/.exec(expr);
  if (opMatch === null) {
    report(`missing operator (expected AGG OP VALUE with OP one of ${OPERATOR_LIST})`);
    return undefined;
  }
  const type = target?.type;
  let ok = true;
  const op = OPERATORS.find((o) => o === opMatch[0]);
  if (op === undefined) {
    report(`unknown operator "${opMatch[0]}" (expected one of ${OPERATOR_LIST})`);
    ok = false;
  }
  const aggregation = parseAggregation(expr.slice(0, opMatch.index).trim(), target, type, report);
  // A per-second rate has no unit of its own, whatever the metric's values are in.
  const unit = target === undefined ? undefined : aggregation?.kind === 'rate' ? 'count' : target.unit;
  const value = parseValue(expr.slice(opMatch.index + opMatch[0].length).trim(), target, unit, report);
  if (!ok || op === undefined || aggregation === undefined || value === undefined) return undefined;
  return { aggregation, op, value };
}

function parseAggregation(
  text: string,
  target: Target | undefined,
  type: MetricType | undefined,
  report: (problem: string) => void,
): Aggregation | undefined {
  const expected = type === undefined ? ALL_AGGREGATIONS : AGGREGATIONS[type];
  if (text === '') {
    report(`missing aggregation (expected ${expected.join(', ')})`);
    return undefined;
  }
  let aggregation: Aggregation;
  const percentile = /^p\s*\((.*)\)$/.exec(text);
  if (percentile !== null) {
    const n = (percentile[1] ?? '').trim();
    const p = /^(\d+\.?\d*|\.\d+)$/.test(n) ? Number(n) : Number.NaN;
    if (!(p > 0 && p <= 100)) {
      report(`bad percentile "${text}" (expected p(N) with 0 < N <= 100, e.g. p(95) or p(99.9))`);
      return undefined;
    }
    aggregation = { kind: 'percentile', p };
  } else {
    const kind = [...NAMED_AGGREGATIONS].find((k) => k === text);
    if (kind === undefined) {
      report(`unknown aggregation "${text}" (expected ${expected.join(', ')})`);
      return undefined;
    }
    aggregation = { kind };
  }
  const name = aggregation.kind === 'percentile' ? 'p(N)' : aggregation.kind;
  if (target !== undefined && type !== undefined && !expected.includes(name)) {
    report(
      `aggregation "${text}" does not apply to ${target.metric}, a ${type} (expected ${expected.join(', ')})`,
    );
    return undefined;
  }
  return Object.freeze(aggregation);
}

/** `metricUnit`: the unit the compared value is in; undefined when the metric is unknown. */
function parseValue(
  text: string,
  target: Target | undefined,
  metricUnit: MetricUnit | undefined,
  report: (problem: string) => void,
): number | undefined {
  if (text === '') {
    report('missing value after the operator');
    return undefined;
  }
  const clock = metricUnit === 'clock' ? CLOCK.exec(text) : null;
  if (clock !== null) {
    const [, h = '0', m = '0', sec = '0'] = clock;
    if (Number(h) > 24 || Number(m) > 59 || Number(sec) >= 60) {
      report(`bad time of day "${text}" (expected hh:mm or hh:mm:ss)`);
      return undefined;
    }
    return Number(h) * 3600 + Number(m) * 60 + Number(sec);
  }
  const m = NUMBER.exec(text);
  if (m === null) {
    const hint = metricUnit === 'ms' || metricUnit === undefined ? ', optionally with ms or s' : metricUnit === 'clock' ? ' of seconds since midnight, or a time of day hh:mm[:ss]' : '';
    report(`bad value "${text}" (expected a number${hint})`);
    return undefined;
  }
  const [, mantissa = '', exponent = '0', unit = ''] = m;
  if (unit !== '' && metricUnit !== undefined && metricUnit !== 'ms') {
    report(`value "${text}" takes no unit (${target?.metric ?? 'the metric'} is a ${target?.type ?? 'metric'}${metricUnit === '' || metricUnit === 'count' ? '' : ` in ${metricUnit}`})`);
    return undefined;
  }
  if (unit !== '' && unit !== 'ms' && unit !== 's') {
    report(`unknown unit "${unit}" in value "${text}" (expected ms or s)`);
    return undefined;
  }
  // Scale in decimal so that "1.1s" is exactly 1100, not 1100.0000000000002.
  const value = Number(`${mantissa}e${Number(exponent) + (unit === 's' ? 3 : 0)}`);
  if (!Number.isFinite(value)) {
    report(`value "${text}" is out of range`);
    return undefined;
  }
  return value;
}

/** `500ms`, `10s`, `1m`, `1m30s`, `1.5h`: one or more number-unit parts, summed. */
function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)/y;
  let total = 0;
  while (part.lastIndex < s.length) {
    const m = part.exec(s);
    if (m === null) return undefined;
    total += Number(m[1]) * (DURATION_UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'string') return `the string ${JSON.stringify(x)}`;
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${String(x)}`;
}
