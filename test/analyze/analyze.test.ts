import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/analyze.js';
import { readRunDir } from '../../src/analyze/read.js';
import { parseSlo } from '../../src/analyze/slo.js';
import { differences } from '../../src/report/compare.js';
import { decodeSparse, LatencyWindow } from '../../src/analyze/window.js';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, mergeInto, percentileMs, recordLatency, summarize } from '../../src/engine/histogram.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { toNdjsonLine } from '../../src/run-files/metrics.js';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';

/**
 * The analysis on synthetic run directories whose answers are known by construction: each
 * second's arrivals, successes, failures and latency are chosen, written with the engine's own
 * encoder, and read back as `codestorm report` reads any run.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-analyze-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Second {
  offered: number;
  ok: number;
  failed: number;
  latencyMs: number;
  /** Answered requests of a second kind, `sign-in`. */
  signIns?: number;
  /** Answered requests of a third kind, `scan`. */
  scans?: number;
  /** Journeys that ended this second; `offered` when not given. */
  completed?: number;
  /** The most journeys in flight this second; 0 when not given. */
  inFlight?: number;
  /** How late the generator handed on arrivals this second (ms), one per entry; none when not given. */
  arrivalLagsMs?: readonly number[];
}

function runDir(name: string, seconds: readonly Second[], slo: string, events: readonly Record<string, unknown>[] = []): string {
  const dir = path.join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  const lines = seconds.map((s, t) => {
    const m = new SecondMetrics(t);
    m.offered(s.offered);
    m.started(s.offered);
    m.iteration(s.completed ?? s.offered);
    if (s.inFlight !== undefined) m.inFlight(s.inFlight);
    for (const ms of s.arrivalLagsMs ?? []) m.arrivalLag(ms);
    for (let i = 0; i < s.ok; i++) m.request('get', 'ok', s.latencyMs * 1000, s.latencyMs * 1000);
    for (let i = 0; i < s.failed; i++) m.request('get', '5xx', s.latencyMs * 1000, s.latencyMs * 1000);
    for (let i = 0; i < (s.signIns ?? 0); i++) m.request('sign-in', 'ok', s.latencyMs * 1000, s.latencyMs * 1000);
    for (let i = 0; i < (s.scans ?? 0); i++) m.request('scan', 'ok', s.latencyMs * 1000, s.latencyMs * 1000);
    return toNdjsonLine(mergeWire([m.toWire()]));
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'metrics.ndjson'), lines.join(''));
  writeFileSync(path.join(dir, 'events.ndjson'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  writeFileSync(
    path.join(dir, 'scenario.yaml'),
    `name: ${name}\nseed: 1\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 10, duration: ${seconds.length}s }\njourneys:\n  - { name: j, steps: [ { name: get, request: { url: "/" } } ] }\nslo:\n${slo}`,
  );
  return dir;
}

const SLO = '  window: 5s\n  sustain: 3s\n  metastableAfter: 20s\n  http_req_duration: ["p(99)<1000"]\n  http_req_failed: ["rate<0.05"]\n';

function analysed(dir: string) {
  const run = readRunDir(dir);
  const slo = parseSlo({ window: '5s', sustain: '3s', metastableAfter: '20s', http_req_duration: ['p(99)<1000'], http_req_failed: ['rate<0.05'] });
  return analyze(run, slo);
}

describe('breaking point', () => {
  it('is the first second of a sustained violation, with its offered rate, SLO and margin', () => {
    // A ramp: 10, 20, 30 … arrivals/s; fast until second 30, then every answer takes 2 s.
    const seconds = Array.from({ length: 45 }, (_, t) => ({ offered: 10 * (t + 1), ok: 10 * (t + 1), failed: 0, latencyMs: t < 30 ? 50 : 2_000 }));
    const a = analysed(runDir('ramp', seconds, SLO));
    expect(a.breakingPoint).toMatchObject({ atS: 30, slo: 'http_req_duration', limit: 1000 });
    expect(a.breakingPoint!.value).toBeGreaterThanOrEqual(1_999);
    expect(a.breakingPoint!.exceededBy).toBeCloseTo(a.breakingPoint!.value - 1000, 3);
    // Windowed offered rate over seconds 26..30: (270 + 280 + 290 + 300 + 310) / 5.
    expect(a.breakingPoint!.offeredRps).toBe(290);
    // Capacity: the best window before it, 25..29, all good.
    expect(a.capacity).toEqual({ goodRps: 280, offeredRps: 280, completedRps: 280, atS: 29, lowerBound: false });
    expect(a.series[29]!.sloOk).toBe(true);
    expect(a.series[30]!.sloOk).toBe(false);
  });

  it('is not a blip: a violation shorter than `sustain` does not count', () => {
    const seconds = Array.from({ length: 40 }, (_, t) => ({ offered: 100, ok: t === 20 ? 0 : 100, failed: t === 20 ? 100 : 0, latencyMs: 10 }));
    const a = analysed(runDir('blip', seconds, SLO));
    // Windows ending at 20..24 hold second 20's failures: 100 of 500 = 20 % > 5 % for 5 s, sustained.
    expect(a.breakingPoint?.atS).toBe(20);
    const shortSlo = '  window: 1s\n  sustain: 3s\n  http_req_failed: ["rate<0.05"]\n';
    const b = analyze(readRunDir(runDir('blip-1s', seconds, shortSlo)), parseSlo({ window: '1s', sustain: '3s', http_req_failed: ['rate<0.05'] }));
    expect(b.breakingPoint).toBeNull();
    expect(b.slo.verdicts[0]).toMatchObject({ ok: true, violatedSeconds: 1 });
    expect(b.capacity?.lowerBound).toBe(true);
  });
});

describe('faults: recovery and metastability', () => {
  const fault = (from: number, to: number) => [
    { t: from, event: 'fault-begin', fault: 'crash', kind: 'process', target: 'server workers (all)' },
    { t: to, event: 'fault-end', fault: 'crash', kind: 'process', target: 'server workers (all)' },
  ];

  it('recovery: the SLOs hold again 4 s after the fault ends (the 5 s window clears its last failure)', () => {
    const seconds = Array.from({ length: 80 }, (_, t) => {
      const down = t >= 20 && t < 40;
      return { offered: 100, ok: down ? 0 : 100, failed: down ? 100 : 0, latencyMs: 10 };
    });
    const a = analysed(runDir('recovers', seconds, SLO, fault(20, 40)));
    expect(a.faults).toEqual([
      expect.objectContaining({ name: 'crash', startS: 20, endS: 40, goodputBefore: 100, goodputDuring: 0, errorRateDuring: 1, recoveryS: 4 }),
    ]);
    expect(a.metastable.flagged).toBe(false);
    expect(a.metastable.triggers).toContainEqual({ kind: 'fault', name: 'crash', goneS: 40, recoveredAtS: 44, metastable: false });
    // The same requests came back at the same rate: nothing surged.
    expect(a.faults[0]!.surges).toEqual([]);
  });

  it('a silent stretch is not a recovery: no answers while journeys wait is not known, not held', () => {
    // Down 20-40, then 6 s in which nothing is answered (not even a timeout) while 500 journeys
    // wait, as when the generator itself falls behind; answers come back, all good, at 46.
    const seconds = Array.from({ length: 80 }, (_, t) => {
      const down = t >= 20 && t < 40;
      const silent = t >= 40 && t < 46;
      return { offered: silent ? 0 : 100, ok: down || silent ? 0 : 100, failed: down ? 100 : 0, latencyMs: 10, inFlight: silent ? 500 : 100 };
    });
    const a = analysed(runDir('silent', seconds, SLO, fault(20, 40)));
    // The 5 s window ending at 44 holds no answers at all: before, that read as the SLOs holding.
    expect(a.series[44]!.sloOk).toBeNull();
    expect(a.series[45]!.sloOk).toBeNull();
    expect(a.series[46]!.sloOk).toBe(true);
    expect(a.faults[0]!.recoveryS).toBe(6);
    expect(a.metastable.triggers).toContainEqual({ kind: 'fault', name: 'crash', goneS: 40, recoveredAtS: 46, metastable: false });
    // Nobody waiting and nothing answered is an idle target, which holds its SLOs.
    const idle = seconds.map((s, t) => (t >= 40 && t < 46 ? { ...s, inFlight: 0 } : s));
    const b = analysed(runDir('idle', idle, SLO, fault(20, 40)));
    expect(b.series[44]!.sloOk).toBe(true);
    expect(b.faults[0]!.recoveryS).toBe(4);
  });

  it('names what surged after the fault ended: sign-ins at 12× their rate before, not the steady reads', () => {
    const seconds = Array.from({ length: 80 }, (_, t) => {
      const down = t >= 20 && t < 40;
      // Five sign-ins a second before; none while down; then a storm peaking at 43 s, and one
      // past the surge window (at 75 s) that is not this fault's.
      const signIns = down ? 0 : t < 20 ? 5 : t === 75 ? 90 : Math.max(5, 60 - 10 * Math.abs(t - 43));
      return { offered: 100, ok: down ? 0 : 100, failed: down ? 100 : 0, latencyMs: 10, signIns };
    });
    const dir = runDir('storm-after', seconds, SLO, fault(20, 40));
    const a = analysed(dir);
    expect(a.faults[0]!.surges).toEqual([{ name: 'sign-in', beforeRps: 5, peakRps: 60, atS: 43 }]);
  });

  it('puts the surge that added the most requests a second first, not the one with the largest ratio', () => {
    // Scans from none to 20/s (a ratio of 20, 20/s more); sign-ins from 5 to 60/s (12×, 55/s more).
    const seconds = Array.from({ length: 80 }, (_, t) => {
      const down = t >= 20 && t < 40;
      const after = t >= 40 && t < 50;
      return { offered: 100, ok: down ? 0 : 100, failed: down ? 100 : 0, latencyMs: 10, signIns: down ? 0 : after ? 60 : 5, scans: after ? 20 : 0 };
    });
    const a = analysed(runDir('two-storms', seconds, SLO, fault(20, 40)));
    expect(a.faults[0]!.surges).toEqual([
      { name: 'sign-in', beforeRps: 5, peakRps: 60, atS: 40 },
      { name: 'scan', beforeRps: 0, peakRps: 20, atS: 40 },
    ]);
    // compare names them too, largest first (up to three); a run without the fault has none.
    const summary = JSON.parse('{"requests":{"total":0,"failed":0},"rate":{},"latencyMs":null}');
    const calm = analysed(runDir('no-storm', seconds.slice(0, 20), SLO));
    const rows = differences({ label: 'A', summary, analysis: a }, { label: 'B', summary, analysis: calm });
    expect(rows.find((r) => r.what === 'fault crash: largest surges after it')).toMatchObject({ a: 'sign-in 60/s at 40 s; scan 20/s at 40 s', b: '–' });
  });

  it('metastable: the fault ends but goodput never comes back', () => {
    const seconds = Array.from({ length: 80 }, (_, t) => {
      const down = t >= 20;
      return { offered: 100, ok: down ? 0 : 100, failed: down ? 100 : 0, latencyMs: 10 };
    });
    const a = analysed(runDir('stays-down', seconds, SLO, fault(20, 40)));
    expect(a.faults[0]!.recoveryS).toBeNull();
    expect(a.metastable.flagged).toBe(true);
    expect(a.metastable.triggers).toContainEqual({ kind: 'fault', name: 'crash', goneS: 40, recoveredAtS: null, metastable: true });
  });

  it('metastable after a surge: the load falls back below capacity, the failures stay', () => {
    const surge = (t: number) => t >= 20 && t < 30;
    const make = (staysDown: boolean) =>
      Array.from({ length: 90 }, (_, t) => {
        const offered = surge(t) ? 1_000 : 100;
        const failing = surge(t) || (staysDown && t >= 30);
        return { offered, ok: failing ? 0 : offered, failed: failing ? offered : 0, latencyMs: failing ? 3_000 : 10 };
      });
    const down = analysed(runDir('surge-stays-down', make(true), SLO));
    expect(down.breakingPoint?.atS).toBe(20);
    expect(down.metastable.flagged).toBe(true);
    const load = down.metastable.triggers.find((t) => t.kind === 'load');
    expect(load).toMatchObject({ recoveredAtS: null, metastable: true });
    // The surge's seconds leave the 5 s window at 34: from then on the offered rate is back to 100/s.
    expect(load!.goneS).toBe(34);

    const up = analysed(runDir('surge-recovers', make(false), SLO));
    expect(up.breakingPoint?.atS).toBe(20);
    expect(up.metastable.flagged).toBe(false);
    expect(up.metastable.triggers.find((t) => t.kind === 'load')).toMatchObject({ goneS: 34, recoveredAtS: 34, metastable: false });
  });
});

describe('the generator against its schedule', () => {
  it('finds the latest arrival, and the seconds in which arrivals were handed on a second or more late', () => {
    const seconds = Array.from({ length: 30 }, (_, t) => ({
      offered: 100,
      ok: 100,
      failed: 0,
      latencyMs: 10,
      arrivalLagsMs: t < 12 ? [0.4, 2.1] : t === 17 ? [30, 2_960.5, 1_200] : t >= 14 && t < 20 ? [999.9, 1_000] : [12],
    }));
    const a = analysed(runDir('behind', seconds, SLO));
    // Seconds 14-19 each have one arrival 1,000 ms late: six seconds behind, from 14.
    expect(a.generator).toEqual({ arrivalLagMaxMs: 2_960.5, atS: 17, behindFromS: 14, secondsBehind: 6 });
    const onTime = analysed(runDir('on-time', seconds.map((s) => ({ ...s, arrivalLagsMs: [999] })), SLO));
    expect(onTime.generator).toEqual({ arrivalLagMaxMs: 999, atS: 0, behindFromS: null, secondsBehind: 0 });
    // No arrival lag recorded at all (the closed model, a k6 load, a run from before it): not known.
    expect(analysed(runDir('no-lags', seconds.map((s) => ({ ...s, arrivalLagsMs: [] })), SLO)).generator).toBeNull();
  });

  it('merges workers\' copies of a second by their largest arrival lag', () => {
    const a = new SecondMetrics(3);
    const b = new SecondMetrics(3);
    a.arrivalLag(4.25);
    a.arrivalLag(1);
    b.arrivalLag(1_500.0004);
    expect(a.toWire().arrivalLagMaxMs).toBe(4.25);
    expect(new SecondMetrics(3).toWire()).not.toHaveProperty('arrivalLagMaxMs');
    expect(mergeWire([a.toWire(), b.toWire()]).arrivalLagMaxMs).toBe(1_500);
    expect(mergeWire([a.toWire(), new SecondMetrics(3).toWire()]).arrivalLagMaxMs).toBe(4.25);
    expect(toNdjsonLine(mergeWire([b.toWire()]))).toContain('"arrivalLagMaxMs":1500');
  });
});

describe('windowed histograms', () => {
  it('give the same percentiles as one histogram of every sample (any data, added and taken away)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 1, max: 60_000_000 }), { minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 8 }), (secondsOfValues) => {
        const encoded = secondsOfValues.map((values) => {
          const h = createLatencyHistogram();
          for (const v of values) recordLatency(h, v);
          return encodeHistogram(h);
        });
        const window = new LatencyWindow();
        const all = createLatencyHistogram();
        // Add everything, plus one extra second that is then taken away again.
        for (const e of encoded) window.add(decodeSparse(e));
        window.add(decodeSparse(encoded[0]!));
        window.add(decodeSparse(encoded[0]!), -1);
        for (const e of encoded) mergeInto(all, decodeHistogram(e));
        const ps = [0, 1, 50, 90, 99, 99.9, 100];
        for (const p of ps) expect(window.percentile(p)).toBe(percentileMs(all, p));
        expect(window.percentiles(ps)).toEqual(ps.map((p) => percentileMs(all, p)));
        expect(window.avg).toBe(summarize(all).mean);
        expect(window.count).toBe(all.totalCount);
      }),
      { numRuns: 60 },
    );
  });

  it('read a histogram of another layout by re-bucketing its values', () => {
    const other = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, useWebAssembly: false });
    for (const v of [100, 2_000, 2_000, 50_000]) other.recordValue(v);
    const sparse = decodeSparse(encodeIntoCompressedBase64(other));
    expect(sparse.total).toBe(4);
    const w = new LatencyWindow();
    w.add(sparse);
    expect(w.percentile(50)).toBeGreaterThanOrEqual(1.99);
    expect(w.percentile(50)).toBeLessThanOrEqual(2.02);
  });
});

describe('the slo section', () => {
  it('has defaults and refuses what it cannot judge, naming the field', () => {
    expect(parseSlo(undefined)).toMatchObject({ windowS: 10, sustainS: 5, metastableAfterS: 30, source: 'default' });
    expect(() => parseSlo({ window: '1.5s', http_req_failed: ['rate<0.1'] })).toThrow(/slo\.window: expected whole seconds/);
    expect(() => parseSlo({ window: '10s' })).toThrow(/slo: expected at least one metric/);
    expect(() => parseSlo({ http_req_duration: ['p99<1'] })).toThrow(/slo\.http_req_duration\[0\]/);
  });
});
