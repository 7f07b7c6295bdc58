import type { JourneySpec } from './step-schema.js';
import type { VusConfig } from './executors/index.js';
import type { RatePlan, Spacing } from './executors/rate-plan.js';
import type { HistoryRecord } from './history.js';
import type { JourneyModuleRef, MixEntry } from './journey.js';
import type { WireSecond } from './second.js';

/**
 * What the main thread hands each worker thread, and what comes back. Plain data only: it
 * crosses a thread boundary by structured clone. An arrival-rate load travels as its rate plan
 * (a curve's function cannot cross; its sampled plan can).
 */
export type WorkerLoad =
  | { readonly kind: 'arrivals'; readonly plan: RatePlan; readonly spacing: Spacing; readonly maxInFlight: number }
  | { readonly kind: 'vus'; readonly config: VusConfig };

export interface WorkerPlan {
  /** This worker's share: it takes arrivals index, index + of, … (or VUs likewise). */
  readonly index: number;
  readonly of: number;
  readonly seed: number;
  readonly origin: string;
  readonly connections: number;
  readonly timeoutMs: number;
  /** How long iterations still running when the schedule ends are waited for (gracefulStop). */
  readonly gracefulStopMs: number;
  readonly load: WorkerLoad;
  readonly journeys: readonly JourneySpec[];
  /** Journeys in code; when given, they are run instead of compiling `journeys`. */
  readonly module?: JourneyModuleRef;
  /** Pick journeys by their rates at the arrival's time rather than by fixed weights. */
  readonly mix?: readonly MixEntry[];
  /** Operations of the history this worker keeps at most (HistoryBuffer); 0 keeps none. */
  readonly historyCap: number;
}

export type ToWorker =
  /** Every worker is ready: second 0 begins at this wall-clock time (each thread has its own monotonic origin). */
  | { readonly type: 'begin'; readonly startEpochMs: number }
  | { readonly type: 'stop' };

export type FromWorker =
  /** Its journeys are loaded and compiled; it waits for `begin`. */
  | { readonly type: 'ready' }
  /** Every second before `upTo` is complete in this worker; `seconds` are those with data. */
  | { readonly type: 'seconds'; readonly upTo: number; readonly seconds: readonly WireSecond[]; readonly history?: WireHistory }
  /** `interrupted`: iterations still running when it stopped waiting for them (gracefulStop, or a stop). */
  | { readonly type: 'done'; readonly upTo: number; readonly seconds: readonly WireSecond[]; readonly history?: WireHistory; readonly interrupted: number }
  /** `invalidInput`: the journeys misused their custom metrics (exit 2), not a harness failure. */
  | { readonly type: 'failed'; readonly message: string; readonly invalidInput?: boolean };

/** The history recorded since the last message, and how many operations the cap left out so far. */
export interface WireHistory {
  readonly records: readonly HistoryRecord[];
  readonly notKept: number;
}
