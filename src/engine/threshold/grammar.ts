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
 *   duration   = segment { segment }                   src/engine/executors/duration.ts (readUnitDuration),
 *                                                        e.g. "500ms", "10s", "1m", "1m30s", "1.5h"
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
import { invalidFields, type FieldProblem } from '../../errors.js';
import { readUnitDuration } from '../executors/duration.js';
import { parseExpression } from './expression.js';
import { parseMetricKey, type Target } from './metric-key.js';
import { METRIC_TYPES, type CustomMetricsInScope, type Threshold, type ThresholdSet } from './types.js';

const ENTRY_FIELDS = new Set(['threshold', 'abortOnFail', 'delayAbortEval']);

/**
 * Checks every threshold in `raw` and returns them frozen, or throws one THRESHOLD_INVALID error
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
    throw invalidFields('THRESHOLD_INVALID', problems, {
      hint: 'a threshold reads AGG OP VALUE, e.g. http_req_duration: ["p(95)<500"], http_req_failed: ["rate<0.01"]',
    });
  }
  return Object.freeze(out);
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
      const ms = typeof delay === 'string' ? readUnitDuration(delay.trim()) : undefined;
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
