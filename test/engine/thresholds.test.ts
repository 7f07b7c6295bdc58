// Long because: the threshold grammar's table: every accepted and every refused expression, with its message.
import { describe, expect, it } from 'vitest';
import { CodestormError, ExitCode } from '../../src/errors.js';
import {
  evaluate,
  parseThresholds,
  type CounterAggregate,
  type GaugeAggregate,
  type MetricSource,
  type RateAggregate,
  type Tags,
  type Threshold,
  type TrendAggregate,
} from '../../src/engine/thresholds.js';

/** The error parseThresholds throws for `raw`, or a failure if it does not throw one. */
function parseError(raw: unknown, where?: string): CodestormError {
  try {
    parseThresholds(raw, where);
  } catch (err) {
    expect(err).toBeInstanceOf(CodestormError);
    return err as CodestormError;
  }
  throw new Error('expected parseThresholds to throw');
}

function problemLines(raw: unknown, where?: string): string[] {
  return parseError(raw, where).message.split('\n');
}

function only(raw: unknown): Threshold {
  const set = parseThresholds(raw);
  expect(set).toHaveLength(1);
  return set[0]!;
}

/** Aggregates looked up by `metric{k:v,...}` with the tags sorted; absent means no data. */
function fakeSource(data: {
  trend?: Record<string, TrendAggregate>;
  rate?: Record<string, RateAggregate>;
  counter?: Record<string, CounterAggregate>;
  gauge?: Record<string, GaugeAggregate>;
}): MetricSource {
  const id = (metric: string, tags: Tags): string => {
    const pairs = Object.entries(tags)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}:${v}`);
    return pairs.length === 0 ? metric : `${metric}{${pairs.join(',')}}`;
  };
  return {
    trend: (metric, tags) => data.trend?.[id(metric, tags)],
    rate: (metric, tags) => data.rate?.[id(metric, tags)],
    counter: (metric, tags) => data.counter?.[id(metric, tags)],
    gauge: (metric, tags) => data.gauge?.[id(metric, tags)],
  };
}

/** A valid expression for each metric. */
const VALID = {
  http_req_duration: 'p(50)<1',
  http_req_failed: 'rate<1',
  dropped_iterations: 'count<1',
  iterations: 'count<1',
  http_reqs: 'count<1',
} as const;

/** p(N) is N*10 ms, so p(95) = 950 and med = 500. */
const TREND: TrendAggregate = { percentile: (p) => p * 10, avg: 300, min: 5, max: 2000, count: 100 };
const SOURCE = fakeSource({
  trend: {
    http_req_duration: TREND,
    'http_req_duration{name:register}': { ...TREND, avg: 40 },
    'http_req_duration{name:empty}': { ...TREND, count: 0 },
  },
  rate: {
    http_req_failed: { passes: 3, total: 300 },
    'http_req_failed{name:scan,outcome:timeout}': { passes: 1, total: 2 },
    'http_req_failed{name:empty}': { passes: 0, total: 0 },
  },
  counter: {
    dropped_iterations: { count: 7, perSecond: 0.5 },
    http_reqs: { count: 6000, perSecond: 100 },
  },
});

describe('parseThresholds: valid', () => {
  it('parses the example from the issue', () => {
    const set = parseThresholds({ http_req_duration: ['p(95)<500'], http_req_failed: ['rate<0.01'] });
    expect(set).toEqual([
      {
        metric: 'http_req_duration',
        type: 'trend',
        custom: false,
        tags: {},
        key: 'http_req_duration',
        expr: 'p(95)<500',
        aggregation: { kind: 'percentile', p: 95 },
        op: '<',
        value: 500,
        abortOnFail: false,
        delayAbortEvalMs: 0,
      },
      {
        metric: 'http_req_failed',
        type: 'rate',
        custom: false,
        tags: {},
        key: 'http_req_failed',
        expr: 'rate<0.01',
        aggregation: { kind: 'rate' },
        op: '<',
        value: 0.01,
        abortOnFail: false,
        delayAbortEvalMs: 0,
      },
    ]);
  });

  it.each([
    ['http_req_duration', 'p(95)<500', { kind: 'percentile', p: 95 }, '<', 500],
    ['http_req_duration', 'p(99.9)<=1.5s', { kind: 'percentile', p: 99.9 }, '<=', 1500],
    ['http_req_duration', 'p(100) < 2000ms', { kind: 'percentile', p: 100 }, '<', 2000],
    ['http_req_duration', ' p( 90 ) === 1.1s ', { kind: 'percentile', p: 90 }, '===', 1100],
    ['http_req_duration', 'p(0.1)>0', { kind: 'percentile', p: 0.1 }, '>', 0],
    ['http_req_duration', 'avg>=100', { kind: 'avg' }, '>=', 100],
    ['http_req_duration', 'med==250', { kind: 'med' }, '==', 250],
    ['http_req_duration', 'min>0.5', { kind: 'min' }, '>', 0.5],
    ['http_req_duration', 'max!=3s', { kind: 'max' }, '!=', 3000],
    ['http_req_duration', 'max < 2 s', { kind: 'max' }, '<', 2000],
    ['http_req_duration', 'avg<.5s', { kind: 'avg' }, '<', 500],
    ['http_req_failed', 'rate<0.01', { kind: 'rate' }, '<', 0.01],
    ['http_req_failed', 'rate <= 1e-3', { kind: 'rate' }, '<=', 0.001],
    ['dropped_iterations', 'count==0', { kind: 'count' }, '==', 0],
    ['iterations', 'count>100', { kind: 'count' }, '>', 100],
    ['http_reqs', 'rate>=50', { kind: 'rate' }, '>=', 50],
    ['http_reqs', 'count<1e3', { kind: 'count' }, '<', 1000],
  ] as const)('%s: %s', (key, expr, aggregation, op, value) => {
    expect(only({ [key]: [expr] })).toMatchObject({ metric: key, key, expr, aggregation, op, value });
  });

  it.each([
    ['http_req_duration{name:register}', 'http_req_duration', { name: 'register' }],
    ['http_req_failed{name:scan,outcome:timeout}', 'http_req_failed', { name: 'scan', outcome: 'timeout' }],
    [' http_req_failed { name : scan , outcome : timeout } ', 'http_req_failed', { name: 'scan', outcome: 'timeout' }],
    ['http_reqs{url:http://ref:8080/codes}', 'http_reqs', { url: 'http://ref:8080/codes' }],
    ['dropped_iterations{scenario:morning}', 'dropped_iterations', { scenario: 'morning' }],
  ] as const)('tag filter %s', (key, metric, tags) => {
    const t = only({ [key]: [VALID[metric]] });
    expect(t.metric).toBe(metric);
    expect(t.key).toBe(key);
    expect(t.tags).toEqual(tags);
  });

  it.each([
    [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: '10s' }, true, 10_000],
    [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: '500ms' }, true, 500],
    [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: '1m' }, true, 60_000],
    [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: '1m30s' }, true, 90_000],
    [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: '1.5h' }, true, 5_400_000],
    [{ threshold: 'p(99)<1s', abortOnFail: true, delayAbortEval: '0s' }, true, 0],
    [{ threshold: 'p(99)<1s', abortOnFail: true }, true, 0],
    [{ threshold: 'p(99)<1s', abortOnFail: false }, false, 0],
    [{ threshold: 'p(99)<1s' }, false, 0],
    [{ threshold: 'p(99)<1s', delayAbortEval: '5s' }, false, 5_000],
  ])('object form %j', (entry, abortOnFail, delayAbortEvalMs) => {
    expect(only({ http_req_duration: [entry] })).toMatchObject({
      expr: 'p(99)<1s',
      value: 1000,
      abortOnFail,
      delayAbortEvalMs,
    });
  });

  it('keeps order across keys and entries, mixing both forms', () => {
    const set = parseThresholds({
      http_req_duration: ['p(95)<500', { threshold: 'p(99)<1s', abortOnFail: true }],
      'http_req_duration{name:register}': ['avg<200'],
      http_req_failed: ['rate<0.01'],
      http_reqs: [],
    });
    expect(set.map((t) => `${t.key} ${t.expr}`)).toEqual([
      'http_req_duration p(95)<500',
      'http_req_duration p(99)<1s',
      'http_req_duration{name:register} avg<200',
      'http_req_failed rate<0.01',
    ]);
  });

  it('accepts an empty map', () => {
    expect(parseThresholds({})).toEqual([]);
  });

  it('freezes the result all the way down and leaves the input alone', () => {
    const raw = {
      'http_req_duration{name:register}': ['p(95)<500', { threshold: 'avg<1s', abortOnFail: true }],
    };
    const copy = structuredClone(raw);
    const set = parseThresholds(raw);
    expect(raw).toEqual(copy);
    expect(Object.isFrozen(set)).toBe(true);
    for (const t of set) {
      expect(Object.isFrozen(t)).toBe(true);
      expect(Object.isFrozen(t.tags)).toBe(true);
      expect(Object.isFrozen(t.aggregation)).toBe(true);
    }
    expect(() => (set as Threshold[]).push(set[0]!)).toThrow(TypeError);
    expect(() => {
      (set[0] as { value: number }).value = 1;
    }).toThrow(TypeError);
    expect(() => {
      (set[0]!.tags as Record<string, string>)['name'] = 'x';
    }).toThrow(TypeError);
  });
});

describe('parseThresholds: invalid', () => {
  it('throws THRESHOLD_INVALID, exit code 2, with a hint', () => {
    const err = parseError({ http_req_duration: ['p95<500'] });
    expect(err.code).toBe('THRESHOLD_INVALID');
    expect(err.exitCode).toBe(ExitCode.invalidInput);
    expect(err.hint).toMatch(/p\(95\)<500/);
    expect(err.message).toBe(
      'thresholds.http_req_duration[0]: unknown aggregation "p95" (expected p(N), avg, med, min, max) in "p95<500"',
    );
  });

  /** One problem per entry: [metric key, entry, path suffix after the index, what the line says]. */
  const entryCases: [string, unknown, string, RegExp][] = [
    ['http_req_duration', 'p95<500', '', /unknown aggregation "p95" \(expected p\(N\), avg, med, min, max\)/],
    ['http_req_duration', 'P(95)<500', '', /unknown aggregation "P\(95\)"/],
    ['http_req_duration', 'p(0)<500', '', /bad percentile "p\(0\)" \(expected p\(N\) with 0 < N <= 100/],
    ['http_req_duration', 'p(100.5)<500', '', /bad percentile "p\(100\.5\)"/],
    ['http_req_duration', 'p()<500', '', /bad percentile "p\(\)"/],
    ['http_req_duration', 'p(-5)<500', '', /bad percentile "p\(-5\)"/],
    ['http_req_duration', 'rate<0.01', '', /aggregation "rate" does not apply to http_req_duration, a trend/],
    ['http_req_duration', 'count>1', '', /aggregation "count" does not apply to http_req_duration/],
    ['http_req_duration', 'avg 500', '', /missing operator \(expected AGG OP VALUE with OP one of </],
    ['http_req_duration', 'avg=>500', '', /unknown operator "=>" \(expected one of <, <=, >, >=, ==, ===, !=\)/],
    ['http_req_duration', 'avg=500', '', /unknown operator "="/],
    ['http_req_duration', 'avg<', '', /missing value after the operator/],
    ['http_req_duration', '<500', '', /missing aggregation \(expected p\(N\), avg, med, min, max\)/],
    ['http_req_duration', 'avg<fast', '', /bad value "fast" \(expected a number, optionally with ms or s\)/],
    ['http_req_duration', 'avg<5m', '', /unknown unit "m" in value "5m" \(expected ms or s\)/],
    ['http_req_duration', 'avg<1e999', '', /value "1e999" is out of range/],
    ['http_req_duration', '  ', '', /empty expression/],
    ['http_req_duration', 42, '', /expected an expression string or \{threshold, abortOnFail, delayAbortEval\}, got number 42/],
    ['http_req_duration', null, '', /got null/],
    ['http_req_duration', { threshold: 'avg<1', abortOnFail: 'yes' }, '.abortOnFail', /expected true or false, got the string "yes"/],
    ['http_req_duration', { threshold: 'avg<1', delayAbortEval: '10' }, '.delayAbortEval', /expected a duration such as "10s".*got the string "10"/],
    ['http_req_duration', { threshold: 'avg<1', delayAbortEval: '-5s' }, '.delayAbortEval', /got the string "-5s"/],
    ['http_req_duration', { threshold: 'avg<1', delayAbortEval: 10 }, '.delayAbortEval', /got number 10/],
    ['http_req_duration', { threshold: 'avg<1', abortonfail: true }, '', /unknown field "abortonfail" \(expected threshold, abortOnFail, delayAbortEval\)/],
    ['http_req_duration', { abortOnFail: true }, '.threshold', /expected an expression such as "p\(95\)<500", got nothing/],
    ['http_req_duration', { threshold: 'p95<1' }, '.threshold', /unknown aggregation "p95"/],
    ['http_req_failed', 'p(95)<500', '', /aggregation "p\(95\)" does not apply to http_req_failed, a rate \(expected rate\)/],
    ['http_req_failed', 'avg<1', '', /aggregation "avg" does not apply to http_req_failed/],
    ['http_req_failed', 'rate<1%', '', /bad value "1%" \(expected a number\)/],
    ['http_req_failed', 'rate<0.01s', '', /value "0.01s" takes no unit \(http_req_failed is a rate\)/],
    ['dropped_iterations', 'p(99)<1', '', /does not apply to dropped_iterations, a counter \(expected count, rate\)/],
    ['iterations', 'med>1', '', /does not apply to iterations, a counter/],
    ['http_reqs', 'count<5ms', '', /value "5ms" takes no unit \(http_reqs is a counter\)/],
  ];

  it.each(entryCases)('%s: %j', (key, entry, suffix, says) => {
    const lines = problemLines({ [key]: [entry] });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`thresholds.${key}[0]${suffix}: `)).toBe(true);
    expect(lines[0]).toMatch(says);
    // Expression problems quote the whole expression as well as the part at fault.
    if (suffix === '' && typeof entry === 'string' && entry.trim() !== '') {
      expect(lines[0]!.endsWith(` in "${entry}"`)).toBe(true);
    }
  });

  /** One problem per key: [metric key, entries, what the line says]. */
  const keyCases: [string, unknown, RegExp][] = [
    ['http_req_durations', ['avg<1'], /unknown metric "http_req_durations" \(expected http_req_duration, http_req_failed, dropped_iterations, iterations, http_reqs, correctness_violations, checks\)/],
    ['vus', ['count<1'], /unknown metric "vus"/],
    ['{name:x}', ['avg<1'], /missing metric name/],
    ['http_req_duration{name:register', ['avg<1'], /tag filter "\{name:register" is not closed with "\}"/],
    ['http_req_duration}', ['avg<1'], /unexpected "\}"/],
    ['http_req_duration{a:{b}}', ['avg<1'], /unexpected brace in tag filter/],
    ['http_req_duration{}', ['avg<1'], /empty tag filter "\{\}"/],
    ['http_req_duration{name}', ['avg<1'], /tag filter entry "name" in "\{name\}" is not key:value/],
    ['http_req_duration{name:}', ['avg<1'], /tag filter entry "name:" in "\{name:\}" is not key:value/],
    ['http_req_duration{name:a,}', ['avg<1'], /tag filter entry "" in "\{name:a,\}" is not key:value/],
    ['http_req_duration{name:a,name:b}', ['avg<1'], /tag "name" appears twice/],
    ['http_req_failed', 'rate<0.01', /expected a list of thresholds, got the string "rate<0.01"/],
    ['http_req_failed', { threshold: 'rate<0.01' }, /expected a list of thresholds, got an object/],
  ];

  it.each(keyCases)('key %s', (key, entries, says) => {
    const lines = problemLines({ [key]: entries });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`thresholds.${key}: `)).toBe(true);
    expect(lines[0]).toMatch(says);
  });

  it.each([[[]], ['p(95)<500'], [null], [undefined], [42]])('rejects %j as the whole map', (raw) => {
    const lines = problemLines(raw);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^thresholds: expected a map of metric to a list of thresholds, got /);
  });

  it('collects every problem in one error, one line each, naming key and index', () => {
    const raw: Record<string, unknown[]> = {};
    const expected: { prefix: string; says: RegExp }[] = [];
    for (const [key, entry, suffix, says] of entryCases) {
      const list = (raw[key] ??= []);
      // A valid entry between the bad ones: indexes must still point at the right place.
      list.push(VALID[key as keyof typeof VALID]);
      expected.push({ prefix: `thresholds.${key}[${list.length}]${suffix}: `, says });
      list.push(entry);
    }
    for (const [key, entries, says] of keyCases) {
      if (Object.hasOwn(raw, key)) continue; // the not-a-list cases reuse a key already in use
      raw[key] = entries as unknown[];
      expected.push({ prefix: `thresholds.${key}: `, says });
    }
    const lines = problemLines(raw);
    expect(lines).toHaveLength(expected.length);
    expect(lines.length).toBeGreaterThan(40);
    for (const [i, { prefix, says }] of expected.entries()) {
      expect(lines[i]!.startsWith(prefix), `line ${i}: ${lines[i]} should start with ${prefix}`).toBe(true);
      expect(lines[i]).toMatch(says);
    }
  });

  it('reports every problem within a single expression', () => {
    const lines = problemLines({ http_req_duration: ['p95=>abc'] });
    expect(lines).toEqual([
      'thresholds.http_req_duration[0]: unknown operator "=>" (expected one of <, <=, >, >=, ==, ===, !=) in "p95=>abc"',
      'thresholds.http_req_duration[0]: unknown aggregation "p95" (expected p(N), avg, med, min, max) in "p95=>abc"',
      'thresholds.http_req_duration[0]: bad value "abc" (expected a number, optionally with ms or s) in "p95=>abc"',
    ]);
  });

  it('still checks the entries of an unknown metric against every aggregation', () => {
    expect(problemLines({ http_req_durration: ['p(95)<500', 'p95<500'] })).toEqual([
      'thresholds.http_req_durration: unknown metric "http_req_durration" (expected http_req_duration, http_req_failed, dropped_iterations, iterations, http_reqs, correctness_violations, checks)',
      'thresholds.http_req_durration[1]: unknown aggregation "p95" (expected p(N), avg, med, min, max, rate, count, value) in "p95<500"',
    ]);
  });

  it('reports a bad entry field and a bad expression in the same object', () => {
    expect(
      problemLines({ http_req_failed: [{ threshold: 'rate<1s', abortOnFail: 1, delayAbortEval: 'soon' }] }),
    ).toEqual([
      'thresholds.http_req_failed[0].abortOnFail: expected true or false, got number 1',
      'thresholds.http_req_failed[0].delayAbortEval: expected a duration such as "10s", "500ms", "1m" or "1m30s", got the string "soon"',
      'thresholds.http_req_failed[0].threshold: value "1s" takes no unit (http_req_failed is a rate) in "rate<1s"',
    ]);
  });

  it('prefixes every line with `where`', () => {
    const lines = problemLines({ http_req_duration: ['p95<500'], nope: ['count<1'] }, 'scenario.yaml: thresholds');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^scenario\.yaml: thresholds\.http_req_duration\[0\]: unknown aggregation "p95"/);
    expect(lines[1]).toMatch(/^scenario\.yaml: thresholds\.nope: unknown metric "nope"/);
  });
});

describe('evaluate', () => {
  /** [metric key, expression, ok, observed value] against SOURCE. */
  it.each([
    // every operator, on avg = 300, both ways
    ['http_req_duration', 'avg<301', true, 300],
    ['http_req_duration', 'avg<300', false, 300],
    ['http_req_duration', 'avg<=300', true, 300],
    ['http_req_duration', 'avg<=299', false, 300],
    ['http_req_duration', 'avg>299', true, 300],
    ['http_req_duration', 'avg>300', false, 300],
    ['http_req_duration', 'avg>=300', true, 300],
    ['http_req_duration', 'avg>=301', false, 300],
    ['http_req_duration', 'avg==300', true, 300],
    ['http_req_duration', 'avg==301', false, 300],
    ['http_req_duration', 'avg===300', true, 300],
    ['http_req_duration', 'avg===301', false, 300],
    ['http_req_duration', 'avg!=301', true, 300],
    ['http_req_duration', 'avg!=300', false, 300],
    // every aggregation
    ['http_req_duration', 'p(95)<951', true, 950],
    ['http_req_duration', 'p(95)<950', false, 950],
    ['http_req_duration', 'p(99.9)<1s', true, 999],
    ['http_req_duration', 'p(100)<1s', false, 1000],
    ['http_req_duration', 'med==500', true, 500],
    ['http_req_duration', 'med<0.5s', false, 500],
    ['http_req_duration', 'min>=5', true, 5],
    ['http_req_duration', 'min>5', false, 5],
    ['http_req_duration', 'max<=2s', true, 2000],
    ['http_req_duration', 'max<2s', false, 2000],
    ['http_req_failed', 'rate<=0.01', true, 0.01],
    ['http_req_failed', 'rate<0.01', false, 0.01],
    ['dropped_iterations', 'count==7', true, 7],
    ['dropped_iterations', 'count==0', false, 7],
    ['dropped_iterations', 'rate<1', true, 0.5],
    ['dropped_iterations', 'rate<0.5', false, 0.5],
    ['http_reqs', 'rate>=100', true, 100],
    ['http_reqs', 'count>6000', false, 6000],
    // tag filters select their own aggregates
    ['http_req_duration{name:register}', 'avg<50', true, 40],
    ['http_req_failed{ outcome:timeout, name:scan }', 'rate<0.5', false, 0.5],
    // no data: trends and rates pass vacuously, counters count zero
    ['http_req_duration{name:nothing}', 'p(95)<1', true, null],
    ['http_req_duration{name:empty}', 'avg<1', true, null],
    ['http_req_failed{name:nothing}', 'rate<0.01', true, null],
    ['http_req_failed{name:empty}', 'rate==1', true, null],
    ['iterations', 'count==0', true, 0],
    ['iterations', 'count>0', false, 0],
    ['iterations', 'rate>=1', false, 0],
  ] as const)('%s: %s -> ok %s, value %s', (key, expr, ok, value) => {
    const [result] = evaluate(parseThresholds({ [key]: [expr] }), SOURCE, 0);
    expect(result).toMatchObject({ ok, value, shouldAbort: false });
    expect(result!.threshold.expr).toBe(expr);
  });

  it('asks for percentiles in percent, med as p(50)', () => {
    const asked: number[] = [];
    const source: MetricSource = {
      trend: () => ({ ...TREND, percentile: (p) => (asked.push(p), 0) }),
      rate: () => undefined,
      counter: () => undefined,
      gauge: () => undefined,
    };
    evaluate(parseThresholds({ http_req_duration: ['p(95)<1', 'p(99.9)<1', 'med<1', 'p(100)<1'] }), source, 0);
    expect(asked).toEqual([95, 99.9, 50, 100]);
  });

  it('passes the metric and its tag filter to the source', () => {
    const asked: string[] = [];
    const source: MetricSource = {
      trend: (m, tags) => (asked.push(`trend ${m} ${JSON.stringify(tags)}`), undefined),
      rate: (m, tags) => (asked.push(`rate ${m} ${JSON.stringify(tags)}`), undefined),
      counter: (m, tags) => (asked.push(`counter ${m} ${JSON.stringify(tags)}`), undefined),
      gauge: (m, tags) => (asked.push(`gauge ${m} ${JSON.stringify(tags)}`), undefined),
    };
    evaluate(
      parseThresholds({
        'http_req_duration{name:register}': ['avg<1'],
        'http_req_failed{name:scan,outcome:timeout}': ['rate<1'],
        http_reqs: ['count<1'],
      }),
      source,
      0,
    );
    expect(asked).toEqual([
      'trend http_req_duration {"name":"register"}',
      'rate http_req_failed {"name":"scan","outcome":"timeout"}',
      'counter http_reqs {}',
    ]);
  });

  it.each([
    // [entry, elapsedMs, shouldAbort]
    [{ threshold: 'avg<100', abortOnFail: true, delayAbortEval: '10s' }, 0, false],
    [{ threshold: 'avg<100', abortOnFail: true, delayAbortEval: '10s' }, 9_999, false],
    [{ threshold: 'avg<100', abortOnFail: true, delayAbortEval: '10s' }, 10_000, true],
    [{ threshold: 'avg<100', abortOnFail: true, delayAbortEval: '10s' }, 60_000, true],
    [{ threshold: 'avg<100', abortOnFail: true }, 0, true],
    [{ threshold: 'avg<100', abortOnFail: false, delayAbortEval: '10s' }, 60_000, false],
    [{ threshold: 'avg<100' }, 60_000, false],
    ['avg<100', 60_000, false],
    [{ threshold: 'avg<1s', abortOnFail: true }, 60_000, false], // holds: nothing to abort
  ])('%j at %i ms: shouldAbort %s', (entry, elapsedMs, shouldAbort) => {
    const [result] = evaluate(parseThresholds({ http_req_duration: [entry] }), SOURCE, elapsedMs);
    expect(result!.shouldAbort).toBe(shouldAbort);
  });

  it('never aborts on a vacuous pass', () => {
    const set = parseThresholds({ 'http_req_failed{name:nothing}': [{ threshold: 'rate==1', abortOnFail: true }] });
    expect(evaluate(set, SOURCE, 60_000)).toMatchObject([{ ok: true, value: null, shouldAbort: false }]);
  });

  it('returns one frozen result per threshold, in order', () => {
    const set = parseThresholds({ http_req_duration: ['p(95)<500', 'avg<500'], http_req_failed: ['rate<0.05'] });
    const results = evaluate(set, SOURCE, 0);
    expect(results.map((r) => [r.threshold, r.ok, r.value])).toEqual([
      [set[0], false, 950],
      [set[1], true, 300],
      [set[2], true, 0.01],
    ]);
    for (const r of results) expect(Object.isFrozen(r)).toBe(true);
  });
});
