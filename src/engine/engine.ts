import os from 'node:os';
import { compiled } from '../package-root.js';
import { invalidInput } from '../errors.js';
import type { JourneySpec } from './step-schema.js';
import type { RunAggregate } from './aggregate.js';
import { EngineRun } from './engine-run.js';
import type { HistorySink } from './history.js';
import type { JourneyModuleRef, MetricDeclarations, MixEntry } from './journey.js';
import { planOf, type ExecutorConfig } from './executors/index.js';
import type { Spacing } from './executors/rate-plan.js';
import { loadDeclarations } from './metric-declarations.js';
import type { MergedSecond, SecondSink } from './second.js';
import { CHECKED_AFTER_RUN, type ThresholdResult, type ThresholdSet } from './thresholds.js';
import type { WorkerLoad, WorkerPlan } from './worker-plan.js';

/**
 * The main thread of a run: it splits the load across worker threads, merges their seconds as
 * each one completes everywhere, hands them to its SecondSink (metrics.ndjson), keeps the run's aggregate, and
 * judges thresholds every second for abortOnFail. It knows nothing of what the requests mean.
 */
export interface EngineOptions {
  readonly origin: string;
  readonly load: ExecutorConfig;
  readonly journeys: readonly JourneySpec[];
  /** Journeys in code, loaded by each worker; they replace the declarative `journeys`. */
  readonly module?: JourneyModuleRef;
  /** Pick journeys by their rates at each arrival's time (see mixPicker). */
  readonly mix?: readonly MixEntry[];
  readonly thresholds: ThresholdSet;
  readonly seed: number;
  /** Where the merged seconds go (src/run-files/metrics.ts's MetricsWriter); closed at the end. */
  readonly metrics: SecondSink;
  readonly workers?: number;
  readonly spacing?: Spacing;
  /** Keep-alive connections per worker. */
  readonly connections?: number;
  readonly timeoutMs?: number;
  /** Called once per merged second, in order. */
  readonly onSecond?: (second: MergedSecond, aggregate: RunAggregate) => void;
  /** Aborting stops the schedule; iterations in flight finish (or time out). */
  readonly signal?: AbortSignal;
  /**
   * Called once every worker has loaded its journeys, with the wall-clock time of second 0
   * (BEGIN_DELAY_MS later): what runs on the run's clock beside the load (faults, scrapes,
   * events) starts from it. Not called when the run is stopped before it began.
   */
  readonly onStart?: (startedAt: Date) => void;
  /** Where the journeys' history goes (src/run-files/history.ts's HistoryWriter); none: not kept. */
  readonly history?: HistorySink;
  /** Operations of the history kept at most over the run (default HISTORY_CAP), shared among the workers. */
  readonly historyCap?: number;
}

export interface EngineResult {
  readonly aggregate: RunAggregate;
  readonly thresholds: readonly ThresholdResult[];
  /** Why the run ended early, if it did. */
  readonly stopped: 'threshold' | 'signal' | undefined;
  readonly startedAt: Date;
  readonly durationS: number;
  /** The custom metrics the journey module declared (none without a module). */
  readonly metrics: MetricDeclarations;
  /** Operations of the history left out by its cap. */
  readonly historyNotKept: number;
  /** Iterations still running when the engine stopped waiting for them (gracefulStop, or a stop). */
  readonly interrupted: number;
}

/** Without a gracefulStop, iterations still running get this long beyond the request timeout. */
export const GRACE_BEYOND_TIMEOUT_MS = 1_000;

/** Operations kept at most over a run: about 200 bytes each, so a few hundred MB at worst. */
export const HISTORY_CAP = 2_000_000;

const TAGS = new Set(['name', 'outcome']);
/** The correctness checker's anomalies are tagged by their kind. */
const CHECK_TAGS = new Set(['kind']);

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/** The run in stages: check what the workers cannot, plan each worker's share, run them, judge. */
export async function runEngine(options: EngineOptions): Promise<EngineResult> {
  checkRequestTags(options.thresholds);
  const count = options.workers ?? defaultWorkers();
  const load = workerLoad(options, count);
  // The workers load the same module; its declarations open metrics.ndjson, so the file says
  // what each custom metric is without the module.
  const declared = options.module === undefined ? {} : await loadDeclarations(options.module.file);
  const run = new EngineRun(options, compiled('src/engine/worker.js'), declared, workerPlans(options, count, load));
  try {
    await run.finished;
  } finally {
    await run.close();
  }
  return run.result();
}

/** Requests are tagged by name and outcome only; a custom metric's tags are whatever its journeys record. */
function checkRequestTags(thresholds: ThresholdSet): void {
  for (const t of thresholds) {
    if (t.custom) continue;
    const allowed = CHECKED_AFTER_RUN.has(t.metric) ? CHECK_TAGS : TAGS;
    const unknown = Object.keys(t.tags).filter((k) => !allowed.has(k));
    if (unknown.length > 0 && allowed === CHECK_TAGS) {
      throw invalidInput('THRESHOLD_INVALID', `thresholds.${t.key}: ${t.metric} is tagged by kind only, not ${unknown.join(', ')}`);
    }
    if (unknown.length > 0) {
      throw invalidInput('THRESHOLD_INVALID', `thresholds.${t.key}: requests are tagged by name and outcome only, not ${unknown.join(', ')}`);
    }
  }
}

/** An arrival-rate load travels as its plan, with each worker's share of the in-flight cap. */
function workerLoad(options: EngineOptions, count: number): WorkerLoad {
  if (options.load.executor === 'constant-vus' || options.load.executor === 'ramping-vus') return { kind: 'vus', config: options.load };
  return {
    kind: 'arrivals',
    plan: planOf(options.load),
    spacing: options.spacing ?? options.load.spacing,
    maxInFlight: Math.max(1, Math.ceil(options.load.maxInFlight / count)),
  };
}

function workerPlans(options: EngineOptions, count: number, load: WorkerLoad): WorkerPlan[] {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return Array.from({ length: count }, (_, index) => ({
    index,
    of: count,
    seed: options.seed,
    origin: options.origin,
    connections: options.connections ?? 256,
    timeoutMs,
    gracefulStopMs: options.load.gracefulStop ?? timeoutMs + GRACE_BEYOND_TIMEOUT_MS,
    load,
    journeys: options.journeys,
    historyCap: options.history === undefined ? 0 : Math.ceil((options.historyCap ?? HISTORY_CAP) / count),
    ...(options.module === undefined ? {} : { module: options.module }),
    ...(options.mix === undefined ? {} : { mix: options.mix }),
  }));
}
