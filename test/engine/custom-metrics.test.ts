// Long because: custom metrics from declaration to threshold (record, merge, write, read back, judge), one pipeline, each stage's table.
import { describe, expect, it } from 'vitest';
import { RunAggregate } from '../../src/engine/aggregate.js';
import { CustomRecorder, MAX_TAG_SETS, MetricMisuse, type Series } from '../../src/engine/custom-metrics.js';
import { createHistogram, decodeHistogram, percentileMs, recordValue, VALUE_LAYOUT } from '../../src/engine/histogram.js';
import type { CustomMetrics, MetricDeclarations } from '../../src/engine/journey.js';
import { checkDeclarations } from '../../src/engine/metric-declarations.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { declarationLines, parseNdjsonLine, toNdjsonLine, type NdjsonRecord } from '../../src/run-files/index.js';
import { evaluate, parseThresholds } from '../../src/engine/thresholds.js';
import { CodestormError } from '../../src/errors.js';

/**
 * Custom metrics without a run: declarations checked, samples recorded in worker-like
 * SecondMetrics, merged across "workers" as the main thread merges them, written to and read back
 * from metrics.ndjson, and judged by thresholds through the run's aggregate.
 */

/** mulberry32: small, fast, seeded; uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DECLARED: MetricDeclarations = checkDeclarations(
  {
    people_sampled: { type: 'counter', description: 'residents sampled' },
    queue_depth: { type: 'gauge', description: 'people waiting at a table', unit: '' },
    codes_green: { type: 'rate', description: 'codes that were green' },
    time_to_code: { type: 'trend', description: 'time until a resident saw their code', unit: 'ms' },
    code_shown_at: { type: 'trend', description: 'when a resident saw their code', unit: 'clock' },
  },
  'fixture.js',
);

/** A worker's recorder writing into the SecondMetrics `second()` returns, at the time `now()` says. */
function worker(second: () => SecondMetrics, now: () => number = () => 0): { metrics: CustomMetrics; misuses: string[] } {
  const misuses: string[] = [];
  const recorder = new CustomRecorder(DECLARED, 'fixture.js', (series: Series, value: number) => second().custom(series, value, now()), (m) => misuses.push(m));
  return { metrics: recorder.metrics, misuses };
}

function misuseOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MetricMisuse);
    expect((err as CodestormError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a MetricMisuse');
}

function records(text: string): NdjsonRecord[] {
  return text
    .trim()
    .split('\n')
    .map((l, i) => parseNdjsonLine(l, `line ${i + 1}`));
}

describe('custom-metric declarations', () => {
  it('fills in each kind\'s unit and freezes the result', () => {
    expect(DECLARED['people_sampled']).toEqual({ type: 'counter', description: 'residents sampled', unit: 'count' });
    expect(DECLARED['queue_depth']?.unit).toBe('');
    expect(DECLARED['time_to_code']?.unit).toBe('ms');
    expect(Object.isFrozen(DECLARED)).toBe(true);
    expect(checkDeclarations(undefined, 'm.js')).toEqual({});
  });

  it('reports every problem at once, naming the module and the metric', () => {
    let message = '';
    try {
      checkDeclarations(
        {
          '1st': { type: 'counter', description: 'x' },
          http_req_duration: { type: 'trend', description: 'mine' },
          vus: { type: 'gauge', description: 'a k6 built-in' },
          bad_kind: { type: 'histogram', description: 'x' },
          no_words: { type: 'counter', description: '  ' },
          extra: { type: 'rate', description: 'x', isTime: true },
          odd_unit: { type: 'trend', description: 'x', unit: 'seconds' },
        },
        'shop.js',
      );
    } catch (err) {
      expect((err as CodestormError).code).toBe('METRICS_DECLARATION_INVALID');
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines.every((l) => l.startsWith('shop.js: metrics.'))).toBe(true);
    expect(lines.some((l) => l.startsWith('shop.js: metrics.1st: a metric name'))).toBe(true);
    expect(lines.some((l) => l.includes('metrics.http_req_duration: "http_req_duration" is a built-in'))).toBe(true);
    expect(lines.some((l) => l.includes('metrics.vus: "vus" is a built-in'))).toBe(true);
    expect(lines.some((l) => l.startsWith('shop.js: metrics.bad_kind.type:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('shop.js: metrics.no_words.description:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('shop.js: metrics.extra:') && l.includes('isTime'))).toBe(true);
    expect(lines.some((l) => l.startsWith('shop.js: metrics.odd_unit.unit:'))).toBe(true);
    expect(lines).toHaveLength(7);
  });
});

describe('recording in a worker', () => {
  it('keeps one cell per (metric, tag set) per second, whatever order the tags come in', () => {
    const s = new SecondMetrics(3);
    const { metrics, misuses } = worker(() => s, () => 3_500);
    metrics.counter('people_sampled');
    metrics.counter('people_sampled', 2, { method: 'scan', site: 'a' });
    metrics.counter('people_sampled', 3, { site: 'a', method: 'scan' });
    metrics.counter('people_sampled', 4, { method: 'manual' });
    const { counter } = metrics; // ctx.metrics may be destructured
    counter('people_sampled', 0, {});
    const wire = s.toWire().custom;
    expect(misuses).toEqual([]);
    expect(wire.map((c) => [c.tags, c.count, c.sum])).toEqual([
      [{}, 2, 1],
      [{ method: 'scan', site: 'a' }, 2, 5],
      [{ method: 'manual' }, 1, 4],
    ]);
  });

  it('makes misuse loud: undeclared, wrong kind, bad values and bad tags, naming the module and the metric', () => {
    const s = new SecondMetrics(0);
    const { metrics, misuses } = worker(() => s);
    expect(misuseOf(() => metrics.counter('people_sampeld'))).toBe(
      'fixture.js: metric "people_sampeld" is not declared (declared: people_sampled, queue_depth, codes_green, time_to_code, code_shown_at)',
    );
    expect(misuseOf(() => metrics.trend('people_sampled', 1))).toBe('fixture.js: metric "people_sampled" is declared a counter, but was recorded with trend()');
    expect(misuseOf(() => metrics.counter('people_sampled', -1))).toMatch(/counter\(\) adds a finite number >= 0, got -1/);
    expect(misuseOf(() => metrics.trend('time_to_code', Number.NaN))).toMatch(/trend\(\) takes a finite number, got NaN/);
    expect(misuseOf(() => metrics.gauge('queue_depth', Number.POSITIVE_INFINITY))).toMatch(/gauge\(\) takes a finite number/);
    expect(misuseOf(() => metrics.rate('codes_green', 'yes' as unknown as boolean))).toMatch(/rate\(\) takes true\/false or a number, got "yes"/);
    expect(misuseOf(() => metrics.counter('people_sampled', 1, { site: 7 as unknown as string }))).toMatch(/tag "site" must be a string, got 7/);
    expect(misuseOf(() => metrics.counter('people_sampled', 1, { 'a b': 'x' }))).toMatch(/tag key "a b"/);
    // The first misuse reaches the worker (which stops the run); each one stops its journey.
    expect(misuses).toHaveLength(1);
    expect(misuses[0]).toContain('people_sampeld');
    expect(s.toWire().custom).toEqual([]);
  });

  it('bounds the tag sets of a metric: the excess keeps the totals exact and is counted', () => {
    const s = new SecondMetrics(0);
    const { metrics } = worker(() => s);
    const residents = MAX_TAG_SETS + 36;
    for (let i = 0; i < residents; i++) metrics.counter('people_sampled', 1, { resident: `r${i}` });
    for (let i = 0; i < residents; i++) metrics.counter('people_sampled', 1, { resident: `r${i}` });
    const wire = s.toWire().custom;
    const tagged = wire.filter((c) => Object.keys(c.tags).length > 0);
    const untagged = wire.find((c) => Object.keys(c.tags).length === 0)!;
    expect(tagged).toHaveLength(MAX_TAG_SETS);
    expect(tagged.every((c) => c.sum === 2 && c.tagsDropped === 0)).toBe(true);
    expect(untagged.sum).toBe(2 * 36);
    expect(untagged.tagsDropped).toBe(2 * 36);
    expect(wire.reduce((sum, c) => sum + c.sum, 0)).toBe(2 * residents);
  });
});

describe('merging custom metrics across workers', () => {
  it('adds counters and rates exactly, merges trends into the single histogram of all samples, and keeps the latest gauge', () => {
    const random = prng(11);
    const WORKERS = 3;
    const seconds = Array.from({ length: WORKERS }, () => new SecondMetrics(5));
    let clock = 5_000;
    let current = 0;
    const workers = seconds.map((_, i) => worker(() => seconds[i]!, () => clock));
    const single = createHistogram(VALUE_LAYOUT);
    const values: number[] = [];
    let sampled = 0;
    let manual = 0;
    let green = 0;
    let total = 0;
    let latestGauge = Number.NaN;
    let minGauge = Infinity;
    let maxGauge = -Infinity;
    for (let i = 0; i < 30_000; i++) {
      current = Math.floor(random() * WORKERS);
      const { metrics } = workers[current]!;
      clock += random() < 0.2 ? 0 : random(); // ties in time happen
      const method = random() < 0.3 ? 'manual' : 'scan';
      const n = 1 + Math.floor(random() * 3);
      metrics.counter('people_sampled', n, { method });
      sampled += n;
      if (method === 'manual') manual += n;
      const isGreen = random() < 0.8;
      metrics.rate('codes_green', isGreen);
      green += isGreen ? 1 : 0;
      total++;
      // Heavy-tailed times with fractions of a millisecond, a few out of range (negative).
      const v = random() < 0.001 ? -5 : 20 * Math.exp(2 * (random() - 0.5)) + (random() < 0.05 ? 5_000 * random() : 0);
      metrics.trend('time_to_code', v);
      recordValue(single, v);
      values.push(v);
      const depth = Math.round(random() * 100);
      metrics.gauge('queue_depth', depth);
      latestGauge = depth; // recorded last, at the latest time: ties go to the one added last
      minGauge = Math.min(minGauge, depth);
      maxGauge = Math.max(maxGauge, depth);
    }
    // The main thread gets the workers' seconds in worker order; the last gauge sample may be in any.
    const wires = seconds.map((s) => s.toWire());
    const lastWorker = current;
    const merged = mergeWire(wires).custom;
    const by = (metric: string, tags = {}) => merged.find((c) => c.metric === metric && JSON.stringify(c.tags) === JSON.stringify(tags))!;
    expect(by('people_sampled', { method: 'manual' }).sum).toBe(manual);
    expect(by('people_sampled', { method: 'scan' }).sum).toBe(sampled - manual);
    expect(by('codes_green')).toMatchObject({ sum: green, count: total });
    const trend = by('time_to_code');
    expect(trend.count).toBe(values.length);
    expect(trend.min).toBe(Math.min(...values));
    expect(trend.max).toBe(Math.max(...values));
    expect(trend.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
    expect(trend.clamped).toBe(values.filter((v) => v < 0).length);
    expect(trend.clamped).toBeGreaterThan(0);
    for (const p of [0, 50, 90, 95, 99, 99.9, 100]) expect(percentileMs(trend.histogram!, p)).toBe(percentileMs(single, p));
    const gauge = by('queue_depth');
    expect(gauge).toMatchObject({ value: latestGauge, min: minGauge, max: maxGauge, count: total });
    expect(lastWorker).toBeGreaterThanOrEqual(0);
  });

  it('a gauge keeps the value recorded last in time, whichever worker recorded it', () => {
    const a = new SecondMetrics(1);
    const b = new SecondMetrics(1);
    let t = 0;
    const wa = worker(() => a, () => t).metrics;
    const wb = worker(() => b, () => t).metrics;
    t = 1_100;
    wb.gauge('queue_depth', 7);
    t = 1_900;
    wa.gauge('queue_depth', 3);
    t = 1_500;
    wb.gauge('queue_depth', 50);
    for (const order of [[a, b], [b, a]]) {
      const g = mergeWire(order.map((s) => s.toWire())).custom[0]!;
      expect(g).toMatchObject({ value: 3, at: 1_900, min: 3, max: 50, count: 3 });
    }
  });
});

describe('custom metrics in metrics.ndjson', () => {
  function oneSecond(): string {
    const s = new SecondMetrics(2);
    const { metrics } = worker(() => s, () => 2_250.5);
    s.request('get', 'ok', 1_000, 900);
    metrics.counter('people_sampled', 3, { method: 'manual' });
    metrics.rate('codes_green', true);
    metrics.rate('codes_green', 0);
    metrics.gauge('queue_depth', 4.5);
    for (const v of [12.25, 40, 3_000.125]) metrics.trend('time_to_code', v, { step: 'open' });
    metrics.trend('code_shown_at', 9 * 3600 + 61);
    return toNdjsonLine(mergeWire([s.toWire()]));
  }

  it('writes the documented line shapes, one per (second, metric, tag set), after the request lines', () => {
    const lines = oneSecond().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.name ?? l.metric)).toEqual(['*', 'get', 'code_shown_at', 'codes_green', 'people_sampled', 'queue_depth', 'time_to_code']);
    expect(lines[3]).toEqual({ t: 2, metric: 'codes_green', type: 'rate', tags: {}, count: 2, passes: 1 });
    expect(lines[4]).toEqual({ t: 2, metric: 'people_sampled', type: 'counter', tags: { method: 'manual' }, count: 1, sum: 3 });
    expect(lines[5]).toEqual({ t: 2, metric: 'queue_depth', type: 'gauge', tags: {}, count: 1, value: 4.5, at: 2_250.5, min: 4.5, max: 4.5 });
    const trend = lines[6];
    expect(Object.keys(trend)).toEqual(['t', 'metric', 'type', 'tags', 'count', 'sum', 'min', 'max', 'clamped', 'p50', 'p90', 'p95', 'p99', 'hdr']);
    expect(trend).toMatchObject({ tags: { step: 'open' }, count: 3, sum: 3_052.375, min: 12.25, max: 3_000.125, clamped: 0 });
    // Percentiles to 0.1 %, held inside the exact extremes.
    expect(trend.p50).toBeGreaterThanOrEqual(40);
    expect(trend.p50).toBeLessThanOrEqual(40 * 1.001);
    expect(trend.p99).toBe(3_000.125);
    expect(decodeHistogram(trend.hdr, VALUE_LAYOUT).totalCount).toBe(3);
  });

  it('round-trips declarations and seconds through the strict reader', () => {
    const text = declarationLines(DECLARED) + oneSecond();
    const back = records(text);
    const declared = back.filter((r) => r.kind === 'metric');
    expect(Object.fromEntries(declared.map((r) => (r.kind === 'metric' ? [r.metric, r.declaration] : [])))).toEqual(DECLARED);
    expect(JSON.parse(text.split('\n')[4]!)).toEqual({ metric: 'time_to_code', type: 'trend', contains: 'time', unit: 'ms', description: 'time until a resident saw their code' });
    const cells = back.flatMap((r) => (r.kind === 'custom' ? [r] : []));
    expect(cells).toHaveLength(5);
    // What was read back writes the same lines again.
    const again = cells.map((r) => (r.kind === 'custom' ? r.cell : undefined)!);
    const rewritten = toNdjsonLine({ t: 2, offered: 0, started: 0, dropped: 0, iterations: 0, inFlightMax: 0, requests: new Map(), custom: again });
    expect(rewritten.split('\n').slice(1)).toEqual(oneSecond().split('\n').slice(2));
  });

  it('lists every problem of a bad custom line at once', () => {
    const problems = (line: object): string[] => {
      try {
        parseNdjsonLine(JSON.stringify(line), 'run/metrics.ndjson:9');
      } catch (err) {
        expect((err as CodestormError).code).toBe('METRICS_LINE_INVALID');
        return (err as Error).message.split('\n');
      }
      throw new Error('expected the line to be refused');
    };
    expect(problems({ t: 1, metric: 'x', type: 'counter', tags: {}, count: 1, sum: -1, extra: 1 })).toEqual([
      'run/metrics.ndjson:9: sum: Too small: expected number to be >=0',
      'run/metrics.ndjson:9: (line): Unrecognized key: "extra"',
    ]);
    expect(problems({ t: 1, metric: 'x', type: 'rate', tags: {}, count: 1, passes: 2 })).toEqual(['run/metrics.ndjson:9: passes: 2 is more than count (1)']);
    expect(problems({ t: 1, metric: 'x', type: 'histogram', tags: {}, count: 1 })[0]).toMatch(/^run\/metrics.ndjson:9: type: /);
    expect(problems({ metric: 'x', type: 'counter', contains: 'default', unit: 'count' })).toEqual(['run/metrics.ndjson:9: description: Invalid input: expected string, received undefined']);
    const line = JSON.parse(oneSecond().trim().split('\n').at(-1)!);
    expect(problems({ ...line, count: 4 })).toEqual(['run/metrics.ndjson:9: hdr: holds 3 values, but count says 4']);
    expect(problems({ t: 1, metric: 'x', type: 'counter', tags: { a: 'b' }, count: 1, sum: 1, tagsDropped: 1 })[0]).toMatch(/tagsDropped: only an untagged line/);
  });
});

describe('thresholds on custom metrics', () => {
  const custom = { metrics: DECLARED, from: 'shop.js' };

  function aggregate(): RunAggregate {
    const a = new RunAggregate();
    for (let t = 0; t < 10; t++) {
      const s = new SecondMetrics(t);
      const { metrics } = worker(() => s, () => t * 1000 + 500);
      for (let i = 0; i < 10; i++) metrics.counter('people_sampled', 1, { method: i < 3 ? 'manual' : 'scan' });
      for (let i = 0; i < 10; i++) metrics.rate('codes_green', i < 8, { district: t < 5 ? 'north' : 'south' });
      metrics.gauge('queue_depth', t * 2);
      for (let i = 1; i <= 100; i++) metrics.trend('time_to_code', i * 10, { step: t % 2 === 0 ? 'even' : 'odd' });
      metrics.trend('code_shown_at', 9 * 3600 + t * 60);
      a.add(mergeWire([s.toWire()]));
    }
    return a;
  }

  it.each([
    ['people_sampled', 'count==100', true, 100],
    ['people_sampled', 'count>100', false, 100],
    ['people_sampled', 'rate==10', true, 10],
    ['people_sampled{method:manual}', 'count==30', true, 30],
    ['people_sampled{method:manual}', 'count<30', false, 30],
    ['people_sampled{method:nobody}', 'count==0', true, 0],
    ['codes_green', 'rate==0.8', true, 0.8],
    ['codes_green', 'rate>0.9', false, 0.8],
    ['codes_green{district:south}', 'rate>=0.8', true, 0.8],
    ['queue_depth', 'value==18', true, 18],
    ['queue_depth', 'max<18', false, 18],
    ['queue_depth', 'min==0', true, 0],
    ['time_to_code', 'avg==505', true, 505],
    ['time_to_code', 'p(95)<1s', true, 950],
    ['time_to_code', 'p(95)<0.9s', false, 950],
    ['time_to_code', 'med<=501ms', true, 500],
    ['time_to_code', 'max==1000', true, 1000],
    ['time_to_code{step:odd}', 'min>=10', true, 10],
    ['code_shown_at', 'max<09:10', true, 9 * 3600 + 540],
    ['code_shown_at', 'max<09:05:00', false, 9 * 3600 + 540],
    ['codes_green{district:east}', 'rate>0.99', true, null],
  ] as const)('%s: %s -> ok %s, value %s', (key, expr, ok, value) => {
    const [result] = evaluate(parseThresholds({ [key]: [expr] }, 'thresholds', custom), aggregate(), 10_000);
    expect(result?.ok).toBe(ok);
    if (value === null) expect(result?.value).toBeNull();
    // Trend percentiles are the top of their bucket: within 0.1 % above the exact value.
    else if (expr.startsWith('p(') || expr.startsWith('med')) {
      expect(result!.value!).toBeGreaterThanOrEqual(value);
      expect(result!.value!).toBeLessThanOrEqual(value * 1.001);
    } else expect(result?.value).toBe(value);
    expect(result!.threshold).toMatchObject({ custom: true });
  });

  it('abortOnFail asks to abort on a custom metric too, after delayAbortEval', () => {
    const set = parseThresholds({ people_sampled: [{ threshold: 'count<50', abortOnFail: true, delayAbortEval: '5s' }] }, 'thresholds', custom);
    const a = aggregate();
    expect(evaluate(set, a, 4_000)[0]).toMatchObject({ ok: false, shouldAbort: false });
    expect(evaluate(set, a, 5_000)[0]).toMatchObject({ ok: false, shouldAbort: true });
  });

  it('an undeclared metric is invalid input naming the key and listing what is declared', () => {
    let lines: string[] = [];
    try {
      parseThresholds({ 'people_sampeld{method:manual}': ['count>1000'], queue_depth: ['p(95)<1', 'value<1s'], code_shown_at: ['max<25:00'], codes_green: ['count>1'] }, 'thresholds', custom);
    } catch (err) {
      expect((err as CodestormError).exitCode).toBe(2);
      lines = (err as Error).message.split('\n');
    }
    expect(lines).toEqual([
      'thresholds.people_sampeld{method:manual}: unknown metric "people_sampeld" (expected http_req_duration, http_req_failed, dropped_iterations, iterations, http_reqs, correctness_violations, checks, or a custom metric shop.js declares: people_sampled, queue_depth, codes_green, time_to_code, code_shown_at)',
      'thresholds.queue_depth[0]: aggregation "p(95)" does not apply to queue_depth, a gauge (expected value, min, max) in "p(95)<1"',
      'thresholds.queue_depth[1]: value "1s" takes no unit (queue_depth is a gauge) in "value<1s"',
      'thresholds.code_shown_at[0]: bad time of day "25:00" (expected hh:mm or hh:mm:ss) in "max<25:00"',
      'thresholds.codes_green[0]: aggregation "count" does not apply to codes_green, a rate (expected rate) in "count>1"',
    ]);
    expect(() => parseThresholds({ people_sampled: ['count>1'] }, 'thresholds', { metrics: {}, from: 'plain.js' })).toThrow(/unknown metric "people_sampled" \(expected .*; plain.js declares no custom metrics\)/);
  });
});
