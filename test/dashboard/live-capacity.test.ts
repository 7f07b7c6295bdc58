import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveCapacity } from '../../src/dashboard/live-capacity.js';
import { chartData } from '../../src/dashboard/protocol.js';
import { parseThresholds } from '../../src/engine/thresholds.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { StepLog, STEPS_FILE, toNdjsonLine, type StepLine } from '../../src/run-files/index.js';

function secondText(): string {
  const m = new SecondMetrics(0);
  m.offered(10);
  m.started(10);
  return toNdjsonLine(mergeWire([m.toWire()]));
}

/** A capacity search followed live: each step's point on the goodput–offered curve once steps.ndjson has its line. */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-live-capacity-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function step(index: number, rateRps: number, ok: boolean, kind: StepLine['kind'] = 'search', multiple: number | null = null): StepLine {
  const goodputRps = ok ? rateRps : 80;
  return {
    index,
    kind,
    multiple,
    file: `steps/${String(index).padStart(2, '0')}-${rateRps}rps${kind === 'overload' ? '-overload' : ''}.ndjson`,
    rateRps,
    ok,
    reason: ok ? null : 'http_req_duration: p(99)<250 failed at 900',
    p50Ms: 3,
    p99Ms: ok ? 20 : 900,
    p99IntervalMs: [18, 25],
    errorRate: 0,
    goodRps: rateRps,
    goodputRps,
    byOutcome: { ok: Math.round(rateRps * 9) },
    late: 0,
    dropped: 0,
  };
}

describe('LiveCapacity', () => {
  it('puts each step on the curves as it completes, and follows the step running now', () => {
    const dir = path.join(scratch, 'cap');
    mkdirSync(path.join(dir, 'steps'), { recursive: true });
    const log = new StepLog(path.join(dir, STEPS_FILE));
    const live = new LiveCapacity({ dir, name: 'shop', slo: parseThresholds({ http_req_duration: ['p(99)<250'] }, 'slo') });
    const goodput = () => chartData(live.snapshot().charts.find((c) => c.id === 'goodput')!).datasets.map((d) => d.data);
    expect(goodput()[0]).toEqual([]);
    const steps = [step(1, 25, true), step(2, 50, true), step(3, 100, false), step(4, 75, true), step(5, 112.5, true, 'overload', 1.5)];
    const seen: number[] = [];
    for (const s of steps) {
      writeFileSync(path.join(dir, s.file), '');
      live.poll();
      const running = () => live.snapshot().panel.figures.find((f) => f.label === 'running now')?.value;
      expect(running()).toBe('–'); // no second measured yet
      appendFileSync(path.join(dir, s.file), secondText());
      live.poll();
      live.poll(); // the step's file quiet for a read: its second is complete
      expect(running()).toBe(`${s.file.slice('steps/'.length, -'.ndjson'.length)}: 1 s`);
      log.write(s);
      const update = live.poll()!;
      expect(update.charts).toBeDefined();
      seen.push(goodput()[0]!.length + goodput()[1]!.length);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(goodput()[0]).toEqual([{ x: 25, y: 25 }, { x: 50, y: 50 }, { x: 75, y: 75 }, { x: 100, y: 80 }]);
    const panel = live.snapshot().panel;
    expect(panel.figures.slice(0, 2).map((f) => f.value)).toEqual(['75/s', '100/s']);
    expect(panel.tables[0]!.rows.map((r) => r.cells[3])).toEqual(['held', 'held', 'broke', 'held', 'measured']);
    const end = live.end({ verdict: 'pass', headline: 'capacity 75/s', report: '/report', dir });
    expect(end.panel?.end?.verdict).toBe('pass');
  });
});
