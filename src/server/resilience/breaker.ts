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

  /**
   * Whether a call may go through now: 'pass' while closed, 'trial' for the one call let
   * through while half-open, undefined when refused.
   */
  allow(): 'pass' | 'trial' | undefined {
    if (this.threshold === 0) return 'pass';
    const state = this.state;
    if (state === 'closed') return 'pass';
    if (state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return 'trial';
    }
    return undefined;
  }

  /** The call let through as the trial never reached the dependency (it was shed first):
   *  no verdict, and the next call may try. Only the trial's own caller may cancel it. */
  cancel(permit: 'pass' | 'trial'): void {
    if (permit === 'trial') this.#trialInFlight = false;
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
