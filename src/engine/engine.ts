import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiled } from '../package-root.js';
import { invalidInput } from '../errors.js';
import { MetricMisuse } from './custom-metrics.js';
import type { JourneySpec } from './step-schema.js';
import { RunAggregate } from './aggregate.js';
import type { JourneyModuleRef, MetricDeclarations, MixEntry } from './journey.js';
import { planOf, type ExecutorConfig } from './executors/index.js';
import type { Spacing } from './executors/rate-plan.js';
import { loadDeclarations } from './metric-declarations.js';
import { mergeWire, SecondMetrics, type MergedSecond, type SecondSink, type WireSecond } from './second.js';
import { evaluate, type ThresholdResult, type ThresholdSet } from './thresholds.js';
import type { FromWorker, WorkerLoad, WorkerPlan } from './worker-plan.js';

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
}

const TAGS = new Set(['name', 'outcome']);
/** From the last worker's `ready` to second 0: time for `begin` to reach every thread. */
const BEGIN_DELAY_MS = 25;

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

export async function runEngine(options: EngineOptions): Promise<EngineResult> {
  for (const t of options.thresholds) {
    // A custom metric's tags are whatever its journeys record.
    if (t.custom) continue;
    const unknown = Object.keys(t.tags).filter((k) => !TAGS.has(k));
    if (unknown.length > 0) {
      throw invalidInput('THRESHOLD_INVALID', `thresholds.${t.key}: requests are tagged by name and outcome only, not ${unknown.join(', ')}`);
    }
  }
  const count = options.workers ?? defaultWorkers();
  const load: WorkerLoad =
    options.load.executor === 'constant-vus' || options.load.executor === 'ramping-vus'
      ? { kind: 'vus', config: options.load }
      : {
          kind: 'arrivals',
          plan: planOf(options.load),
          spacing: options.spacing ?? options.load.spacing,
          maxInFlight: Math.max(1, Math.ceil(options.load.maxInFlight / count)),
        };
  // The workers load the same module; its declarations open metrics.ndjson, so the file says
  // what each custom metric is without the module.
  const declared = options.module === undefined ? {} : await loadDeclarations(options.module.file);
  let startedAt = new Date();
  const file = compiled('src/engine/worker.js');
  const out = options.metrics;
  out.declare(declared);
  const aggregate = new RunAggregate();
  const pending = new Map<number, WireSecond[]>();
  const upTo = new Array<number>(count).fill(0);
  const done = new Array<boolean>(count).fill(false);
  let merged = 0;
  let stopped: EngineResult['stopped'];
  let failure: Error | undefined;

  const workers = Array.from({ length: count }, (_, index) => {
    const plan: WorkerPlan = {
      index,
      of: count,
      seed: options.seed,
      origin: options.origin,
      connections: options.connections ?? 256,
      timeoutMs: options.timeoutMs ?? 30_000,
      load,
      journeys: options.journeys,
      ...(options.module === undefined ? {} : { module: options.module }),
      ...(options.mix === undefined ? {} : { mix: options.mix }),
    };
    return new Worker(file, { workerData: plan });
  });
  const stopAll = (why: EngineResult['stopped']): void => {
    stopped ??= why;
    for (const w of workers) w.postMessage({ type: 'stop' });
  };
  const onAbort = (): void => stopAll('signal');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const ready = new Array<boolean>(count).fill(false);
  const finished = new Promise<void>((resolve) => {
    const check = (): void => {
      if (done.every(Boolean)) resolve();
    };
    workers.forEach((worker, index) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready[index] = true;
          if (stopped !== undefined || !ready.every(Boolean)) return;
          startedAt = new Date(Date.now() + BEGIN_DELAY_MS);
          options.onStart?.(startedAt);
          for (const w of workers) w.postMessage({ type: 'begin', startEpochMs: startedAt.getTime() });
          return;
        }
        if (message.type === 'failed') {
          failure ??= message.invalidInput === true ? new MetricMisuse(message.message) : new Error(`engine worker ${index} failed: ${message.message}`);
          done[index] = true;
          stopAll('signal');
          check();
          return;
        }
        for (const s of message.seconds) {
          const list = pending.get(s.t) ?? [];
          list.push(s);
          pending.set(s.t, list);
        }
        upTo[index] = message.upTo;
        if (message.type === 'done') done[index] = true;
        merged = mergeReady(merged, done.every(Boolean) ? Math.max(...pending.keys(), merged - 1) + 1 : Math.min(...upTo));
        check();
      });
      worker.on('error', (err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(String(err));
        done[index] = true;
        stopAll('signal');
        check();
      });
    });
  });

  function mergeReady(from: number, to: number): number {
    for (let t = from; t < to; t++) {
      const wires = pending.get(t) ?? [new SecondMetrics(t).toWire()];
      pending.delete(t);
      const second = mergeWire(wires);
      aggregate.add(second);
      out.second(second);
      options.onSecond?.(second, aggregate);
      if (stopped === undefined && options.thresholds.some((th) => th.abortOnFail)) {
        if (evaluate(options.thresholds, aggregate, (t + 1) * 1000).some((r) => r.shouldAbort)) stopAll('threshold');
      }
    }
    return Math.max(from, to);
  }

  try {
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
    await out.close();
  }
  if (failure !== undefined) throw failure;
  return {
    aggregate,
    thresholds: evaluate(options.thresholds, aggregate, aggregate.seconds * 1000),
    stopped,
    startedAt,
    durationS: aggregate.seconds,
    metrics: declared,
  };
}
