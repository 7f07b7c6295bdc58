import type { MetricUnit } from '../journey.js';
import type { Target } from './metric-key.js';
import type { Aggregation, MetricType, Operator, Threshold } from './types.js';

/** A threshold's expression, `AGG OP VALUE`, against its metric (grammar.ts has the grammar). */
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
const NUMBER = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+))?\s*([A-Za-z]*)$/;

/** `AGG OP VALUE`. With no target (an unusable key), checks the syntax against every metric type. */
export function parseExpression(
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
