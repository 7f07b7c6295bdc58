import { CITY_POPULATION } from './city/districts.js';
import { MORNING } from './city/morning.js';

/**
 * How the people behave: every number here is a model choice (DOMAIN.md found none), named,
 * with its default, and overridable under a scenario's `city.people` and `city.retry`.
 */
export interface People {
  /** Real milliseconds a person watches a spinner before tapping refresh: each request's timeout. */
  readonly patienceMs: number;
  /**
   * Of residents whose app gave up during an outage, the share whose client state broke and who
   * must re-install (sign in again from a cold client), by age band. More of the elderly: they
   * are the ones who could not clear an app's cache (DOMAIN.md).
   */
  readonly reinstall: { readonly young: number; readonly adult: number; readonly elderly: number };
  /** Share of code scans at a table that fail whatever the server does: the ID number is typed. */
  readonly scanFailure: number;
  /** Share of checkpoint arrivals that are hospital gates (the rest: metro gates and shops). */
  readonly hospitalShare: number;
  /** Share of pooled tubes that come back positive. */
  readonly positivity: number;
  /**
   * A resident whose code would not show opens it again later, as people standing in the
   * testing line did until noon (DOMAIN.md): up to `times` more opens, each after `afterMs` real
   * milliseconds on average (drawn from 0.5–1.5×). 0 times: one open, then they give up.
   */
  readonly comeBack: { readonly times: number; readonly afterMs: number };
}

export const PEOPLE: People = Object.freeze({
  patienceMs: 5_000,
  reinstall: Object.freeze({ young: 0.15, adult: 0.15, elderly: 0.4 }),
  scanFailure: 0.02,
  hospitalShare: 0.1,
  positivity: 0.002,
  comeBack: Object.freeze({ times: 0, afterMs: 2_000 }),
});

/**
 * A client's retry policy. `naive`: the person taps refresh as soon as the spinner gives up or
 * an error shows — after `tapMs` on average (drawn from 0.5–1.5×: the time to see it and tap;
 * a model choice) — up to maxAttempts. `backoff`: capped exponential backoff with full jitter
 * (a wait drawn from [0, min(cap, base·2^n))), Retry-After honoured, and a retry budget: at
 * most `budget` retries per first attempt over the client's life.
 */
export interface RetryPolicy {
  readonly policy: 'naive' | 'backoff';
  readonly maxAttempts: number;
  readonly tapMs: number;
  readonly baseMs: number;
  readonly capMs: number;
  readonly budget: number;
}

export const RETRY_DEFAULTS: RetryPolicy = Object.freeze({ policy: 'naive', maxAttempts: 6, tapMs: 1_000, baseMs: 500, capMs: 8_000, budget: 0.2 });

/** Guidance: one sampling site per 2,000–3,000 residents (DOMAIN.md); the model takes the middle. */
export const RESIDENTS_PER_SITE = 2_500;

/** Tables per site: the city's tables over its sites at RESIDENTS_PER_SITE, at least one. */
export function tablesPerSite(tables: number = MORNING.round.tables): number {
  return Math.max(1, Math.round(tables / Math.ceil(CITY_POPULATION / RESIDENTS_PER_SITE)));
}
