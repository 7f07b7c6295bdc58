import type { JourneyContext, RequestOptions, StepResponse } from '../../src/engine/journey.js';
import type { RequestSpec } from '../../src/engine/http/request-head.js';
import type { RetryPolicy } from '../people.js';

/**
 * One request as a person's client makes it: tried, and tried again by the client's policy.
 * The first attempt is named `name`, every retry `name.retry`, so a report shows how much of
 * the load was people tapping refresh.
 */
export interface Attempted {
  readonly response: StepResponse;
  readonly attempts: number;
  /** The last attempt failed and the client stopped trying. */
  readonly gaveUp: boolean;
  /** An earlier attempt ended without telling whether the server acted on it (operations.ts). */
  readonly ambiguous: boolean;
}

/**
 * Retries allowed per first attempt, as a token bucket over the client's life (one bucket per
 * worker thread: the clients it simulates share it). Starts with a few tokens so that a quiet
 * start can still retry.
 */
export class RetryBudget {
  #tokens: number;
  readonly #ratio: number;
  readonly #max: number;

  constructor(ratio: number, initial = 10, max = 100) {
    this.#ratio = ratio;
    this.#tokens = initial;
    this.#max = max;
  }

  deposit(): void {
    this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }

  take(): boolean {
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Worth another try: no answer, a 5xx, or being shed (429/503). A 4xx will not change. */
export function retryable(r: StepResponse): boolean {
  return r.outcome !== 'ok' && r.outcome !== '4xx';
}

export async function attempt(
  ctx: JourneyContext,
  name: string,
  spec: RequestSpec,
  policy: RetryPolicy,
  budget: RetryBudget,
  options: RequestOptions,
): Promise<Attempted> {
  budget.deposit();
  let response = await ctx.request(name, spec, options);
  let attempts = 1;
  let unsure = false;
  while (retryable(response) && attempts < policy.maxAttempts) {
    unsure ||= response.outcome !== 'refused';
    if (policy.policy === 'backoff') {
      if (!budget.take()) break;
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempts - 1));
      const wait = response.retryAfterS !== undefined ? Math.min(policy.capMs, response.retryAfterS * 1000) : ctx.random.next() * ceiling;
      if (wait > 0) await ctx.think(wait);
    } else if (policy.tapMs > 0) {
      // A person, not a loop: Retry-After means nothing to someone tapping refresh.
      await ctx.think(policy.tapMs * (0.5 + ctx.random.next()));
    }
    response = await ctx.request(`${name}.retry`, spec, options);
    attempts++;
  }
  return { response, attempts, gaveUp: response.outcome !== 'ok', ambiguous: unsure };
}
