import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeInto, createLatencyHistogram, percentileMs } from '../../src/engine/histogram.js';
import type { MergedSecond } from '../../src/engine/second.js';
import { outcomeOf, readK6Results as read } from '../../src/k6/results.js';
import { http, k6Runner, metric, point, T0 } from '../helpers/k6-json.js';

/** The reader with its seconds collected (fine for a few seconds of fixtures). */
async function readK6Results(files: readonly string[]) {
  const seconds: MergedSecond[] = [];
  const r = await read(files, { declare: () => {}, second: (s) => seconds.push(s) });
  expect(r.seconds).toBe(seconds.length);
  return { ...r, seconds };
}

/**
 * k6 results read back: fixtures written in k6's documented JSON output format (Metric lines,
 * then Point lines with an RFC 3339 time, a value in ms and the request's tags), as two runners of
 * one test would write them, with latencies chosen so that the whole test's percentiles are known.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'codestorm-k6-'));
const runner = (file: string, latencies: readonly number[], drops: number, offsetMs: number, gzip = false): string => k6Runner(dir, file, latencies, drops, offsetMs, gzip);

describe('outcomeOf: k6 tags as codestorm outcomes', () => {
  it.each([
    [{ status: '200', expected_response: 'true' }, 'ok'],
    [{ status: '404', expected_response: 'true' }, 'ok'],
    [{ status: '503', expected_response: 'false' }, 'shed'],
    [{ status: '429', expected_response: 'false' }, 'shed'],
    [{ status: '404', expected_response: 'false' }, '4xx'],
    [{ status: '500', expected_response: 'false' }, '5xx'],
    [{ status: '0', expected_response: 'false', error_code: '1050' }, 'timeout'],
    [{ status: '0', expected_response: 'false', error_code: '1211' }, 'timeout'],
    [{ status: '0', expected_response: 'false', error_code: '1212' }, 'refused'],
    [{ status: '0', expected_response: 'false', error_code: '1220' }, 'reset'],
    [{ status: '0', expected_response: 'false', error_code: '1101' }, 'other'],
    [{ status: '302', expected_response: 'false' }, 'other'],
  ])('%j → %s', (tags, outcome) => {
    expect(outcomeOf(tags)).toBe(outcome);
  });
});

describe('readK6Results', () => {
  // Runner 1 saw 1..1000 ms, runner 2 (started 3.5 s later, its own segment) 1001..2000 ms.
  const fast = Array.from({ length: 1000 }, (_, i) => i + 1);
  const slow = Array.from({ length: 1000 }, (_, i) => 1001 + i);
  const a = runner('runner-1.json', fast, 60, 0);
  const b = runner('runner-2.json.gz', slow, 60, 3_500, true);

  it('adds the runners up exactly: every request, iteration, drop and custom count', async () => {
    const r = await readK6Results([a, b]);
    expect(r.files).toBe(2);
    expect(r.startEpochMs).toBe(T0);
    let requests = 0;
    let iterations = 0;
    let dropped = 0;
    let sampled = 0;
    for (const s of r.seconds) {
      iterations += s.iterations;
      dropped += s.dropped;
      for (const req of s.requests.values()) for (const cell of req.outcomes.values()) requests += cell.count;
      for (const c of s.custom) {
        if (c.metric !== 'people_sampled') continue;
        // k6's own tags (scenario, group) are dropped; the script's (method) are kept.
        expect(c.tags).toEqual({ method: 'scan' });
        sampled += c.sum;
      }
    }
    expect(requests).toBe(2000);
    expect(iterations).toBe(2000);
    expect(dropped).toBe(120);
    expect(sampled).toBe(200);
    // The second runner's last point is at 3.5 s + ~10 s: seconds 0..13, none missing.
    expect(r.seconds.map((s) => s.t)).toEqual(Array.from({ length: r.seconds.length }, (_, i) => i));
    expect(r.seconds.length).toBe(14);
  });

  it("gives the whole test's percentiles, within HDR precision of the truth", async () => {
    const r = await readK6Results([a, b]);
    const all = createLatencyHistogram();
    for (const s of r.seconds) for (const req of s.requests.values()) for (const cell of req.outcomes.values()) mergeInto(all, cell.latency);
    // The truth over 1..2000 ms: p50 = 1000, p95 = 1900, p99 = 1980 (nearest rank).
    for (const [p, truth] of [[50, 1000], [95, 1900], [99, 1980]] as const) {
      expect(Math.abs(percentileMs(all, p) - truth) / truth).toBeLessThan(0.002);
    }
  });

  it("declares the script's own metrics and keeps each metric's thresholds", async () => {
    const r = await readK6Results([a, b]);
    expect(r.declarations).toEqual({ people_sampled: { type: 'counter', unit: 'count', description: 'people_sampled (recorded by the k6 script)' } });
    expect(r.thresholds).toEqual({ http_req_duration: ['p(99)<2500'], dropped_iterations: ['count<100'] });
  });

  it('keeps a point that arrives after its second was closed (k6 flushes about once a second)', async () => {
    const late = path.join(dir, 'late.json');
    const lines = [metric('http_req_duration', 'trend', 'time')];
    for (let s = 0; s < 30; s++) lines.push(point('http_req_duration', T0 + s * 1000, 5, http(200, true)));
    lines.push(point('http_req_duration', T0 + 500, 7, http(500, false)));
    writeFileSync(late, `${lines.join('\n')}\n`);
    const r = await readK6Results([late]);
    const first = r.seconds[0]!.requests.get('code')!;
    expect(first.outcomes.get('ok')!.count).toBe(1);
    expect(first.outcomes.get('5xx')!.count).toBe(1);
  });

  it.each([
    ['not JSON', 'nope', /bad-0\.json:1: not JSON/],
    ['no metric name', '{"type":"Point","data":{}}', /bad-1\.json:1: metric: expected a metric name/],
    ['a bad time', point('http_req_duration', T0, 1, null).replace(/"time":"[^"]+"/, '"time":"yesterday"'), /bad-2\.json:1: data\.time: expected an RFC 3339 time, got "yesterday"/],
    ['a value that is not a number', point('http_req_duration', T0, 1, null).replace('"value":1', '"value":"1"'), /bad-3\.json:1: data\.value: expected a number/],
    ['an undeclared custom metric', point('my_metric', T0, 1, null), /bad-4\.json:1: .*my_metric/],
  ])('refuses %s as invalid input naming the file and line', async (_what, text, message) => {
    const i = ['nope', '{"type":"Point","data":{}}'].indexOf(text);
    const name = `bad-${i >= 0 ? i : text.includes('yesterday') ? 2 : text.includes('"value":"1"') ? 3 : 4}.json`;
    const f = path.join(dir, name);
    writeFileSync(f, `${text}\n`);
    await expect(readK6Results([f])).rejects.toThrow(message);
    await expect(readK6Results([f])).rejects.toMatchObject({ exitCode: 2 });
  });

  it('refuses a missing file and a file without points', async () => {
    await expect(readK6Results([path.join(dir, 'missing.json')])).rejects.toThrow(/missing\.json: no such file/);
    const empty = path.join(dir, 'empty.json');
    writeFileSync(empty, `${metric('vus', 'gauge')}\n`);
    await expect(readK6Results([empty])).rejects.toThrow(/no points/);
  });
});
