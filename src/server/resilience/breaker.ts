/**
 * A consecutive-failure circuit breaker. Closed: calls go through. After `threshold` failures
 * in a row it opens for `openMs`; then one trial call is let through (half-open) and its
 * outcome closes or re-opens it. threshold = 0 means no breaker: always closed.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = 'closed';
  #trialInFlight = false;

  constructor(
    readonly threshold: number,
    readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.openMs) this.#state = 'half-open';
    return this.#state;
  }

  /** Whether a call may go through now. In half-open, only one trial at a time. */
  allow(): boolean {
    if (this.threshold === 0) return true;
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return true;
    }
    return false;
  }

  /** The allowed call never reached the dependency (it was shed first): no verdict. */
  cancel(): void {
    this.#trialInFlight = false;
  }

  success(): void {
    this.#failures = 0;
    this.#trialInFlight = false;
    this.#state = 'closed';
  }

  failure(): void {
    if (this.threshold === 0) return;
    this.#trialInFlight = false;
    this.#failures++;
    if (this.#state === 'half-open' || this.#failures >= this.threshold) {
      this.#state = 'open';
      this.#openedAt = this.now();
    }
  }
}
