import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/analyze.js';
import { relationTo } from '../../src/analyze/custom.js';
import { readRunDir } from '../../src/analyze/read.js';
import { parseSlo } from '../../src/analyze/slo.js';
import { CustomRecorder } from '../../src/engine/custom-metrics.js';
import type { CustomMetrics } from '../../src/engine/journey.js';
import { checkDeclarations } from '../../src/engine/metric-declarations.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { declarationLines, toNdjsonLine } from '../../src/run-files/metrics.js';
import { customRows, describePeak } from '../../src/report/custom.js';

/**
 * The analysis of custom metrics on a synthetic run directory whose numbers are chosen: people
 * sampled per second (by method), a share of green codes, a queue depth, a time to code; a fault
 * from 20 s to 30 s. Written with the engine's own writer, read back as `codestorm report` reads.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-analyze-custom-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DECLARED = checkDeclarations(
  {
    people_sampled: { type: 'counter', description: 'residents sampled' },
    codes_green: { type: 'rate', description: 'codes that were green' },
    queue_depth: { type: 'gauge', description: 'people waiting', unit: '' },
    time_to_code: { type: 'trend', description: 'time until the code showed', unit: 'ms' },
  },
  'fixture.js',
);

/** People sampled in second t: 10/s, none while the fault is on, a catch-up of 40 at 34 s. */
const sampledAt = (t: number): number => (t >= 20 && t < 30 ? 0 : t === 34 ? 40 : 10);

function runDir(name: string, slo: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  let out = declarationLines(DECLARED);
  for (let t = 0; t < 50; t++) {
    const s = new SecondMetrics(t);
    let now = t * 1000;
    const metrics: CustomMetrics = new CustomRecorder(DECLARED, 'fixture.js', (series, value) => s.custom(series, value, now), (m) => {
      throw new Error(m);
    }).metrics;
    s.offered(10);
    s.started(10);
    for (let i = 0; i < 10; i++) s.request('get', 'ok', 5_000, 5_000);
    for (let i = 0; i < sampledAt(t); i++) metrics.counter('people_sampled', 1, { method: i % 4 === 0 ? 'manual' : 'scan' });
    if (t < 40) for (let i = 0; i < 10; i++) metrics.rate('codes_green', t >= 20 && t < 30 ? i < 2 : i < 9);
    for (let i = 0; i < 3; i++) {
      now = t * 1000 + 100 * i;
      metrics.gauge('queue_depth', t === 25 ? 90 - i : t);
    }
    for (let i = 0; i < 20; i++) metrics.trend('time_to_code', t >= 20 && t < 30 ? 2_000 + i : 100 + i);
    out += toNdjsonLine(mergeWire([s.toWire()]));
  }
  writeFileSync(path.join(dir, 'metrics.ndjson'), out);
  writeFileSync(
    path.join(dir, 'events.ndjson'),
    [
      { t: 20, event: 'fault-begin', fault: 'restore', kind: 'process', target: 'server' },
      { t: 30, event: 'fault-end', fault: 'restore', kind: 'process', target: 'server' },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n') + '\n',
  );
  writeFileSync(
    path.join(dir, 'scenario.yaml'),
    `name: ${name}\nseed: 1\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 10, duration: 50s }\njourneys:\n  - { name: j, steps: [ { name: get, request: { url: "/" } } ] }\nslo:\n${slo}`,
  );
  return dir;
}

function analysed(dir: string, slo: Record<string, unknown>) {
  const run = readRunDir(dir);
  return analyze(run, parseSlo(slo, 'slo', { metrics: run.metrics, from: 'metrics.ndjson' }));
}

describe('custom metrics in the analysis', () => {
  const SLO = { window: '5s', sustain: '3s', http_req_duration: ['p(99)<1000'] };

  it('reads the declarations back from metrics.ndjson', () => {
    const run = readRunDir(runDir('declared', '  http_req_duration: ["p(99)<1000"]\n'));
    expect(run.metrics).toEqual(DECLARED);
    expect(run.seconds[34]?.custom.find((c) => c.metric === 'people_sampled' && c.tags['method'] === 'scan')?.sum).toBe(30);
  });

  it('gives each metric its run values, one point per second and its peak against the faults', () => {
    const a = analysed(runDir('views', '  http_req_duration: ["p(99)<1000"]\n'), SLO);
    expect(a.custom.map((m) => m.metric)).toEqual(['codes_green', 'people_sampled', 'queue_depth', 'time_to_code']);
    const people = a.custom.find((m) => m.metric === 'people_sampled')!;
    const total = Array.from({ length: 50 }, (_, t) => sampledAt(t)).reduce((x, y) => x + y, 0);
    expect(people.values).toEqual({ count: total, rate: total / 50 });
    expect(people.perSecond).toEqual(Array.from({ length: 50 }, (_, t) => sampledAt(t)));
    expect(people.peak).toEqual({ value: 40, atS: 34, fault: { name: 'restore', relation: 'after', afterS: 4 } });
    expect(describePeak(people)).toBe('40/s at +34 s, 4 s after restore ended');
    expect(people.byTags.map((b) => [b.tags, b.values['count']])).toEqual([
      [{ method: 'manual' }, 3 * 39 + 10],
      [{ method: 'scan' }, total - (3 * 39 + 10)],
    ]);

    const green = a.custom.find((m) => m.metric === 'codes_green')!;
    // 40 seconds of 10 samples: 9 green a second, 2 while the fault is on.
    expect(green.values).toEqual({ rate: 290 / 400, passes: 290, fails: 110 });
    expect(green.perSecond[10]).toBe(0.9);
    expect(green.perSecond[25]).toBe(0.2);
    expect(green.perSecond[45]).toBeNull();

    const queue = a.custom.find((m) => m.metric === 'queue_depth')!;
    expect(queue.values).toEqual({ value: 49, min: 0, max: 90 });
    expect(queue.perSecond[25]).toBe(88); // the latest of the second
    expect(queue.peak).toEqual({ value: 90, atS: 25, fault: { name: 'restore', relation: 'during', afterS: null } });

    const time = a.custom.find((m) => m.metric === 'time_to_code')!;
    expect(time.values['min']).toBe(100);
    expect(time.values['max']).toBe(2_019);
    expect(time.perSecond[25]).toBeGreaterThanOrEqual(2_018);
    expect(time.perSecond[25]).toBeLessThanOrEqual(2_019);
    expect(time.peak?.atS).toBe(20);

    const rows = customRows(a);
    expect(rows.find((r) => r.metric === 'people_sampled')).toEqual({ metric: 'people_sampled', description: 'residents sampled', value: '430 (8.6/s)', peak: '40/s at +34 s, 4 s after restore ended', tagRow: false });
    expect(rows.find((r) => r.metric === 'time_to_code')?.value).toMatch(/^p95 2,0\d\d(\.\d)? ms, med 1\d\d(\.\d)? ms, avg 489\.5 ms, max 2,019 ms$/);
  });

  it('an SLO on custom metrics is judged over the same sliding windows, and can break the run', () => {
    const dir = runDir('slo', '  http_req_duration: ["p(99)<1000"]\n');
    const held = analysed(dir, { window: '5s', sustain: '3s', 'people_sampled{method:scan}': ['count<100'], codes_green: ['rate>0.1'], queue_depth: ['max<100'], time_to_code: ['p(99)<3s'] });
    expect(held.breakingPoint).toBeNull();
    expect(held.slo.verdicts.every((v) => v.ok)).toBe(true);

    const broke = analysed(dir, { window: '5s', sustain: '3s', time_to_code: ['p(95)<1s'] });
    // The first 5-s window with more than 5 % of slow codes ends at 20 s; it lasts beyond 3 s.
    expect(broke.breakingPoint).toMatchObject({ atS: 20, slo: 'time_to_code' });
    expect(broke.faults[0]?.recoveryS).toBe(4); // the window is clean again 5 s after the fault's seconds

    const starved = analysed(dir, { window: '5s', sustain: '3s', people_sampled: ['rate>=5'] });
    const v = starved.slo.verdicts[0]!;
    expect(v.ok).toBe(false);
    expect(v.worst).toEqual({ atS: 24, value: 0 });
  });

  it('relates a peak to the fault it fell in, or to the latest that had ended', () => {
    const faults = [
      { name: 'a', startS: 10, endS: 20 },
      { name: 'b', startS: 30, endS: 32.5 },
      { name: 'never', startS: null, endS: null },
    ];
    expect(relationTo(5, faults)).toBeNull();
    expect(relationTo(9, faults)).toBeNull(); // second 9 ends as fault a begins
    expect(relationTo(9.5, faults)).toEqual({ name: 'a', relation: 'during', afterS: null });
    expect(relationTo(19, faults)).toEqual({ name: 'a', relation: 'during', afterS: null });
    expect(relationTo(20, faults)).toEqual({ name: 'a', relation: 'after', afterS: 0 });
    expect(relationTo(40, faults)).toEqual({ name: 'b', relation: 'after', afterS: 7.5 });
  });
});
