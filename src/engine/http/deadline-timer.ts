/**
 * The one timer a client arms for all its requests' deadlines: armed for the earliest deadline,
 * no sooner than sweepMs after the last sweep, so a steady load with a 30 s timeout wakes it
 * about once per 30 s, not per request nor per sweepMs, and a stalled server's timeouts are
 * settled in batches. When it fires it calls `sweep`, which settles what is due and re-arms it.
 */
export class DeadlineTimer {
  #timer: NodeJS.Timeout | null = null;
  /** When the timer fires (client clock); Infinity when it is not armed. */
  #armedAt = Number.POSITIVE_INFINITY;
  readonly #sweepMs: number;
  readonly #onTimer: () => void;

  constructor(sweepMs: number, sweep: () => void) {
    this.#sweepMs = sweepMs;
    this.#onTimer = (): void => {
      this.#timer = null;
      this.#armedAt = Number.POSITIVE_INFINITY;
      sweep();
    };
  }

  /** A new request's deadline. They mostly come in increasing order: re-arm only for one clearly earlier. */
  add(deadline: number, now: number): void {
    if (deadline < this.#armedAt - this.#sweepMs) this.#arm(deadline, now);
  }

  /** After a sweep: arms for the earliest deadline left (Infinity: none), at least sweepMs ahead. */
  rearm(earliest: number, now: number): void {
    if (earliest !== Number.POSITIVE_INFINITY) this.#arm(Math.max(earliest, now + this.#sweepMs), now);
  }

  disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #arm(at: number, now: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(at - now)));
    this.#timer.unref();
  }
}
