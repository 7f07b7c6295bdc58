import { Memo } from '../memo.js';

/**
 * Sign-in attempts per ID number: a token bucket for each, holding `burst` attempts and
 * gaining one every `refillS` seconds. Kept in the worker's memory (one Map lookup per sign-in,
 * nothing sent to Redis): with several workers a client can spend up to one budget in each, a
 * bound that still holds. The number of ID numbers remembered is bounded; the oldest go first,
 * and one forgotten starts again full.
 */
const REMEMBERED = 200_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class SignInBudget {
  readonly #buckets = new Memo<string, Bucket>(REMEMBERED);

  constructor(
    private readonly burst: number,
    private readonly refillS: number,
  ) {}

  get enabled(): boolean {
    return this.burst > 0;
  }

  /** Takes one attempt for `key`; false when its budget is spent. */
  take(key: string, nowMs: number): boolean {
    if (this.burst <= 0) return true;
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      this.#buckets.set(key, { tokens: this.burst - 1, at: nowMs });
      return true;
    }
    if (this.refillS > 0) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (nowMs - bucket.at) / (this.refillS * 1000));
    }
    bucket.at = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
