import { describe, expect, it } from 'vitest';
import type { HttpResult } from '../../src/engine/http/client.js';
import { SecondMetrics, type MergedSecond } from '../../src/engine/second.js';
import { measuredOutcome } from '../../src/engine/worker-context.js';
import { WorkerSeconds } from '../../src/engine/worker-seconds.js';

/** The main thread's side of the workers' seconds, and a worker's reading of a step's check, without threads. */

function offered(t: number, n: number) {
  const s = new SecondMetrics(t);
  s.offered(n);
  return s.toWire();
}

function collect(workers: number): { seconds: WorkerSeconds; merged: (readonly [number, MergedSecond])[] } {
  const merged: (readonly [number, MergedSecond])[] = [];
  return { seconds: new WorkerSeconds(workers, (second, t) => merged.push([t, second])), merged };
}

describe('WorkerSeconds', () => {
  it('merges a second once every worker has passed it, in order, filling gaps with empty seconds', () => {
    const { seconds, merged } = collect(2);
    seconds.receive(0, { type: 'seconds', upTo: 3, seconds: [offered(0, 1), offered(2, 5)] });
    expect(merged).toEqual([]);
    seconds.receive(1, { type: 'seconds', upTo: 2, seconds: [offered(0, 2)] });
    expect(merged.map(([t, s]) => [t, s.t, s.offered])).toEqual([
      [0, 0, 3],
      [1, 1, 0],
    ]);
    seconds.receive(1, { type: 'seconds', upTo: 3, seconds: [offered(2, 1)] });
    expect(merged.map(([t, s]) => [t, s.offered])).toEqual([
      [0, 3],
      [1, 0],
      [2, 6],
    ]);
    expect(seconds.allDone).toBe(false);
  });

  it('once every worker is done, merges whatever is left; a failed worker counts as done', () => {
    const { seconds, merged } = collect(2);
    seconds.markDone(1);
    expect(seconds.allDone).toBe(false);
    seconds.receive(0, { type: 'done', upTo: 1, seconds: [offered(0, 1), offered(4, 2)], interrupted: 0 });
    expect(seconds.allDone).toBe(true);
    expect(merged.map(([t, s]) => [t, s.offered])).toEqual([
      [0, 1],
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 2],
    ]);
  });
});

describe('measuredOutcome', () => {
  const result = (status: number, outcome: HttpResult['outcome']): HttpResult => ({ status, outcome, serviceUs: 0, latencyUs: 0, sendLagUs: 0, bytes: 0 });

  it.each([
    [result(200, 'ok'), undefined, 'ok'],
    [result(404, '4xx'), [404], 'ok'],
    [result(200, 'ok'), [201], 'other'],
    [result(503, '5xx'), [200], '5xx'],
    [result(0, 'timeout'), [200], 'timeout'],
    [result(0, 'refused'), undefined, 'refused'],
  ] as const)('%j expecting %j is %s', (r, expect_, outcome) => {
    expect(measuredOutcome(r, expect_)).toBe(outcome);
  });
});
