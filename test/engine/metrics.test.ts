// Long because: the per-second metrics from record to merge to file, one pipeline, with its seeded property tests.
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { CodestormError } from '../../src/errors.js';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  HIGHEST_US,
  mergeInto,
  percentileIntervalMs,
  percentileMs,
  recordLatency,
  summarize,
  type LatencyHistogram,
} from '../../src/engine/histogram.js';
import { mergeWire, OUTCOMES, SecondMetrics, type Outcome, type WireSecond } from '../../src/engine/second.js';
import { parseNdjsonLine, toNdjsonLine, type NdjsonRecord } from '../../src/run-files/index.js';

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

/**
 * Latency in µs with a heavy tail: 90% log-normal around 20 ms, 10% Pareto from 100 ms
 * (alpha 1.2), so p99.9 lands in seconds and a few values pass 120 s and get clamped.
 */
function latencySampler(random: () => number): () => number {
  return () => {
    if (random() < 0.9) {
      const u1 = random() || Number.MIN_VALUE;
      const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
      return 20_000 * Math.exp(0.6 * normal);
    }
    return 100_000 / Math.pow(1 - random(), 1 / 1.2);
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof CodestormError ? err.code : `not a CodestormError: ${String(err)}`;
  }
  return undefined;
}

describe('OUTCOMES', () => {
  it('is exactly the documented list, in order, and frozen', () => {
    expect(OUTCOMES).toEqual(['ok', '4xx', '5xx', 'shed', 'timeout', 'refused', 'reset', 'other']);
    expect(Object.isFrozen(OUTCOMES)).toBe(true);
  });
});

describe('latency histogram', () => {
  it('merging encoded per-worker histograms gives exactly the single histogram of all samples', () => {
    const random = prng(20240611);
    const sample = latencySampler(random);
    const N = 200_000;
    const single = createLatencyHistogram();
    const workers = [createLatencyHistogram(), createLatencyHistogram(), createLatencyHistogram()];
    const values = new Float64Array(N);
    let clamped = 0;
    for (let i = 0; i < N; i++) {
      const us = sample();
      values[i] = Math.min(Math.round(us), HIGHEST_US);
      if (recordLatency(single, us)) clamped++;
      recordLatency(pick(random, workers), us);
    }
    const merged = createLatencyHistogram();
    for (const w of workers) mergeInto(merged, decodeHistogram(encodeHistogram(w)));

    const expected = summarize(single);
    expect(expected.count).toBe(N);
    expect(summarize(merged)).toEqual(expected);
    for (const p of [0, 50, 90, 99, 99.9, 99.99, 100]) expect(percentileMs(merged, p)).toBe(percentileMs(single, p));
    expect(encodeHistogram(merged)).toBe(encodeHistogram(single));

    // The tail really is heavy, some values were clamped, and HDR is within 0.1% of the exact
    // order statistics (it reports the top of a value's bucket, so never below it).
    expect(clamped).toBeGreaterThan(0);
    expect(expected.max).toBeGreaterThanOrEqual(HIGHEST_US / 1000);
    expect(expected.p999).toBeGreaterThan(1000);
    const sorted = values.sort();
    for (const p of [50, 90, 95, 99, 99.9]) {
      // The rank HDR uses: ceil(p% of N), guarding against 0.999 * N landing one ulp above a whole number.
      const rank = Math.ceil((p / 100) * N - 1e-6);
      const exactMs = (sorted[rank - 1] ?? NaN) / 1000;
      const hdrMs = percentileMs(merged, p);
      expect(hdrMs).toBeGreaterThanOrEqual(exactMs);
      expect(hdrMs).toBeLessThanOrEqual(exactMs * 1.001 + 0.001);
    }
  });

  it('round-trips through compressed base64', () => {
    const random = prng(7);
    const sample = latencySampler(random);
    const h = createLatencyHistogram();
    for (let i = 0; i < 2_000; i++) recordLatency(h, sample());
    const encoded = encodeHistogram(h);
    expect(encoded).toMatch(/^HISTF[A-Za-z0-9+/]+=*$/);
    const back = decodeHistogram(encoded);
    expect(back.totalCount).toBe(2_000);
    expect(summarize(back)).toEqual(summarize(h));
    expect(summarize(back).mean).toBe(Math.round(back.mean) / 1000);
    expect(encodeHistogram(back)).toBe(encoded);
  });

  it('summarizes an empty histogram as zeros and encodes it', () => {
    const empty = createLatencyHistogram();
    const zeros = { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
    expect(summarize(empty)).toEqual(zeros);
    expect(summarize(decodeHistogram(encodeHistogram(empty)))).toEqual(zeros);
  });

  it('reports milliseconds, to 3 significant digits', () => {
    const h = createLatencyHistogram();
    for (const us of [1_000, 2_000, 3_000, 1_234_567]) recordLatency(h, us);
    const s = summarize(h);
    expect(s).toMatchObject({ count: 4, min: 1, p50: 2 });
    expect(s.max).toBeGreaterThanOrEqual(1234.567);
    expect(s.max).toBeLessThan(1234.567 * 1.001);
  });

  it('clamps values out of range instead of throwing, and says so', () => {
    const h = createLatencyHistogram();
    expect(() => build({ autoResize: false, highestTrackableValue: HIGHEST_US }).recordValue(HIGHEST_US * 4)).toThrow();
    expect(recordLatency(h, HIGHEST_US)).toBe(false);
    expect(recordLatency(h, HIGHEST_US + 1)).toBe(true);
    expect(recordLatency(h, 1e15)).toBe(true);
    expect(recordLatency(h, Number.POSITIVE_INFINITY)).toBe(true);
    expect(h.totalCount).toBe(4);
    const top = summarize(h);
    expect(top.min).toBeGreaterThanOrEqual(119_900);
    expect(top.max).toBeLessThan(120_000 * 1.001);
    expect(top.p50).toBe(top.max);

    const low = createLatencyHistogram();
    expect(recordLatency(low, -5)).toBe(true);
    expect(recordLatency(low, Number.NaN)).toBe(true);
    expect(recordLatency(low, 0)).toBe(false);
    expect(recordLatency(low, 0.4)).toBe(false);
    expect(summarize(low)).toMatchObject({ count: 4, min: 0, max: 0 });
    expect(summarize(decodeHistogram(encodeHistogram(h)))).toEqual(top);
  });

  it('gives a p99 interval that holds the true p99 in at least 95 % of samples, open at the top when the sample is too small', () => {
    // Exponential latencies with a mean of 10 ms: the true p99 is 10·ln(100) ≈ 46.05 ms.
    const random = prng(7);
    const exponential = (): number => -10_000 * Math.log(1 - random());
    const truth = 10 * Math.log(100);
    const h = createLatencyHistogram();
    const sampleOf = (n: number): void => {
      h.reset();
      for (let i = 0; i < n; i++) recordLatency(h, exponential());
    };
    const trials = 1_000;
    let covered = 0;
    let pointClose = 0;
    for (let t = 0; t < trials; t++) {
      sampleOf(1_000);
      const [lo, hi] = percentileIntervalMs(h, 99);
      const p99 = percentileMs(h, 99);
      expect(hi).not.toBeNull();
      expect(lo).toBeLessThanOrEqual(p99);
      expect(hi!).toBeGreaterThanOrEqual(p99);
      // HDR keeps values to 0.1 %: allow that much at the edges.
      if (lo <= truth * 1.001 && truth <= hi! * 1.001) covered++;
      if (Math.abs(p99 - truth) / truth <= 0.05) pointClose++;
    }
    expect(covered / trials).toBeGreaterThanOrEqual(0.93);
    expect(covered / trials).toBeLessThanOrEqual(0.995);
    // The point estimate alone misses the truth by more than 5 % in about half the samples.
    expect(pointClose / trials).toBeLessThan(0.75);
    // From 200 samples there is a 13 % chance that all lie below the true p99: no upper bound.
    sampleOf(200);
    const [lo200, hi200] = percentileIntervalMs(h, 99);
    expect(hi200).toBeNull();
    expect(lo200).toBeGreaterThan(0);
    expect(lo200).toBeLessThan(percentileMs(h, 99));
    // From 100,000 the band is a few percent wide around the truth.
    sampleOf(100_000);
    const [lo, hi] = percentileIntervalMs(h, 99);
    expect((hi! - lo) / truth).toBeLessThan(0.06);
    expect(lo).toBeLessThanOrEqual(truth * 1.001);
    expect(hi).toBeGreaterThanOrEqual(truth * 0.999);
    h.reset();
    expect(percentileIntervalMs(h, 99)).toEqual([0, 0]);
  });

  it('rejects strings that are not latency histograms', () => {
    expect(codeOf(() => decodeHistogram('not base64 at all!'))).toBe('METRICS_HISTOGRAM_INVALID');
    expect(codeOf(() => decodeHistogram('SElTVA=='))).toBe('METRICS_HISTOGRAM_INVALID');
    const otherShape = build({ numberOfSignificantValueDigits: 2, highestTrackableValue: 1_000_000 });
    otherShape.recordValue(42);
    expect(codeOf(() => decodeHistogram(encodeIntoCompressedBase64(otherShape)))).toBe('METRICS_HISTOGRAM_INVALID');
  });
});

describe('SecondMetrics → wire → merge → metrics.ndjson → back', () => {
  const NAMES = ['register', 'get-code', 'scan'] as const;
  const WEIGHTED_OUTCOMES: readonly Outcome[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', '5xx', 'shed', 'timeout'];

  interface Reference {
    count: number;
    latency: LatencyHistogram;
    service: LatencyHistogram;
  }

  function simulate(t: number, workers: number, requests: number) {
    const random = prng(99);
    const sample = latencySampler(random);
    const seconds = Array.from({ length: workers }, () => new SecondMetrics(t));
    const reference = new Map<string, Reference>();
    const clamped = new Map<string, number>();
    const totals = { offered: 0, started: 0, dropped: 0, iterations: 0, inFlightMax: 0 };
    const peaks = seconds.map(() => 0);
    for (let i = 0; i < requests; i++) {
      const w = Math.floor(random() * workers);
      const s = seconds[w];
      if (s === undefined) throw new Error('no worker');
      const name = pick(random, NAMES);
      const outcome = pick(random, WEIGHTED_OUTCOMES);
      const latencyUs = sample();
      const serviceUs = latencyUs * random();
      s.request(name, outcome, latencyUs, serviceUs);

      const key = `${name}/${outcome}`;
      let ref = reference.get(key);
      if (ref === undefined) {
        ref = { count: 0, latency: createLatencyHistogram(), service: createLatencyHistogram() };
        reference.set(key, ref);
      }
      ref.count++;
      const c = recordLatency(ref.latency, latencyUs);
      if (recordLatency(ref.service, serviceUs) || c) clamped.set(name, (clamped.get(name) ?? 0) + 1);

      s.offered();
      totals.offered++;
      if (random() < 0.05) {
        s.dropped();
        totals.dropped++;
      } else {
        s.started();
        totals.started++;
        if (random() < 0.5) {
          s.iteration();
          totals.iterations++;
        }
      }
      const inFlight = Math.floor(random() * 100);
      s.inFlight(inFlight);
      peaks[w] = Math.max(peaks[w] ?? 0, inFlight);
    }
    seconds[0]?.offered(3);
    totals.offered += 3;
    totals.inFlightMax = peaks.reduce((a, b) => a + b, 0);
    return { seconds, reference, clamped, totals };
  }

  it('preserves counts, totals and histogram percentiles', () => {
    const { seconds, reference, clamped, totals } = simulate(12, 3, 30_000);
    // What a worker posts must survive structured clone and JSON unchanged.
    const wires: WireSecond[] = seconds.map((s) => structuredClone(s.toWire()));
    for (const w of wires) expect(JSON.parse(JSON.stringify(w))).toEqual(w);

    const merged = mergeWire(wires);
    expect(merged).toMatchObject({ t: 12, ...totals });
    expect([...merged.requests.keys()]).toEqual(['get-code', 'register', 'scan']);

    const text = toNdjsonLine(merged);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1 + NAMES.length);
    const records: NdjsonRecord[] = lines.map((line, i) => parseNdjsonLine(line, `metrics.ndjson:${i + 1}`));

    const [first, ...rest] = records;
    expect(first).toEqual({ kind: 'totals', t: 12, ...totals });
    expect(JSON.parse(lines[0] ?? '')).toEqual({ t: 12, name: '*', ...totals });

    let seen = 0;
    for (const record of rest) {
      if (record.kind !== 'request') throw new Error(`expected a request line, got ${record.kind}`);
      expect(record.t).toBe(12);
      expect(record.clamped).toBe(clamped.get(record.name) ?? 0);
      const all = createLatencyHistogram();
      for (const [outcome, cell] of record.outcomes) {
        const ref = reference.get(`${record.name}/${outcome}`);
        if (ref === undefined) throw new Error(`unexpected ${record.name}/${outcome}`);
        expect(cell.count).toBe(ref.count);
        expect(summarize(cell.latency)).toEqual(summarize(ref.latency));
        expect(summarize(cell.service)).toEqual(summarize(ref.service));
        mergeInto(all, ref.latency);
        seen++;
      }
      expect(record.latency).toEqual(summarize(all));
      expect([...record.outcomes.keys()]).toEqual(OUTCOMES.filter((o) => record.outcomes.has(o)));
    }
    expect(seen).toBe(reference.size);
  });

  it('writes the documented line shape', () => {
    const s = new SecondMetrics(3);
    s.offered(2);
    s.started();
    s.dropped();
    s.inFlight(5);
    s.inFlight(2);
    s.request('get-thing', '5xx', 12_000, 11_000);
    s.request('get-thing', 'ok', 9_000, 8_000);
    s.request('get-thing', 'ok', 200_000_000, 150_000_000);
    s.iteration();
    const [totals, request, end] = toNdjsonLine(mergeWire([s.toWire()])).split('\n');
    expect(end).toBe('');
    expect(totals).toBe('{"t":3,"name":"*","offered":2,"started":1,"dropped":1,"iterations":1,"inFlightMax":5}');
    const line: unknown = JSON.parse(request ?? '');
    expect(Object.keys(line as object)).toEqual(['t', 'name', 'clamped', 'counts', 'latency', 'hdr', 'serviceHdr']);
    expect(line).toMatchObject({ t: 3, name: 'get-thing', clamped: 1, counts: { ok: 2, '5xx': 1 } });
    const { counts, hdr, serviceHdr, latency } = line as Record<string, Record<string, unknown>>;
    expect(Object.keys(counts ?? {})).toEqual(['ok', '5xx']);
    expect(Object.keys(hdr ?? {})).toEqual(['ok', '5xx']);
    expect(Object.keys(serviceHdr ?? {})).toEqual(['ok', '5xx']);
    expect(Object.keys(latency ?? {})).toEqual(['count', 'min', 'max', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999']);
    expect(latency).toMatchObject({ count: 3, min: 9 });
    // The top of 12 ms's bucket (8 µs wide there): percentiles are never below the true value.
    expect(latency?.['p50']).toBe(12.007);
  });

  it('writes only the totals line for a second without requests', () => {
    const s = new SecondMetrics(0);
    s.offered(4);
    s.dropped(4);
    expect(toNdjsonLine(mergeWire([s.toWire(), new SecondMetrics(0).toWire()]))).toBe(
      '{"t":0,"name":"*","offered":4,"started":0,"dropped":4,"iterations":0,"inFlightMax":0}\n',
    );
  });

  it('keeps the send lags of every worker in one histogram on the totals line, and skips requests never written', () => {
    const a = new SecondMetrics(4);
    const b = new SecondMetrics(4);
    const reference = createLatencyHistogram();
    for (let i = 0; i < 500; i++) {
      const lag = 17 * i;
      (i % 2 === 0 ? a : b).request('get', 'ok', lag + 900, 900, lag);
      recordLatency(reference, lag);
    }
    b.request('get', 'timeout', 5_000, 0, -1);
    const merged = mergeWire([structuredClone(a.toWire()), structuredClone(b.toWire())]);
    expect(merged.sendLag?.totalCount).toBe(500);
    expect(summarize(merged.sendLag!)).toEqual(summarize(reference));
    const totals = JSON.parse(toNdjsonLine(merged).split('\n')[0] ?? '') as Record<string, unknown>;
    expect(totals['sendLag']).toEqual(summarize(reference));
    expect(summarize(decodeHistogram(String(totals['sendLagHdr'])))).toEqual(summarize(reference));
    expect(parseNdjsonLine(toNdjsonLine(merged).split('\n')[0] ?? '')).toMatchObject({ kind: 'totals', t: 4, offered: 0 });
    // A second where nothing was written has no send lag at all.
    const none = new SecondMetrics(5);
    none.request('get', 'refused', 10, 0, -1);
    expect(mergeWire([none.toWire()]).sendLag).toBeUndefined();
  });

  it('merges only copies of one second', () => {
    expect(() => mergeWire([])).toThrow(/at least one/);
    expect(() => mergeWire([new SecondMetrics(1).toWire(), new SecondMetrics(2).toWire()])).toThrow(/one second at a time/);
  });

  it('numbers seconds from 0', () => {
    expect(() => new SecondMetrics(-1)).toThrow(/whole number/);
    expect(() => new SecondMetrics(1.5)).toThrow(/whole number/);
  });

  it('refuses a request named like the totals line', () => {
    expect(() => new SecondMetrics(1).request('*', 'ok', 1, 1)).toThrow(/reserves/);
  });
});

describe('parseNdjsonLine', () => {
  function requestLine(): Record<string, unknown> {
    const s = new SecondMetrics(5);
    s.request('scan', 'ok', 1_000, 900);
    s.request('scan', 'timeout', 30_000_000, 30_000_000);
    const line = toNdjsonLine(mergeWire([s.toWire()])).split('\n')[1];
    return JSON.parse(line ?? '') as Record<string, unknown>;
  }

  function problemsOf(line: string): string[] {
    try {
      parseNdjsonLine(line, 'run/metrics.ndjson:7');
    } catch (err) {
      if (!(err instanceof CodestormError)) throw err;
      expect(err.code).toBe('METRICS_LINE_INVALID');
      expect(err.exitCode).toBe(2);
      return err.message.split('\n');
    }
    return [];
  }

  it('accepts what toNdjsonLine wrote', () => {
    expect(problemsOf(JSON.stringify(requestLine()))).toEqual([]);
  });

  it('names the place of a line that is not JSON', () => {
    expect(problemsOf('{"t":1,')).toEqual([expect.stringMatching(/^run\/metrics\.ndjson:7: not JSON/)]);
  });

  it('lists every problem of a line at once', () => {
    const line = requestLine();
    const problems = problemsOf(JSON.stringify({ ...line, t: -1, extra: true, counts: { ok: 1, bogus: 2 } }));
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const p of problems) expect(p.startsWith('run/metrics.ndjson:7: ')).toBe(true);
    expect(problems.some((p) => p.includes(': t: '))).toBe(true);
    expect(problems.some((p) => p.includes('extra'))).toBe(true);
    expect(problems.some((p) => p.includes('counts'))).toBe(true);
  });

  it('checks histograms against counts', () => {
    const line = requestLine();
    const hdr = line['hdr'] as Record<string, string>;
    const problems = problemsOf(
      JSON.stringify({ ...line, counts: { ok: 2, timeout: 1 }, hdr: { ok: hdr['ok'], timeout: 'garbage' }, serviceHdr: { ok: hdr['ok'] } }),
    );
    expect(problems).toEqual([
      'run/metrics.ndjson:7: hdr.ok: holds 1 values, but counts says 2',
      'run/metrics.ndjson:7: serviceHdr.ok: holds 1 values, but counts says 2',
      expect.stringMatching(/^run\/metrics\.ndjson:7: hdr\.timeout: not an encoded HDR histogram/),
      'run/metrics.ndjson:7: serviceHdr.timeout: missing, but counts has this outcome',
    ]);
  });

  it('rejects a totals line with a missing field', () => {
    expect(problemsOf('{"t":1,"name":"*","offered":1,"started":1,"dropped":0,"iterations":0}')).toEqual([
      expect.stringMatching(/^run\/metrics\.ndjson:7: inFlightMax: /),
    ]);
  });
});
