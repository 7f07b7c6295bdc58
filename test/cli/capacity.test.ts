import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchCapacity, type StepResult } from '../../src/analyze/capacity.js';
import { countWithin, goodputLimitMs, overloadPlan, overloadStep, parseMultiples, runOverload, shapeOf } from '../../src/analyze/overload.js';
import { parseSloFlags } from '../../src/analyze/capacity.js';
import { judge, readBaseline, type Baseline } from '../../src/analyze/capacity-verdict.js';
import { createLatencyHistogram, recordLatency } from '../../src/engine/histogram.js';
import { renderCapacityHtml, renderCapacityJunit, renderCapacityMarkdown } from '../../src/report/capacity.js';
import { main } from '../../src/cli/main.js';
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
const STEPS = ['--start', '150', '--step', '3s', '--settle', '1s', '--refine', '4', '--workers', '1', '--quiet'];
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

/** A search's result with one first step (at 25/s), whose p99 the baseline gate compares. */
const found = (capacityRps: number, p99Ms: number, p99IntervalMs: readonly [number, number | null]) => ({
  capacityRps,
  failedAtRps: capacityRps + 10,
  uncertaintyRps: 5,
  sloHeld: true,
  knee: null,
  steps: [{ rateRps: 25, ok: true, reason: null, p50Ms: 5, p99Ms, p99IntervalMs, errorRate: 0, goodRps: 25, goodputRps: 25, byOutcome: { ok: 250 }, late: 0, dropped: 0 }],
});

/** What capacityCommand hands judge(), with a baseline read from base.json (or none). */
const context = (baseline: Omit<Baseline, 'file' | 'capacityRps'> & { capacityRps?: number } | undefined, maxRegression = 10) => ({
  scenario: 's',
  target: 'http://127.0.0.1:1',
  slo: [],
  baseline: baseline === undefined ? undefined : { file: 'base.json', capacityRps: 200, ...baseline },
  maxRegression,
  runDir: 'r',
  maxRps: 1_000,
  profile: null,
  settings: {},
  overload: { peakGoodputRps: 25, steps: [], shape: null },
  goodputLimitMs: null,
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
    expect(report.steps[0]).toMatchObject({ rateRps: 150, ok: true });
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

  it('shows a plateau for a target that sheds past its capacity', async () => {
    const cli = io();
    const code = await main(['capacity', SCENARIO, '--target', shedding, '--out', path.join(scratch, 'shedding-run'), '--json', ...STEPS.filter((f) => f !== '--quiet'), '--refine', '1', '--confirm', '0'], cli);
    expect(code, cli.err()).toBe(0);
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

describe('the capacity search', () => {
  const probeOf = (capacity: number) => async (rateRps: number): Promise<StepResult> => ({
    rateRps,
    ok: rateRps <= capacity,
    reason: rateRps <= capacity ? null : 'over',
    p50Ms: 1,
    p99Ms: rateRps <= capacity ? 10 : 5_000,
    p99IntervalMs: rateRps <= capacity ? [9, 12] : [4_000, null],
    errorRate: 0,
    goodRps: rateRps,
    goodputRps: rateRps,
    byOutcome: { ok: rateRps },
    late: 0,
    dropped: 0,
  });

  it('brackets by doubling and bisects inside the bracket, confirming each failure once', async () => {
    const r = await searchCapacity(probeOf(333), { startRps: 25, maxRps: 20_000, refine: 4 });
    expect(r.steps.map((s) => s.rateRps)).toEqual([25, 50, 100, 200, 400, 400, 300, 350, 350, 325, 337.5, 337.5]);
    expect(r).toMatchObject({ capacityRps: 325, failedAtRps: 337.5, uncertaintyRps: 6.3, sloHeld: true });
    expect(r.knee?.rateRps).toBe(325);
  });

  it('does not let one hiccup near the knee cost a bisection step', async () => {
    let hiccups = 1;
    const noisy = async (rateRps: number): Promise<StepResult> => {
      const step = await probeOf(333)(rateRps);
      if (rateRps === 325 && step.ok && hiccups-- > 0) return { ...step, ok: false, reason: 'a hiccup' };
      return step;
    };
    const r = await searchCapacity(noisy, { startRps: 25, maxRps: 20_000, refine: 4 });
    expect(r.capacityRps).toBe(325);
    const unconfirmed = await searchCapacity((() => {
      let once = 1;
      return async (rateRps: number) => {
        const step = await probeOf(333)(rateRps);
        return rateRps === 325 && once-- > 0 ? { ...step, ok: false, reason: 'a hiccup' } : step;
      };
    })(), { startRps: 25, maxRps: 20_000, refine: 4, confirm: 0 });
    expect(unconfirmed.capacityRps).toBe(312.5);
  });

  it('does not let one hiccup on the way up halve the answer, or zero it on the first step', async () => {
    const hiccupAt = (rate: number) => {
      let once = 1;
      return async (rateRps: number) => {
        const step = await probeOf(333)(rateRps);
        return rateRps === rate && once-- > 0 ? { ...step, ok: false, reason: 'a hiccup' } : step;
      };
    };
    for (const rate of [25, 100]) {
      const r = await searchCapacity(hiccupAt(rate), { startRps: 25, maxRps: 20_000, refine: 4 });
      expect(r.capacityRps, `a hiccup at ${rate}/s`).toBe(325);
      expect(r.steps.filter((s) => s.rateRps === rate).map((s) => s.ok)).toEqual([false, true]);
    }
    const unconfirmed = await searchCapacity(hiccupAt(25), { startRps: 25, maxRps: 20_000, refine: 4, confirm: 0 });
    expect(unconfirmed).toMatchObject({ capacityRps: 0, sloHeld: false });
  });

  it('says so when nothing fails up to the maximum, and when even the first step fails', async () => {
    const high = await searchCapacity(probeOf(1e9), { startRps: 100, maxRps: 500, refine: 4 });
    expect(high.steps.map((s) => s.rateRps)).toEqual([100, 200, 400, 500]);
    expect(high).toMatchObject({ capacityRps: 500, failedAtRps: null, uncertaintyRps: null, sloHeld: true });
    const none = await searchCapacity(probeOf(10), { startRps: 25, maxRps: 500, refine: 4 });
    expect(none).toMatchObject({ capacityRps: 0, sloHeld: false, steps: [expect.objectContaining({ rateRps: 25, ok: false }), expect.objectContaining({ rateRps: 25, ok: false })] });
  });
});

describe('the baseline gate', () => {
  it('passes an equal run, and a capacity drop up to --max-regression exactly; fails one beyond it', () => {
    const equal = judge(found(200, 10, [9, 12]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] }, 15));
    expect(equal.baseline).toEqual({
      file: 'base.json',
      capacityRps: 200,
      p99AtStartMs: 10,
      p99AtStartIntervalMs: [9, 12],
      capacityChangePct: 0,
      p99ChangePct: 0,
      p99ChangeSignificant: false,
      maxRegressionPct: 15,
      ok: true,
    });
    expect(equal).toMatchObject({ verdict: 'pass', reason: 'capacity 200/s (it broke at 210/s; ±5/s)' });
    const base = context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] });
    expect(judge(found(180, 10, [9, 12]), base)).toMatchObject({ verdict: 'pass', baseline: { ok: true, capacityChangePct: -10 } });
    expect(judge(found(179.8, 10, [9, 12]), base)).toMatchObject({ verdict: 'fail', baseline: { ok: false, capacityChangePct: -10.1 } });
    // Faster is never a regression.
    expect(judge(found(300, 10, [9, 12]), base)).toMatchObject({ verdict: 'pass', baseline: { ok: true, capacityChangePct: 50 } });
  });

  it('fails a 30 % capacity regression, with both capacities and the change on one line', () => {
    const r = judge(found(140, 10, [9, 12]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] }));
    expect(r).toMatchObject({ verdict: 'fail', capacityRps: 140, baseline: { ok: false, capacityChangePct: -30, maxRegressionPct: 10 } });
    expect(r.reason).toMatch(/^capacity 140\/s \(it broke at 150\/s; ±5\/s\); regression beyond 10 %: capacity 200\/s → 140\/s \(-30 %\), p99 at the first step 10 ms \[9–12\] → 10 ms \[9–12\]/);
    expect(r.reason).not.toContain('\n');
  });

  it('fails when the SLO held at no rate, with or without a baseline', () => {
    const none = { ...found(0, 500, [400, 600]), sloHeld: false, failedAtRps: 25, steps: [{ ...found(0, 500, [400, 600]).steps[0]!, ok: false, reason: 'http_req_duration: p(99)<100 failed at 500' }] };
    expect(judge(none, context(undefined))).toMatchObject({ verdict: 'fail', baseline: null, reason: 'the SLO failed even at 25/s: http_req_duration: p(99)<100 failed at 500' });
    expect(judge(none, context({ capacityRps: 0, p99AtStartMs: 500, p99AtStartIntervalMs: [400, 600] }))).toMatchObject({ verdict: 'fail', baseline: { ok: true } });
  });

  it('fails a p99 rise beyond the allowed regression only when it is beyond the sampling noise too', () => {
    const base = context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, 12] });
    // +15 %, but the two intervals overlap: as two runs of one server differ.
    const noisy = judge(found(200, 11.5, [10, 14]), base);
    expect(noisy.baseline).toMatchObject({ ok: true, p99ChangePct: 15, p99ChangeSignificant: false });
    expect(noisy.verdict).toBe('pass');
    // +100 % and clear of the baseline's interval: a regression.
    const slower = judge(found(200, 20, [17, 24]), base);
    expect(slower.baseline).toMatchObject({ ok: false, p99ChangePct: 100, p99ChangeSignificant: true });
    expect(slower.verdict).toBe('fail');
    expect(slower.reason).toMatch(/p99 at the first step 10 ms \[9–12\] → 20 ms \[17–24\] \(\+100 %\)/);
    // Beyond the noise but within the allowed regression: fine.
    expect(judge(found(200, 10.8, [12.5, 13]), base).baseline).toMatchObject({ ok: true, p99ChangeSignificant: true });
    // Capacity still gates on its own.
    expect(judge(found(170, 10, [9, 12]), base).baseline).toMatchObject({ ok: false, capacityChangePct: -15 });
  });

  it('shows both p99s with the intervals it compared, in summary.md and capacity.html', () => {
    const r = judge(found(200, 11.5, [10, 14]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, null] }));
    const line = 'p99 at the first step 10 ms [9–open] → 11.5 ms [10–14] (+15 %, within sampling noise)';
    expect(renderCapacityMarkdown(r)).toContain(line);
    expect(renderCapacityHtml(r)).toContain(line);
  });

  it('cannot call a p99 rise significant against a baseline whose interval is open at the top', () => {
    const open = judge(found(200, 30, [25, 40]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: [9, null] }));
    expect(open.baseline).toMatchObject({ ok: true, p99ChangeSignificant: false });
    // A baseline from before intervals were kept is taken at its word: a point.
    const old = judge(found(200, 30, [25, 40]), context({ p99AtStartMs: 10, p99AtStartIntervalMs: null }));
    expect(old.baseline).toMatchObject({ ok: false, p99ChangeSignificant: true });
  });

  it('reads a baseline from what capacity --json printed or capacity.json holds, and names the file and field when it cannot', () => {
    const dir = mkdtempSync(path.join(scratch, 'baselines-'));
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const report = judge(found(200, 11.5, [10, 14]), context(undefined));
    const printed = write('printed.json', `${JSON.stringify(report)}\n`);
    expect(readBaseline(printed)).toEqual({ file: printed, capacityRps: 200, p99AtStartMs: 11.5, p99AtStartIntervalMs: [10, 14] });
    const pretty = write('capacity.json', `${JSON.stringify(report, null, 2)}\n`);
    expect(readBaseline(pretty)).toMatchObject({ capacityRps: 200, p99AtStartMs: 11.5, p99AtStartIntervalMs: [10, 14] });
    // An interval open at the top is kept; a baseline from before intervals has none; no p99 at all.
    expect(readBaseline(write('open.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: 9, p99AtStartIntervalMs: [8, null] })))).toMatchObject({ p99AtStartIntervalMs: [8, null] });
    expect(readBaseline(write('old.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: 9 })))).toMatchObject({ capacityRps: 150, p99AtStartMs: 9, p99AtStartIntervalMs: null });
    expect(readBaseline(write('bare.json', JSON.stringify({ capacityRps: 150, p99AtStartMs: null, p99AtStartIntervalMs: ['x', 3] })))).toMatchObject({ p99AtStartMs: null, p99AtStartIntervalMs: null });
    const refused = (file: string) => {
      try {
        readBaseline(file);
      } catch (err) {
        return err;
      }
      return expect.fail(`${file} was read`);
    };
    const missing = path.join(dir, 'nope.json');
    expect(refused(missing)).toMatchObject({ exitCode: 2, message: `--baseline: ${missing}: no such file` });
    const notJson = write('garbled.json', '{"capacityRps": 2');
    expect(refused(notJson)).toMatchObject({ exitCode: 2, message: expect.stringMatching(new RegExp(`^--baseline: ${notJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not JSON \\(`)) });
    const noCapacity = write('summary.json', JSON.stringify({ verdict: 'pass', capacityRps: '200' }));
    expect(refused(noCapacity)).toMatchObject({ exitCode: 2, message: `--baseline: ${noCapacity}: capacityRps: expected a number (the output of codestorm capacity --json)` });
  });
});

describe('the overload steps', () => {
  const step = (rateRps: number, counts: StepResult['byOutcome'], goodputRps: number, late = 0): StepResult => ({
    rateRps,
    ok: false,
    reason: 'over',
    p50Ms: 3,
    p99Ms: 40,
    p99IntervalMs: [30, 50],
    errorRate: null,
    goodRps: goodputRps,
    goodputRps,
    byOutcome: counts,
    late,
    dropped: 0,
  });

  it('plans 1.5×, 2× and 3× the capacity, capped by --max, leaving out what the cap makes equal', () => {
    expect(overloadPlan(200, [1.5, 2, 3], 20_000)).toEqual([
      { multiple: 1.5, rateRps: 300, capped: false },
      { multiple: 2, rateRps: 400, capped: false },
      { multiple: 3, rateRps: 600, capped: false },
    ]);
    // --max 500: 3× runs at 500/s and says it is 2.5×; with --max 400 it would repeat 2×.
    expect(overloadPlan(200, [3, 2, 1.5], 500)).toEqual([
      { multiple: 1.5, rateRps: 300, capped: false },
      { multiple: 2, rateRps: 400, capped: false },
      { multiple: 2.5, rateRps: 500, capped: true },
    ]);
    expect(overloadPlan(200, [1.5, 2, 3], 400).map((p) => p.rateRps)).toEqual([300, 400]);
    expect(overloadPlan(200, [1.5, 2, 3], 200)).toEqual([]);
    expect(overloadPlan(0, [1.5, 2, 3], 20_000)).toEqual([]);
  });

  it('measures each step against the peak goodput of the steps that held, and never runs when none held', async () => {
    const search = await searchCapacity(async (rateRps) => ({ ...step(rateRps, { ok: rateRps * 3 }, rateRps), ok: rateRps <= 200, reason: rateRps <= 200 ? null : 'over' }), { startRps: 50, maxRps: 20_000, refine: 0 });
    expect(search.capacityRps).toBe(200);
    const asked: number[] = [];
    const o = await runOverload(async (p) => (asked.push(p.rateRps), step(p.rateRps, { ok: 600, shed: 300, timeout: 100 }, 190, 20)), search, { multiples: [1.5, 2, 3], maxRps: 20_000 });
    expect(asked).toEqual([300, 400, 600]);
    expect(o.peakGoodputRps).toBe(200);
    expect(o.steps[1]).toEqual({ multiple: 2, offeredRps: 400, goodputRps: 190, keptShare: 0.95, errorShare: 0.4, lateShare: 0.02, byOutcome: { shed: 0.3, timeout: 0.1 }, dropped: 0, p50Ms: 3, p99Ms: 40 });
    expect(o.shape).toBe('plateau');
    const none = await runOverload(async () => expect.fail('no overload step may run when the SLO held at no rate'), { ...search, sloHeld: false, capacityRps: 0, knee: null }, { multiples: [1.5, 2, 3], maxRps: 20_000 });
    expect(none).toMatchObject({ steps: [], shape: null });
  });

  it('calls the shape at the step nearest 2×: a plateau from 80 % kept, a cliff up to 30 %', () => {
    const at = (multiple: number, kept: number | null) => ({ ...overloadStep(step(100, { ok: 1 }, 1), multiple, 1), keptShare: kept });
    expect(shapeOf([at(1.5, 0.1), at(2, 0.8), at(3, 0.1)])).toBe('plateau');
    expect(shapeOf([at(1.5, 1), at(2, 0.3), at(3, 1)])).toBe('cliff');
    expect(shapeOf([at(2, 0.31)])).toBe('degrading');
    expect(shapeOf([at(2, 0.79)])).toBe('degrading');
    // Capped at 1.5× and 2.5×: equally near; the higher decides.
    expect(shapeOf([at(1.5, 1), at(2.5, 0.2)])).toBe('cliff');
    expect(shapeOf([at(2, null)])).toBeNull();
    expect(shapeOf([])).toBeNull();
  });

  it('counts a response as goodput only within the SLO\'s latency limit', () => {
    expect(goodputLimitMs(parseSloFlags(['p(99)<100', 'p(95)<=250', 'rate<0.01']))).toBe(250);
    expect(goodputLimitMs(parseSloFlags(['rate<0.01']))).toBeNull();
    const h = createLatencyHistogram();
    for (const ms of [1, 50, 99.9, 100, 100.2, 2_000]) recordLatency(h, ms * 1000);
    expect(countWithin(h, 100)).toBe(4);
    expect(countWithin(h, 1_000_000)).toBe(6);
  });

  it('reads --overload as a list of multiples above 1', () => {
    expect(parseMultiples('3, 1.5,2,2')).toEqual([1.5, 2, 3]);
    for (const bad of ['1', '0.5,2', 'two', '', '2,,3', '-2']) expect(() => parseMultiples(bad), bad).toThrow(/--overload: expected multiples/);
  });

  it('renders the overload in summary.md, capacity.html and junit.xml without failing the suite', () => {
    const search = { capacityRps: 200, failedAtRps: 225, uncertaintyRps: 12.5, sloHeld: true, knee: step(200, { ok: 600 }, 200), steps: [{ ...step(200, { ok: 600 }, 200), ok: true, reason: null }] };
    const o = { peakGoodputRps: 200, steps: [overloadStep(step(400, { ok: 60, timeout: 540 }, 10, 40), 2, 200)], shape: 'cliff' as const };
    const r = judge(search, { scenario: 's', target: 'http://127.0.0.1:1', slo: [], baseline: undefined, maxRegression: 10, runDir: 'r', maxRps: 1_000, profile: 'fragile', settings: { coalesce: true }, overload: o, goodputLimitMs: 100 });
    expect(r.verdict).toBe('pass');
    const md = renderCapacityMarkdown(r);
    expect(md).toContain('**cliff: at 2× (400/s) it kept 5 % of its peak goodput (200/s)**');
    expect(md).toContain('| 2× | 400/s | 10/s | 5 % | 90 % | timeout 90 % | 6.7 % | 0 | 3 ms | 40 ms |');
    expect(md).toContain('profile: fragile, coalesce=true');
    const html = renderCapacityHtml(r);
    expect(html).toContain('profile fragile, coalesce=true');
    expect(html).toContain('"id":"goodput"');
    expect(renderCapacityJunit(r)).toMatch(/tests="2" failures="0"[\s\S]*classname="overload" name="overload 2× \(400\/s, informational\)/);
  });
});
