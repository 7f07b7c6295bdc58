import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, found } from '../helpers/capacity.js';
import { judge } from '../../src/analyze/capacity-verdict.js';
import { main } from '../../src/cli/main.js';
import { readServer, readSteps, STEPS_FILE } from '../../src/run-files/index.js';
import { freePort, waitForPort } from '../../src/stack/ports.js';
import { captureIO } from '../helpers/io.js';

/**
 * `codestorm capacity` against local servers of known capacity: one request at a time, each
 * taking a fixed time (5 ms → 200/s; 7.14 ms → 140/s, a 30 % regression). Their clocks do not
 * drift with timer slop: each answer is due `service` after the previous one or its arrival.
 * Past capacity the plain one queues without bound and serves everything late (a FIFO: it
 * collapses); given a third argument, it answers 503 at once when a request would wait longer
 * than that many ms (it sheds).
 */
const SERVER = `
const service = Number(process.argv[2]);
const shedAfter = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);
let busyUntil = 0;
require('node:http').createServer((req, res) => {
  req.resume();
  const now = performance.now();
  if (busyUntil - now > shedAfter) {
    res.statusCode = 503;
    res.end('busy');
    return;
  }
  busyUntil = Math.max(now, busyUntil) + service;
  setTimeout(() => res.end('ok'), busyUntil - now);
}).listen(Number(process.argv[1]), '127.0.0.1');
`;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-capacity-'));
const servers: ChildProcess[] = [];

async function server(serviceMs: number, shedAfterMs?: number): Promise<string> {
  const port = await freePort();
  servers.push(spawn(process.execPath, ['-e', SERVER, String(port), String(serviceMs), ...(shedAfterMs === undefined ? [] : [String(shedAfterMs)])], { stdio: 'ignore' }));
  await waitForPort(port, { what: 'test server' });
  return `http://127.0.0.1:${port}`;
}

const io = captureIO;

const SCENARIO = path.join(scratch, 'known.yaml');
// Steps of 2 s: long enough for these servers' queues to show past their capacity (at 206/s the
// 5 ms server's p99 is about 70 ms, at 216/s about 160 ms), short enough to keep the suite short.
const STEPS = ['--start', '150', '--step', '2s', '--settle', '0.5s', '--refine', '4', '--workers', '1', '--quiet'];
let fast: string;
let slow: string;
let shedding: string;

beforeAll(async () => {
  writeFileSync(
    SCENARIO,
    'name: known\nseed: 3\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 1, duration: 1s }\njourneys:\n  - { name: j, steps: [ { name: get, request: { url: "/" } } ] }\nslo:\n  http_req_duration: ["p(99)<100"]\n  http_req_failed: ["rate<0.01"]\n',
  );
  [fast, slow, shedding] = await Promise.all([server(5), server(1000 / 140), server(5, 50)]);
});

afterAll(() => {
  for (const s of servers) s.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});


describe('codestorm capacity', () => {

  it('finds a capacity of 200/s within ±15 %, writes the run directory and the CI summary', async () => {
    const stepSummary = path.join(scratch, 'step-summary.md');
    const cli = io({ GITHUB_STEP_SUMMARY: stepSummary });
    const out = path.join(scratch, 'fast-run');
    // Two overload steps keep the suite short; the default list (1.5, 2, 3) is planned below.
    const code = await main(['capacity', SCENARIO, '--target', fast, '--out', out, '--json', ...STEPS, '--overload', '1.5,2'], cli);
    expect(code, cli.err()).toBe(0);
    const report = JSON.parse(cli.out());
    expect(Math.abs(report.capacityRps - 200) / 200).toBeLessThanOrEqual(0.15);
    expect(report).toMatchObject({ sloHeld: true, verdict: 'pass' });
    expect(report.steps.length).toBeGreaterThanOrEqual(4);
    // The search starts at 150/s and holds there; on a loaded machine the first try may fail
    // (75 % busy, any p99) and its confirmation hold, which is what --confirm is for.
    expect(report.steps[0]).toMatchObject({ rateRps: 150 });
    const first = report.steps[0].ok ? [report.steps[0]] : report.steps.slice(0, 2);
    expect(first.map((s: { rateRps: number }) => s.rateRps)).toEqual(first.map(() => 150));
    expect(first.at(-1).ok).toBe(true);
    expect(report.failedAtRps).toBeGreaterThan(report.capacityRps);
    for (const f of ['capacity.json', 'capacity.html', 'summary.md', 'junit.xml']) expect(existsSync(path.join(out, f)), f).toBe(true);
    expect(readFileSync(stepSummary, 'utf8')).toContain('known: capacity PASS');
    // Past the knee this server queues everything and serves it late: a cliff. Its overload
    // steps are informational in junit.xml (the SLO case and two that never fail).
    expect(report.overload.map((o: { multiple: number }) => o.multiple)).toEqual([1.5, 2]);
    for (const o of report.overload) {
      expect(Object.keys(o).sort()).toEqual(['byOutcome', 'dropped', 'errorShare', 'goodputRps', 'keptShare', 'lateShare', 'multiple', 'offeredRps', 'p50Ms', 'p99Ms']);
      expect(o.offeredRps).toBeCloseTo(o.multiple * report.capacityRps, 0);
    }
    const twice = report.overload[1];
    expect(report).toMatchObject({ overloadShape: 'cliff', goodputLimitMs: 100, profile: null, settings: {} });
    expect(twice.keptShare).toBeLessThanOrEqual(0.3);
    expect(twice.lateShare).toBeGreaterThan(0.5);
    expect(report.peakGoodputRps).toBeGreaterThan(0.8 * report.capacityRps);
    expect(readFileSync(path.join(out, 'junit.xml'), 'utf8')).toMatch(/tests="3" failures="0"/);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/## Overload \(measured, not gated\)\n\n\*\*cliff: at 2× \([\d.]+\/s\) it kept [\d.]+ % of its peak goodput/);
    expect(readFileSync(path.join(out, 'capacity.html'), 'utf8')).toContain('"id":"goodput"');
    expect(readdirSync(path.join(out, 'steps')).filter((f) => f.endsWith('-overload.ndjson'))).toHaveLength(2);
  }, 180_000);

  it('shows a plateau for a target that sheds past its capacity, with the target\'s metrics scraped each second of every step', async () => {
    // The scenario names a Prometheus endpoint: each step's scrapes go beside its metrics.
    let scrapes = 0;
    const metrics = http.createServer((_req, res) => res.end(`# TYPE scrapes_total counter\nscrapes_total ${++scrapes}\n`));
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const scraped = path.join(scratch, 'scraped.yaml');
    writeFileSync(scraped, readFileSync(SCENARIO, 'utf8').replace('target: http://127.0.0.1:9\n', `target: http://127.0.0.1:9\nscrape: http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics\n`));
    const out = path.join(scratch, 'shedding-run');
    const cli = io();
    const code = await main(['capacity', scraped, '--target', shedding, '--out', out, '--json', '--start', '150', '--step', '3s', '--settle', '1s', '--refine', '1', '--confirm', '0', '--workers', '1'], cli).finally(() => metrics.close());
    expect(code, cli.err()).toBe(0);
    const steps = readSteps(path.join(out, STEPS_FILE));
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const step of steps) {
      expect(step.serverFile).toBe(step.file.replace(/\.ndjson$/, '-server.ndjson'));
      const lines = readServer(path.join(out, step.serverFile!));
      // A 3 s step (the first may run longer): a scrape at its start and one each second after.
      expect(lines.length, step.serverFile).toBeGreaterThanOrEqual(3);
      expect(lines.every((l) => l.error === undefined && (l.metrics?.scrapes_total ?? 0) > 0)).toBe(true);
      expect(lines.map((l) => l.t)).toEqual([...lines.map((l) => l.t)].sort((a, b) => a - b));
      expect(lines[0]?.t).toBeLessThan(0.5);
    }
    const report = JSON.parse(cli.out());
    expect(report.overloadShape).toBe('plateau');
    const twice = report.overload.find((o: { multiple: number }) => o.multiple === 2);
    expect(twice.keptShare).toBeGreaterThanOrEqual(0.8);
    // It keeps its goodput by refusing the rest fast: shed, not timed out, and answered in time.
    expect(twice.byOutcome.shed).toBeGreaterThan(0.3);
    expect(twice.byOutcome.timeout ?? 0).toBe(0);
    expect(twice.p50Ms).toBeLessThan(100);
    expect(cli.err()).toMatch(/overload 2× at [\d.]+\/s: goodput [\d.]+\/s/);
  }, 180_000);

  it('gates on a baseline of its own, end to end: within --max-regression it passes; a 30 % regression exits 99 with the numbers on one line', async () => {
    // The baseline as `capacity --json` prints it: 200/s, the fast server's capacity, with a
    // first-step p99 whose interval is open at the top, so that capacity alone decides here: at
    // 150/s the 5 ms server is 75 % busy, and its p99 on a loaded 2-core machine is any size.
    const baseline = path.join(scratch, 'own-baseline.json');
    writeFileSync(baseline, `${JSON.stringify(judge(found(200, 50, [40, null]), context(undefined)))}\n`);

    // One step at 150/s (--max 150): capacity 150/s, 25 % below the baseline. That passes with
    // --max-regression 30 and would fail with the default 10, so the flag is what passed it.
    const within = io();
    const withinOut = path.join(scratch, 'within-run');
    expect(await main(['capacity', SCENARIO, '--target', fast, '--out', withinOut, '--json', '--baseline', baseline, '--max-regression', '30', ...STEPS, '--max', '150'], within), within.err()).toBe(0);
    const report = JSON.parse(within.out());
    expect(report).toMatchObject({ capacityRps: 150, verdict: 'pass' });
    expect(report.baseline).toMatchObject({ file: baseline, capacityRps: 200, ok: true, maxRegressionPct: 30, capacityChangePct: -25 });
    expect(within.err()).not.toMatch(/regression/);

    // The 140/s server under the default --max-regression 10.
    const slower = io();
    const slowOut = path.join(scratch, 'slow-run');
    const code = await main(['capacity', SCENARIO, '--target', slow, '--out', slowOut, '--baseline', baseline, '--no-overload', ...STEPS, '--start', '100', '--refine', '3'], slower);
    expect(code).toBe(99);
    const line = slower.err().trim().split('\n').find((l) => l.includes('regression'));
    expect(line).toMatch(/^codestorm: regression beyond 10 %: capacity 200\/s → [\d.]+\/s \(-[\d.]+ %\), p99 at the first step/);
    const cut = Number(/\(-([\d.]+) %\)/.exec(line ?? '')?.[1]);
    expect(cut).toBeGreaterThanOrEqual(20);
    expect(cut).toBeLessThanOrEqual(40);
    expect(slower.out()).toMatch(/^FAIL: /);
    const written = JSON.parse(readFileSync(path.join(slowOut, 'capacity.json'), 'utf8'));
    expect(written.baseline).toMatchObject({ ok: false, maxRegressionPct: 10, capacityChangePct: -cut });
    // --no-overload: no step past the knee ran, though the SLO held at some rate.
    expect(written).toMatchObject({ sloHeld: true, overload: [], overloadShape: null });
    expect(readdirSync(path.join(slowOut, 'steps')).filter((f) => f.includes('overload'))).toEqual([]);
    expect(slower.err()).not.toMatch(/overload/);
  }, 180_000);

  it('exits 2 on invalid input, naming the flag, before starting anything', async () => {
    const bad = io();
    expect(await main(['capacity', SCENARIO, '--target', fast, '--slo', 'p99<100'], bad)).toBe(2);
    expect(bad.err()).toMatch(/--slo/);
    const missing = io();
    expect(await main(['capacity', SCENARIO, '--target', fast, '--baseline', path.join(scratch, 'nope.json')], missing)).toBe(2);
    expect(missing.err()).toMatch(/--baseline: .*nope\.json: no such file/);
    const regression = io();
    expect(await main(['capacity', SCENARIO, '--target', fast, '--max-regression', 'lots'], regression)).toBe(2);
    expect(regression.err()).toMatch(/--max-regression: expected a percentage/);
    const multiples = io();
    expect(await main(['capacity', SCENARIO, '--target', fast, '--overload', '1.5,1'], multiples)).toBe(2);
    expect(multiples.err()).toMatch(/--overload: expected multiples of the capacity above 1/);
    const set = io();
    expect(await main(['capacity', SCENARIO, '--target', fast, '--set', 'coalesce=false'], set)).toBe(2);
    expect(set.err()).toMatch(/^codestorm: --set: the target is http:\/\/127\.0\.0\.1:\d+, not the reference stack/);
  });

  it('exits 1 when the harness itself fails (its run directory cannot be made)', async () => {
    const cli = io();
    expect(await main(['capacity', SCENARIO, '--target', fast, '--out', '/dev/null/run', ...STEPS], cli)).toBe(1);
    expect(cli.err()).toMatch(/ENOTDIR|not a directory/i);
  });
});
