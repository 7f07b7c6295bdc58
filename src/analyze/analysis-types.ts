import type { Outcome } from '../engine/second.js';
import type { CustomMetricView } from './custom.js';

/** What the analysis returns (analyze.ts composes it; summary.json and the reports read it). */
export interface SecondPoint {
  readonly t: number;
  readonly offered: number;
  readonly achieved: number;
  /** Journeys that ended this second (the totals line's `iterations`). */
  readonly completed: number;
  readonly good: number;
  readonly failed: number;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  readonly dropped: number;
  readonly inFlight: number;
  /** Over all requests of this second, ms; null without requests. */
  readonly latency: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number } | null;
  /** Every SLO held over the window ending here; null when the window had no answers while journeys were in flight (not known). */
  readonly sloOk: boolean | null;
}

export interface SloVerdict {
  readonly key: string;
  readonly expr: string;
  /** Held in every window (no sustained violation). */
  readonly ok: boolean;
  readonly violatedSeconds: number;
  /** The worst window: where and its value. */
  readonly worst: { readonly atS: number; readonly value: number } | null;
}

export interface BreakingPoint {
  readonly atS: number;
  readonly offeredRps: number;
  readonly reason: string;
  readonly slo: string;
  readonly value: number;
  readonly limit: number;
  readonly exceededBy: number;
}

export interface FaultImpact {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly startS: number | null;
  readonly endS: number | null;
  readonly goodputBefore: number | null;
  readonly goodputDuring: number | null;
  readonly errorRateDuring: number | null;
  readonly p99During: number | null;
  /** Seconds from the fault's end until the SLOs held again; null if they never did in the run. */
  readonly recoveryS: number | null;
  /**
   * Requests whose rate rose to at least SURGE_FACTOR × what it was before the fault, in the
   * SURGE_WINDOW_S after it ended: what came back at once (clients reconnecting or signing in
   * again after a restart, their queued retries), the largest rise (peak − before, per second) first.
   */
  readonly surges: readonly RequestSurge[];
}

export interface RequestSurge {
  /** The request's name (the journeys' step). */
  readonly name: string;
  /** Its mean rate (completed requests/s) over the SLO window before the fault began. */
  readonly beforeRps: number;
  readonly peakRps: number;
  readonly atS: number;
}

/** How long after a fault's end a surge is looked for, and how far above its rate before. */
export const SURGE_WINDOW_S = 30;
export const SURGE_FACTOR = 2;

export interface Trigger {
  readonly kind: 'load' | 'fault';
  readonly name: string;
  readonly goneS: number;
  readonly recoveredAtS: number | null;
  readonly metastable: boolean | null;
}

export interface Analysis {
  readonly slo: { readonly windowS: number; readonly sustainS: number; readonly metastableAfterS: number; readonly source: 'scenario' | 'default'; readonly verdicts: readonly SloVerdict[] };
  readonly breakingPoint: BreakingPoint | null;
  /**
   * The best windowed goodput (ok responses/s) while every SLO held, before the breaking point,
   * with the offered arrival rate of that window and the journeys completed per second in it. A
   * lower bound when nothing broke, or when the load jumped past it (the breaking point's offered
   * rate above 1.5× this window's).
   *
   * `completedRps` is the capacity in arrivals: the rate of journeys the target was seen to see
   * through. Under a slow ramp it equals `offeredRps`; when the load rises faster than the window,
   * the arrivals of the window's last seconds are still queued when the SLO last holds, and
   * `offeredRps` counts work the target had taken in but not done (Xi'an's surge: 3,044 arrivals/s
   * offered, 1,127 journeys/s completed).
   */
  readonly capacity: { readonly goodRps: number; readonly offeredRps: number; readonly completedRps: number; readonly atS: number; readonly lowerBound: boolean } | null;
  readonly faults: readonly FaultImpact[];
  readonly metastable: { readonly flagged: boolean; readonly triggers: readonly Trigger[] };
  readonly series: readonly SecondPoint[];
  readonly names: readonly string[];
  /** The custom metrics the run's journeys declared, in name order; [] without any. */
  readonly custom: readonly CustomMetricView[];
  /** Goodput over the SLO's named spans (`slo.goodput`); null when the SLO names none. */
  readonly goodput: { readonly withinMs: number | null; readonly windows: readonly GoodputWindow[] } | null;
  /** Whether the generator kept its own schedule (generator.ts); null for a run without arrival lags (closed model, k6, older runs). */
  readonly generator: GeneratorVerdict | null;
}

/** One of the SLO's goodput spans, as the run had it. */
export interface GoodputWindow {
  readonly name: string;
  /** As the scenario wrote them ("08:45"), and in real seconds from the run's start. */
  readonly from: string;
  readonly to: string;
  readonly startS: number;
  readonly endS: number;
  /** How many seconds of the span the run has (less than endS − startS when it ended early). */
  readonly coveredS: number;
  /** ok answers within the bound per second over the span; null when the run has none of it. */
  readonly goodRps: number | null;
  /** goodRps over the first span's; null for lack of either. */
  readonly ofFirst: number | null;
}

export interface FaultWindow {
  readonly name: string;
  readonly kind: string;
  readonly target: string;
  readonly startS: number | null;
  readonly endS: number | null;
}

/**
 * The generator against its own schedule: how late it handed arrivals on (metrics.ndjson's
 * `arrivalLagMaxMs`), which is its own loop falling behind, not a wait for a socket.
 */
export interface GeneratorVerdict {
  /** The latest any arrival was handed on, ms after it was due, and the second it was in. */
  readonly arrivalLagMaxMs: number;
  readonly atS: number;
  /** The first second with an arrival GENERATOR_BEHIND_MS or more late; null if none. */
  readonly behindFromS: number | null;
  /** Seconds with such an arrival. */
  readonly secondsBehind: number;
}

/**
 * An arrival handed on this late (ms) lands in a later second than its own: from then on the
 * per-second rates and the SLO windows say what a slowed generator sent, not what was offered.
 */
export const GENERATOR_BEHIND_MS = 1_000;
