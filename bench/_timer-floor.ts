import { fileURLToPath } from 'node:url';
import { ArrivalPump, NODE_CLOCK } from '../src/engine/arrival-pump.js';
import { linearPlan, planArrivals } from '../src/engine/executors/rate-plan.js';
import { createLatencyHistogram, recordLatency, summarize } from '../src/engine/histogram.js';
import { createRandom } from '../src/engine/random.js';

/**
 * The floor of the open model's send lag on Node: the engine's own timer (ArrivalPump) walking
 * an evenly spaced schedule with nothing to send, each arrival's lag (handed on − due) recorded.
 * What it shows is the timer alone: libuv's loop clock counts whole milliseconds, so a wake-up
 * lands on a millisecond's edge and an arrival waits up to 1 ms for it, before any I/O.
 * Run as a child: `node dist/bench/_timer-floor.js RATE SECONDS`; prints one JSON line.
 */
export function timerFloor(rate: number, seconds: number): Promise<{ rate: number; p50: number; p99: number; max: number; wakesPerS: number }> {
  const plan = linearPlan([{ durationMs: seconds * 1000, fromRate: rate, toRate: rate }]);
  const lag = createLatencyHistogram();
  const start = performance.now() + 20;
  const now = (): number => performance.now() - start;
  let wakes = 0;
  const clock = NODE_CLOCK(now);
  return new Promise((resolve) => {
    const pump = new ArrivalPump(
      planArrivals(plan, { spacing: 'even', random: createRandom(1).fork('arrivals') }),
      (at) => recordLatency(lag, Math.round((now() - at) * 1000)),
      () => {
        const s = summarize(lag);
        resolve({ rate, p50: s.p50, p99: s.p99, max: s.max, wakesPerS: Math.round(wakes / seconds) });
      },
      {
        ...clock,
        setTimer: (wake, ms) => {
          wakes++;
          return clock.setTimer(wake, ms);
        },
      },
    );
    setTimeout(() => pump.start(), 20);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rate, seconds] = process.argv.slice(2).map(Number);
  process.stdout.write(`${JSON.stringify(await timerFloor(rate ?? 2000, seconds ?? 10))}\n`);
}
