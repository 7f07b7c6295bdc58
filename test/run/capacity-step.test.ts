import { describe, expect, it } from 'vitest';
import { RunAggregate } from '../../src/engine/aggregate.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { parseThresholds } from '../../src/engine/thresholds.js';
import { stepResult } from '../../src/run/capacity-run.js';

/** One judged second: `ok` answers at okMs each, `failed` 500s at 1 ms, and arrivals dropped. */
function second(t: number, o: { ok: number; okMs: number; failed?: number; dropped?: number }): ReturnType<typeof mergeWire> {
  const s = new SecondMetrics(t);
  for (let i = 0; i < o.ok; i++) s.request('code', 'ok', o.okMs * 1000, o.okMs * 1000);
  for (let i = 0; i < (o.failed ?? 0); i++) s.request('code', '5xx', 1000, 1000);
  s.offered(o.ok + (o.failed ?? 0) + (o.dropped ?? 0));
  if ((o.dropped ?? 0) > 0) s.dropped(o.dropped);
  return mergeWire([s.toWire()]);
}

function aggregate(...seconds: ReturnType<typeof mergeWire>[]): RunAggregate {
  const a = new RunAggregate();
  for (const s of seconds) a.add(s);
  return a;
}

const SLO = parseThresholds({ http_req_duration: ['p(99)<250'], http_req_failed: ['rate<0.01'] }, 'slo');

describe('a capacity step judged from its seconds', () => {
  it('holds when the SLO holds, with goodput the answers within the latency limit', () => {
    const step = stepResult(100, aggregate(second(1, { ok: 100, okMs: 20 }), second(2, { ok: 100, okMs: 20 })), { slo: SLO, judgedMs: 2000, limitMs: 250 });
    expect(step).toMatchObject({ rateRps: 100, ok: true, reason: null, errorRate: 0, goodRps: 100, goodputRps: 100, late: 0, dropped: 0 });
    expect(step.p99Ms).toBeGreaterThan(19);
    expect(step.p99Ms).toBeLessThan(21);
  });

  it('breaks on the SLO and names it, and counts slow answers as ok but not goodput', () => {
    const step = stepResult(100, aggregate(second(1, { ok: 50, okMs: 20 }), second(2, { ok: 50, okMs: 400 })), { slo: SLO, judgedMs: 2000, limitMs: 250 });
    expect(step.ok).toBe(false);
    expect(step.reason).toMatch(/^http_req_duration: p\(99\)<250 failed at 4\d\d/);
    expect(step).toMatchObject({ goodRps: 50, goodputRps: 25, late: 50 });
  });

  it('breaks on dropped arrivals before any threshold, and gives the error share of what was answered', () => {
    const step = stepResult(200, aggregate(second(1, { ok: 90, okMs: 10, failed: 10, dropped: 5 })), { slo: SLO, judgedMs: 1000, limitMs: null });
    expect(step.ok).toBe(false);
    expect(step.reason).toBe('5 arrivals dropped: more than maxInFlight iterations were waiting on the target');
    expect(step).toMatchObject({ errorRate: 0.1, goodRps: 90, goodputRps: 90, byOutcome: { ok: 90, '5xx': 10 }, dropped: 5 });
  });

  it('reports no latency and no error share for a step that got no answers', () => {
    const step = stepResult(50, aggregate(second(1, { ok: 0, okMs: 0 })), { slo: SLO, judgedMs: 1000, limitMs: 250 });
    expect(step).toMatchObject({ p50Ms: null, p99Ms: null, p99IntervalMs: null, errorRate: null, goodRps: 0 });
  });
});
