/**
 * The open model's one timer: it walks a schedule of arrival times and, at each wake-up, hands on
 * every arrival already due, each with its own scheduled time, then sleeps until the next one is
 * due. Node's timers count in whole milliseconds (libuv's loop clock), so a wake-up carries the
 * arrivals of up to a millisecond; nothing is handed on before its time, and latency is counted
 * from `at`, not from the wake-up, so the batching costs no accuracy.
 */
export interface PumpClock {
  /** Milliseconds on the schedule's clock. */
  now(): number;
  /** Calls `wake` after about `ms` (Node: setTimeout). */
  setTimer(wake: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const NODE_CLOCK = (now: () => number): PumpClock => ({
  now,
  setTimer: (wake, ms) => setTimeout(wake, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

/** Node's timers do not wait less than this (ms); a shorter wait would be a busy loop. */
export const MIN_WAIT_MS = 1;

export class ArrivalPump {
  readonly #schedule: Iterator<number, unknown>;
  readonly #arrive: (at: number, now: number) => void;
  readonly #done: () => void;
  readonly #clock: PumpClock;
  #next: IteratorResult<number, unknown>;
  #timer: unknown;
  #stopped = false;

  /**
   * `schedule`: arrival times in order, on the clock's time. `arrive(at, now)`: one arrival, at
   * its scheduled time, handed on at `now` (the wake-up's clock reading). `done`: once, after the
   * last arrival (not after stop()).
   */
  constructor(schedule: Iterator<number, unknown>, arrive: (at: number, now: number) => void, done: () => void, clock: PumpClock) {
    this.#schedule = schedule;
    this.#arrive = arrive;
    this.#done = done;
    this.#clock = clock;
    this.#next = schedule.next();
  }

  /** Hands on what is due now and arms the timer for the rest. */
  start(): void {
    this.#wake();
  }

  /** No arrival is handed on after this. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  readonly #wake = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#clock.now();
    let next = this.#next;
    // Every arrival due by now goes in this turn; one due later waits, even by a microsecond.
    for (; next.done !== true && next.value <= now; next = this.#schedule.next()) {
      this.#arrive(next.value, now);
      if (this.#stopped) return;
    }
    this.#next = next;
    if (next.done === true) {
      this.#done();
      return;
    }
    this.#timer = this.#clock.setTimer(this.#wake, Math.max(MIN_WAIT_MS, next.value - this.#clock.now()));
  };
}
