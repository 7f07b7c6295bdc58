import type { z } from 'zod';
import type { ArrivalOptions, RatePlan } from './rate-plan.js';

/**
 * The shape every executor file has, as in k6's lib/executor: a config type, its defaults, its
 * zod `schema`, `validate` (raw → frozen config, every problem reported at once, read-config.ts)
 * and pure planning functions.
 * The runtime that follows a plan lives elsewhere; nothing here touches a clock or does I/O.
 */
export interface ExecutorBase<Config> {
  readonly name: string;
  /** open: arrivals come at a rate, whatever the system does; closed: N VUs loop. */
  readonly model: 'open' | 'closed';
  readonly defaults: Readonly<Record<string, number>>;
  readonly schema: z.ZodType<Config>;
  validate(raw: unknown, where: string): Config;
  /** ms. */
  totalDuration(config: Config): number;
}

export interface ArrivalRateExecutor<Config> extends ExecutorBase<Config> {
  readonly model: 'open';
  plan(config: Config): RatePlan;
  /** Arrivals per second at tMs. */
  rateAt(config: Config, tMs: number): number;
  /** ∫ rate over [fromMs, toMs]. */
  expectedArrivals(config: Config, fromMs: number, toMs: number): number;
  /** Arrival offsets in ms, ascending. */
  arrivals(config: Config, options: ArrivalOptions): Generator<number, void, undefined>;
}

export interface VuExecutor<Config> extends ExecutorBase<Config> {
  readonly model: 'closed';
  /** Target VUs at tMs; 0 outside [0, totalDuration). */
  vusAt(config: Config, tMs: number): number;
  /** The most VUs the plan ever asks for. */
  maxVUs(config: Config): number;
}
