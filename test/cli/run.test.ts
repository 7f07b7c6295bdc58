import http from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseNdjsonLine } from '../../src/run-files/metrics-read.js';
import { captureIO } from '../helpers/io.js';

/**
 * `codestorm run` end to end, in-process, against a small local server whose behaviour each
 * test sets: how many requests it received, and when it stalls or slows down.
 */
let server: http.Server;
let origin = '';
let received = 0;
let receivedByPath = new Map<string, number>();
/** Requests that arrive before this time (ms since epoch) are held until then. */
let stallUntil = 0;
let delayMs = 0;
let scrapes = 0;
/** When each request to /loaded arrived (performance.now()). */
let loadedAt: number[] = [];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-run-test-'));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received++;
    const route = (req.url ?? '').split('?')[0] ?? '';
    if (route === '/metrics') {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`# HELP thing_total things\n# TYPE thing_total counter\nthing_total{kind="a b"} ${received}\nlatency_bucket{le="1"} 3\nlatency_sum 2.5 1700000000000\n`);
      return;
    }
    receivedByPath.set(route, (receivedByPath.get(route) ?? 0) + 1);
    if (route === '/loaded') loadedAt.push(performance.now());
    const wait = Math.max(stallUntil - Date.now(), route === '/slow' ? delayMs : 0);
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    };
    if (wait > 0) setTimeout(answer, wait);
    else answer();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reset(): void {
  received = 0;
  receivedByPath = new Map();
  stallUntil = 0;
  delayMs = 0;
  loadedAt = [];
}

const io = captureIO;

function scenario(name: string, body: string): string {
  const file = path.join(scratch, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nseed: 7\ntarget: ${origin}\n${body}`);
  return file;
}

async function run(file: string, ...flags: string[]): Promise<{ code: number; dir: string; summary: any; out: string; err: string }> {
  const dir = path.join(scratch, `${path.basename(file, '.yaml')}-run`);
  const cli = io();
  const code = await main(['run', file, '--out', dir, '--quiet', '--workers', '1', ...flags], cli);
  let summary: unknown;
  try {
    summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  } catch {
    summary = undefined;
  }
  return { code, dir, summary, out: cli.out(), err: cli.err() };
}

const PING_JOURNEY = `journeys:
  - name: ping
    steps:
      - name: get-thing
        request: { method: GET, url: "/thing?id={{ faker.string.uuid }}" }
`;

describe('codestorm run against a local server', () => {
  it('holds 1,000 arrivals/s for 10 s within 2 %, and the server saw every request the summary counts', async () => {
    reset();
    const file = scenario('steady', `load: { executor: constant-arrival-rate, rate: 1000, duration: 10s }\n${PING_JOURNEY}thresholds:\n  http_req_failed: ["rate<0.01"]\n`);
    const result = await run(file);
    expect(result.code, result.err).toBe(0);
    // The last answers may land in second 10, after the 10-second schedule.
    expect(result.summary.durationS).toBeGreaterThanOrEqual(10);
    expect(result.summary.durationS).toBeLessThanOrEqual(11);
    expect(result.summary.requests.total).toBe(10_000);
    expect(Math.abs(result.summary.rate.achievedAvg - 1000) / 1000).toBeLessThan(0.02);
    expect(received).toBe(result.summary.requests.total);
    // metrics.ndjson has a totals line for each of the 10 seconds, and they add up.
    const lines = readFileSync(path.join(result.dir, 'metrics.ndjson'), 'utf8').trim().split('\n').map((l) => parseNdjsonLine(l));
    const totals = lines.filter((l) => l.kind === 'totals');
    expect(totals.map((l) => l.t).slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(totals.slice(0, 10).every((l) => l.offered === 1000)).toBe(true);
    expect(totals.reduce((sum, l) => sum + l.offered, 0)).toBe(10_000);
    // The run directory holds the scenario as run, seed filled in, and its events.
    expect(readFileSync(path.join(result.dir, 'scenario.yaml'), 'utf8')).toMatch(/^seed: 7$/m);
    const events = readFileSync(path.join(result.dir, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toEqual(['run-start', 'run-end']);
  }, 60_000);

  it('scrapes the Prometheus endpoint a scenario names into server.ndjson every second', async () => {
    reset();
    scrapes = 0;
    const file = scenario('scraped', `scrape: ${origin}/metrics\nload: { executor: constant-arrival-rate, rate: 20, duration: 3s }\n${PING_JOURNEY}`);
    const result = await run(file);
    expect(result.code, result.err).toBe(0);
    const lines = readFileSync(path.join(result.dir, 'server.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBe(scrapes);
    const last = lines.at(-1);
    expect(Object.keys(last.metrics).sort()).toEqual(['latency_sum', 'thing_total{kind="a b"}']);
    expect(last.metrics['thing_total{kind="a b"}']).toBeGreaterThan(0);
    expect(last.metrics['latency_sum']).toBe(2.5);
    expect(lines.map((l) => l.t)).toEqual([...lines.map((l) => l.t)].sort((a, b) => a - b));
  }, 60_000);

  it('starts the clock once every worker has loaded its journeys: the first arrivals are on schedule, not a burst', async () => {
    reset();
    const module = path.resolve('test/fixtures/slow-to-load.mjs');
    const file = scenario('slow-to-load', `module: ${module}\nload: { executor: constant-arrival-rate, rate: 100, duration: 2s }\n`);
    const result = await run(file, '--workers', '2');
    expect(result.code, result.err).toBe(0);
    expect(loadedAt).toHaveLength(200);
    // 100/s evenly: the first 20 arrivals span 190 ms. A clock started before the module had
    // loaded sends the first second's arrivals at once when it finally has.
    expect(loadedAt[19]! - loadedAt[0]!).toBeGreaterThan(150);
    expect(result.summary.latencyMs.max).toBeLessThan(100);
  }, 60_000);

  it('a 1-second stall of the server during a 200/s run shows in p99 (no coordinated omission)', async () => {
    reset();
    const file = scenario('stall', `load: { executor: constant-arrival-rate, rate: 200, duration: 8s }\n${PING_JOURNEY}`);
    setTimeout(() => (stallUntil = Date.now() + 1_000), 3_500);
    const result = await run(file);
    expect(result.code, result.err).toBe(0);
    expect(result.summary.requests.total).toBe(1_600);
    expect(received).toBe(1_600);
    // ~200 requests (12 %) were held for up to a second: p99 must see it.
    expect(result.summary.latencyMs.p99).toBeGreaterThanOrEqual(900);
    expect(result.summary.latencyMs.max).toBeGreaterThanOrEqual(950);
  }, 60_000);

  it('a failing threshold makes the run exit 99, and a tag filter judges only its request', async () => {
    reset();
    delayMs = 30;
    const file = scenario(
      'tagged',
      `load: { executor: constant-arrival-rate, rate: 50, duration: 3s }
journeys:
  - name: two-steps
    steps:
      - name: fast
        request: { url: "/fast" }
      - name: slow
        request: { url: "/slow" }
thresholds:
  "http_req_duration{name:fast}": ["p(95)<1000"]
  "http_req_duration{name:slow}": ["p(95)<25"]
  http_req_failed: ["rate<0.01"]
`,
    );
    const result = await run(file);
    expect(result.code).toBe(99);
    expect(result.summary.verdict).toBe('fail');
    const byMetric = Object.fromEntries(result.summary.thresholds.map((t: { metric: string; ok: boolean }) => [t.metric, t.ok]));
    expect(byMetric).toEqual({ 'http_req_duration{name:fast}': true, 'http_req_duration{name:slow}': false, http_req_failed: true });
    expect(result.out).toMatch(/✗ http_req_duration\{name:slow\}: p\(95\)<25/);
    // Both steps ran every time: the tag filter, not a missing step, made the difference.
    expect(receivedByPath.get('/fast')).toBe(150);
    expect(receivedByPath.get('/slow')).toBe(150);
  }, 60_000);

  it('abortOnFail stops the run early with exit 99', async () => {
    reset();
    delayMs = 50;
    const file = scenario(
      'abort',
      `load: { executor: constant-arrival-rate, rate: 50, duration: 30s }
journeys:
  - name: slow
    steps:
      - name: slow
        request: { url: "/slow" }
thresholds:
  http_req_duration:
    - { threshold: "p(95)<10", abortOnFail: true, delayAbortEval: 2s }
`,
    );
    const started = Date.now();
    const result = await run(file);
    expect(result.code).toBe(99);
    expect(result.summary.stopped).toBe('threshold');
    expect(result.summary.durationS).toBeGreaterThanOrEqual(2);
    expect(result.summary.durationS).toBeLessThan(10);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 60_000);

  it('the closed model: VUs run iterations back to back, each waiting for its answer', async () => {
    reset();
    delayMs = 20;
    const file = scenario(
      'vus',
      `load: { executor: constant-vus, vus: 4, duration: 2s }
journeys:
  - name: slow
    steps:
      - name: slow
        request: { url: "/slow" }
`,
    );
    const result = await run(file);
    expect(result.code, result.err).toBe(0);
    // 4 VUs, each iteration ≥ 20 ms: at most 4 × 2000 / 20 = 400 requests, and well above none.
    expect(result.summary.requests.total).toBeGreaterThan(100);
    expect(result.summary.requests.total).toBeLessThanOrEqual(400);
    expect(result.summary.requests.dropped).toBe(0);
    expect(received).toBe(result.summary.requests.total);
  }, 30_000);

  it('a scenario with mistakes exits 2 with one line per problem, and starts nothing', async () => {
    reset();
    const file = scenario('broken', `load: { executor: constant-arrival-rate, rate: -1, duration: 10s }\njourneys: []\nthresholds:\n  http_req_duration: ["p95<1"]\n`);
    const result = await run(file);
    expect(result.code).toBe(2);
    const lines = result.err.trim().split('\n');
    expect(lines.filter((l) => l.includes('broken.yaml:'))).toHaveLength(3);
    expect(received).toBe(0);
  });
});
