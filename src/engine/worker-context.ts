import type { Faker } from '@faker-js/faker';
import type { HistoryBuffer } from './history.js';
import type { Client, HttpResult } from './http/client.js';
import type { Outcome } from './http/outcome.js';
import type { CustomMetrics, JourneyContext, StepResponse } from './journey.js';
import type { Random } from './random.js';

/** What a worker gives every iteration's context; one object for the whole run. */
export interface ContextDeps {
  readonly client: Client;
  /** The run's request timeout, for requests that do not give their own. */
  readonly timeoutMs: number;
  readonly random: Random;
  readonly faker: Faker;
  readonly metrics: CustomMetrics;
  /** Milliseconds since the run's second 0. */
  readonly elapsed: () => number;
  /** A request answered (or failed) at `now` (performance.now): into the second it falls in. */
  readonly record: (now: number, name: string, outcome: Outcome, latencyUs: number, serviceUs: number, sendLagUs: number) => void;
  /** The worker's history of operations (ctx.record). */
  readonly history: HistoryBuffer;
}

/**
 * The `ctx` of one iteration, scheduled at `scheduledAt` (performance.now). Each request is
 * measured from when it was meant to go: the arrival for the first, then after each answer and
 * think time. A request held up by a busy pool still counts from there.
 */
export function journeyContext(deps: ContextDeps, scheduledAt: number): JourneyContext {
  let due = scheduledAt;
  return {
    request: async (name, spec, options) => {
      const result = await deps.client.request(spec, {
        scheduledAt: due,
        timeoutMs: options?.timeoutMs ?? deps.timeoutMs,
        ...(options?.wantBody === true ? { wantBody: true } : {}),
      });
      const now = performance.now();
      const outcome = measuredOutcome(result, options?.expect);
      deps.record(now, name, outcome, result.latencyUs, result.serviceUs, result.sendLagUs);
      due = now;
      return responseOf(result, outcome);
    },
    think: (ms) => {
      due = performance.now() + ms;
      return new Promise((resolve) => setTimeout(resolve, ms));
    },
    random: deps.random,
    faker: deps.faker,
    data: {},
    metrics: deps.metrics,
    elapsedMs: deps.elapsed,
    record: (op) => deps.history.record(op, deps.elapsed()),
  };
}

/** A status the step expects counts as ok, one it does not as `other`; 4xx/5xx and failures keep their class. */
export function measuredOutcome(result: HttpResult, expect: readonly number[] | undefined): Outcome {
  if (expect === undefined || !(result.status > 0)) return result.outcome;
  if (expect.includes(result.status)) return 'ok';
  return result.outcome === 'ok' ? 'other' : result.outcome;
}

function responseOf(result: HttpResult, outcome: Outcome): StepResponse {
  return result.retryAfterS === undefined
    ? { status: result.status, outcome, body: result.body }
    : { status: result.status, outcome, body: result.body, retryAfterS: result.retryAfterS };
}
