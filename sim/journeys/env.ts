import type { JourneyContext } from '../../src/engine/journey.js';
import type { RetryPolicy } from '../people.js';
import type { RetryBudget } from './retry.js';
import { JSON_HEADERS, type CityState } from './state.js';

/** What a built-in journey runs with: the worker's city state, and its journey's retry policy and budget. */
export interface Env {
  readonly state: CityState;
  readonly retry: RetryPolicy;
  readonly budget: RetryBudget;
}

/** A built-in journey: what one kind of person does (one file each; index.ts lists them). */
export type BuiltIn = (ctx: JourneyContext, env: Env) => Promise<void>;

export function post(path: string, body: unknown, headers: Readonly<Record<string, string>> = JSON_HEADERS) {
  return { method: 'POST', path, headers, body: JSON.stringify(body) };
}

/** How long a person waits for one answer. */
export function patience(env: Env): { timeoutMs: number } {
  return { timeoutMs: env.state.options.people.patienceMs };
}
