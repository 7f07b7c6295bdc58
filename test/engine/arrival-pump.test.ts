import { describe, expect, it } from 'vitest';
import { ArrivalPump, MIN_WAIT_MS, type PumpClock } from '../../src/engine/arrival-pump.js';
import { linearPlan, planArrivals } from '../../src/engine/executors/rate-plan.js';
import { createRandom } from '../../src/engine/random.js';

/**
 * A clock the test drives: the n-th timer, asked for `ms`, fires at `now + ms + late(n)`. A busy
 * event loop fires Node's timers late; libuv's clock counts whole milliseconds, so a timer can
 * also fire up to a millisecond early in real time (a negative `late`).
 */
function manualClock(late: (n: number) => number = () => 0) {
  let now = 0;
  let pending: { at: number; wake: () => void } | undefined;
  const waits: number[] = [];
  let wakes = 0;
  const clock: PumpClock = {
    now: () => now,
    setTimer: (wake, ms) => {
      if (pending !== undefined) throw new Error('two timers armed at once');
      waits.push(ms);
      pending = { at: now + ms + late(waits.length), wake };
      return pending;
    },
    clearTimer: (handle) => {
      if (handle === pending) pending = undefined;
    },
  };
  return {
    clock,
    waits,
    get wakes() {
      return wakes;
    },
    get armed() {
      return pending !== undefined;
    },
    /** Fires the armed timer at its time; false when none is armed. */
    fire(): boolean {
      const p = pending;
      if (p === undefined) return false;
      pending = undefined;
      now = Math.max(now, p.at);
      wakes++;
      p.wake();
      return true;
    },
  };
}

function schedule(rate: number, seconds: number, spacing: 'even' | 'poisson'): number[] {
  const plan = linearPlan([{ durationMs: seconds * 1000, fromRate: rate, toRate: rate }]);
  return [...planArrivals(plan, { spacing, random: createRandom(7).fork('arrivals') })];
}

function pumpAll(times: readonly number[], late?: (n: number) => number) {
  const m = manualClock(late);
  const sent: { at: number; sentAt: number; now: number; wake: number }[] = [];
  let done = 0;
  const pump = new ArrivalPump(times[Symbol.iterator](), (at, now) => sent.push({ at, sentAt: m.clock.now(), now, wake: m.wakes }), () => done++, m.clock);
  pump.start();
  for (let i = 0; i < 1_000_000 && m.fire(); i++);
  return { sent, done, m };
}

describe('ArrivalPump', () => {
  it.each([
    ['even', 2_000, () => 0],
    ['even', 8_000, (n: number) => (n % 7 === 0 ? 3.4 : 0.2)],
    ['poisson', 2_000, (n: number) => (n % 5) * 0.37],
  ] as const)('%s arrivals at %i/s: each keeps its own scheduled time, none is sent early, all in order', (spacing, rate, late) => {
    const times = schedule(rate, 2, spacing);
    const { sent, done, m } = pumpAll(times, late);
    expect(done).toBe(1);
    expect(m.armed).toBe(false);
    // Every arrival once, in order, with the very time the schedule gave it.
    expect(sent.map((s) => s.at)).toEqual(times);
    for (const s of sent) expect(s.sentAt).toBeGreaterThanOrEqual(s.at);
    // Each is handed on with its wake-up's clock reading, never one before it was due: the
    // arrival lag (now - at) the engine records is never negative.
    for (const s of sent) expect(s.now).toBe(s.sentAt);
    // Batched: a wake-up carries several arrivals, and never waits less than Node's 1 ms.
    expect(m.wakes).toBeLessThan(times.length);
    for (const w of m.waits) expect(w).toBeGreaterThanOrEqual(MIN_WAIT_MS);
  });

  it('sends a batch together: everything due by the wake-up, nothing due after it', () => {
    const times = [0, 0.2, 0.4, 0.99, 1.0, 1.01, 2.5, 2.5, 9];
    const { sent } = pumpAll(times);
    // Wake-ups at 0 (start), 1, 2 and 3 (each a 1 ms wait at least, though 1.01 was due at 1.01) and 9.
    const byWake = new Map<number, number[]>();
    for (const s of sent) byWake.set(s.wake, [...(byWake.get(s.wake) ?? []), s.at]);
    expect([...byWake.values()]).toEqual([[0], [0.2, 0.4, 0.99, 1.0], [1.01], [2.5, 2.5], [9]]);
    for (const s of sent) expect(s.sentAt - s.at).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('re-arms without sending when a timer fires before the next arrival is due', () => {
    const { sent, m } = pumpAll([5], (n) => (n === 1 ? -0.6 : 0));
    expect(m.waits[0]).toBe(5);
    // The first wake-up, at 4.4, is early: nothing goes, and the pump waits again (1 ms at least).
    expect(m.waits[1]).toBe(MIN_WAIT_MS);
    expect(sent).toEqual([{ at: 5, sentAt: 5.4, now: 5.4, wake: 2 }]);
  });

  it('hands on nothing after stop, even mid-batch, and does not call done', () => {
    const m = manualClock();
    const sent: number[] = [];
    let done = 0;
    const pump: ArrivalPump = new ArrivalPump(
      [0, 0, 0, 3, 4][Symbol.iterator](),
      (at) => {
        sent.push(at);
        if (sent.length === 2) pump.stop();
      },
      () => done++,
      m.clock,
    );
    pump.start();
    expect(m.fire()).toBe(false);
    expect(sent).toEqual([0, 0]);
    expect(done).toBe(0);
  });

  it('calls done once for an empty schedule', () => {
    const m = manualClock();
    let done = 0;
    new ArrivalPump([][Symbol.iterator](), () => undefined, () => done++, m.clock).start();
    expect(done).toBe(1);
    expect(m.armed).toBe(false);
  });
});
