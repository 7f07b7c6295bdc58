import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/analyze.js';
import { readRunDir } from '../../src/analyze/read.js';
import { countAtMost, decodeSparse } from '../../src/analyze/window.js';
import { createLatencyHistogram, encodeHistogram, recordLatency } from '../../src/engine/histogram.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { CodestormError } from '../../src/errors.js';
import { toNdjsonLine } from '../../src/run-files/metrics.js';
import { compileScenario, loadScenario } from '../../src/scenario/load.js';

/**
 * `slo.goodput`: goodput over named spans of a run, counting ok answers within a bound. Run
 * directories are made with the engine's own encoder and analysed as `codestorm report` does.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-goodput-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const SCENARIOS = path.resolve(import.meta.dirname, '../../scenarios');

const scenarioText = (goodput: string, seconds = 10) =>
  `name: g\nseed: 1\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 10, duration: ${seconds}s }\njourneys:\n  - { name: j, steps: [ { name: get, request: { url: "/" } } ] }\nslo:\n  http_req_failed: ["rate<0.5"]\n${goodput}`;

/** Each second: [fast ok answers (10 ms), slow ok answers (5 s), failed]. */
function analysed(name: string, seconds: readonly (readonly [number, number, number])[], goodput: string) {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const lines = seconds.map(([fast, slow, failed], t) => {
    const m = new SecondMetrics(t);
    m.offered(fast + slow + failed);
    m.started(fast + slow + failed);
    for (let i = 0; i < fast; i++) m.request('get', 'ok', 10_000, 10_000);
    for (let i = 0; i < slow; i++) m.request('get', 'ok', 5_000_000, 5_000_000);
    for (let i = 0; i < failed; i++) m.request('get', '5xx', 1_000, 1_000);
    return toNdjsonLine(mergeWire([m.toWire()]));
  });
  writeFileSync(path.join(dir, 'metrics.ndjson'), lines.join(''));
  writeFileSync(path.join(dir, 'events.ndjson'), '');
  writeFileSync(path.join(dir, 'scenario.yaml'), scenarioText(goodput, seconds.length));
  const loaded = compileScenario(scenarioText(goodput, seconds.length), path.join(dir, 'scenario.yaml'));
  return analyze(readRunDir(dir), loaded.slo);
}

const problemsOf = (text: string): string => {
  try {
    compileScenario(text, 'g.yaml');
  } catch (err) {
    if (err instanceof CodestormError && err.exitCode === 2) return err.message;
    throw err;
  }
  throw new Error('expected the scenario to be refused');
};

describe('countAtMost', () => {
  it('counts the samples at or under the bound, never one that was slower', () => {
    const h = createLatencyHistogram();
    for (const us of [1_000, 2_990_000, 2_999_900, 3_010_000, 30_000_000]) recordLatency(h, us);
    const s = decodeSparse(encodeHistogram(h));
    // 2.9999 s shares its bucket (3 significant digits: about 2 ms wide here) with values over
    // 3 s, so it is not counted: a bucket counts only when all of it is within the bound.
    expect(countAtMost(s, 3_000)).toBe(2);
    expect(countAtMost(s, 2_000)).toBe(1);
    expect(countAtMost(s, 0.5)).toBe(0);
    expect(countAtMost(s, 60_000)).toBe(5);
  });
});

describe('goodput windows', () => {
  it('average the ok answers within the bound over each span, straddled seconds weighed, and give each span over the first', () => {
    // Seconds 0-3: 10 fast answers each; 4-7: 2 fast and 8 slow; 8-9: 6 fast, 4 failed.
    const seconds = Array.from({ length: 10 }, (_, t): [number, number, number] => (t < 4 ? [10, 0, 0] : t < 8 ? [2, 8, 0] : [6, 0, 4]));
    const a = analysed('spans', seconds, '  goodput:\n    within: 3s\n    windows:\n      before: { from: "+0s", to: "+4s" }\n      during: { from: "+4s", to: "+8s" }\n      edge: { from: "+3.5s", to: "+4.5s" }\n      late: { from: "+8s", to: "+30s" }\n');
    expect(a.goodput?.withinMs).toBe(3_000);
    const byName = Object.fromEntries(a.goodput!.windows.map((w) => [w.name, w]));
    expect(byName['before']).toMatchObject({ startS: 0, endS: 4, coveredS: 4, goodRps: 10, ofFirst: 1 });
    expect(byName['during']).toMatchObject({ goodRps: 2, ofFirst: 0.2 });
    // Half of second 3 (10) and half of second 4 (2).
    expect(byName['edge']).toMatchObject({ coveredS: 1, goodRps: 6, ofFirst: 0.6 });
    // The run ends at 10 s: two of the span's 22 seconds are in it.
    expect(byName['late']).toMatchObject({ startS: 8, endS: 30, coveredS: 2, goodRps: 6 });
  });

  it('count every ok answer without a bound, and are null when the SLO names none', () => {
    const seconds = Array.from({ length: 4 }, (): [number, number, number] => [2, 8, 1]);
    const a = analysed('unbounded', seconds, '  goodput:\n    windows:\n      all: { from: "+0s", to: "+4s" }\n      none: { from: "+20s", to: "+30s" }\n');
    expect(a.goodput?.withinMs).toBeNull();
    expect(a.goodput?.windows[0]).toMatchObject({ goodRps: 10, ofFirst: 1 });
    expect(a.goodput?.windows[1]).toMatchObject({ coveredS: 0, goodRps: null, ofFirst: null });
    expect(analysed('no-spans', seconds, '').goodput).toBeNull();
  });

  it('are placed on a city clock: the Xi\'an morning\'s 08:45, 09:00 and 10:00 at compress 80', async () => {
    const loaded = await loadScenario(path.join(SCENARIOS, 'xian-2022-01-04.yaml'));
    expect(loaded.slo.goodput?.withinMs).toBe(3_000);
    expect(loaded.slo.goodput?.windows.map((w) => [w.name, w.startS, w.endS])).toEqual([
      ['before', 33.75, 45],
      ['surge', 45, 90],
      ['after', 90, 112.5],
    ]);
  });

  it('refuse what they cannot place, one line each naming the field (exit 2)', () => {
    const text = scenarioText('  goodput:\n    within: 0s\n    extra: 1\n    windows:\n      a: { from: "09:00", to: "+10s" }\n      b: { from: "+5s", to: "+5s" }\n      c: { from: "soon", to: "+5s", at: 1 }\n');
    const message = problemsOf(text);
    expect(message).toContain('slo.goodput.within: expected a duration above 0');
    expect(message).toContain('slo.goodput.extra: unknown field');
    expect(message).toContain('slo.goodput.windows.c.from: expected a time of day "HH:MM[:SS]"');
    expect(message).toContain('slo.goodput.windows.c.at: unknown field');
    for (const line of message.split('\n')) expect(line).toMatch(/^g\.yaml:\d+: slo\.goodput/);
    // Placed only once every field reads: a time of day without a city clock, and an empty span.
    const placed = problemsOf(scenarioText('  goodput:\n    windows:\n      a: { from: "09:00", to: "+10s" }\n      b: { from: "+5s", to: "+5s" }\n'));
    expect(placed).toContain('slo.goodput.windows.a.from: a time of day needs a city clock');
    expect(placed).toContain('slo.goodput.windows.b.to: expected a time after from (+5s), got +5s');
    expect(problemsOf(scenarioText('  goodput: { within: 3s }\n'))).toContain('slo.goodput.windows: expected a map of named spans');
  });
});

describe('goodput windows in the reports', () => {
  it('are told in the story and set side by side in compare', async () => {
    const { goodputText } = await import('../../src/report/markdown.js');
    const { differences } = await import('../../src/report/compare.js');
    const seconds = Array.from({ length: 8 }, (_, t): [number, number, number] => (t < 4 ? [10, 0, 0] : [2, 8, 0]));
    const spans = '  goodput:\n    within: 3s\n    windows:\n      before: { from: "+0s", to: "+4s" }\n      during: { from: "+4s", to: "+12s" }\n';
    const a = analysed('story-a', seconds, spans);
    expect(goodputText(a)).toBe('Goodput within 3 s: before (+0s–+4s) 10/s; during (+4s–+12s) 2/s, 0.2 of before (the run has 4 s of its 8 s).');
    const b = analysed('story-b', Array.from({ length: 8 }, (): [number, number, number] => [10, 0, 0]), spans);
    const summary = JSON.parse('{"requests":{"total":0,"failed":0},"rate":{},"latencyMs":null}');
    const rows = differences({ label: 'A', summary, analysis: a }, { label: 'B', summary, analysis: b });
    expect(rows.find((r) => r.what === 'goodput during (+4s–+12s, within 3 s) /s')).toEqual({ what: 'goodput during (+4s–+12s, within 3 s) /s', a: 2, b: 10, changePct: 400 });
    expect(rows.find((r) => r.what === 'goodput during: kept of before')).toMatchObject({ a: 0.2, b: 1 });
  });
});
