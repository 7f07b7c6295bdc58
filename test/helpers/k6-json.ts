import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * k6's JSON output (`k6 run --out json=FILE`), written as k6 documents it: Metric lines, then
 * Point lines with an RFC 3339 time, a value in ms and the sample's tags. For tests that read k6
 * results back; no k6 runs here.
 */
export const T0 = Date.parse('2026-01-04T09:00:00Z');

export const metric = (name: string, type: string, contains = 'default', thresholds: string[] = []): string =>
  JSON.stringify({ type: 'Metric', data: { name, type, contains, tainted: null, thresholds, submetrics: null }, metric: name });
export const point = (name: string, atMs: number, value: number, tags: Record<string, string> | null): string =>
  JSON.stringify({ type: 'Point', data: { time: new Date(atMs).toISOString().replace('Z', '123456+00:00'), value, tags }, metric: name });
export const http = (status: number, expected: boolean, extra: Record<string, string> = {}): Record<string, string> => ({
  name: 'code',
  method: 'GET',
  status: String(status),
  expected_response: String(expected),
  scenario: 'residents',
  group: '',
  url: 'http://127.0.0.1:8080/api/v1/code',
  ...extra,
});

/** One runner's file in `dir`: `latencies` over 10 s from `offsetMs`, each a request and an iteration; `drops` dropped arrivals. */
export function k6Runner(dir: string, file: string, latencies: readonly number[], drops: number, offsetMs: number, gzip = false): string {
  const lines = [metric('http_req_duration', 'trend', 'time', ['p(99)<2500']), metric('iterations', 'counter'), metric('dropped_iterations', 'counter', 'default', ['count<100']), metric('people_sampled', 'counter')];
  latencies.forEach((ms, i) => {
    const at = T0 + offsetMs + Math.floor((i * 10_000) / latencies.length);
    lines.push(point('http_req_duration', at, ms, http(200, true)));
    lines.push(point('http_reqs', at, 1, http(200, true)));
    lines.push(point('iterations', at + 1, 1, { scenario: 'residents', group: '' }));
    if (i % 10 === 0) lines.push(point('people_sampled', at, 1, { scenario: 'residents', group: '', method: 'scan' }));
  });
  for (let d = 0; d < drops; d++) lines.push(point('dropped_iterations', T0 + offsetMs + d * 100, 1, { scenario: 'residents' }));
  const text = `${lines.join('\n')}\n`;
  const p = path.join(dir, file);
  writeFileSync(p, gzip ? gzipSync(text) : text);
  return p;
}
