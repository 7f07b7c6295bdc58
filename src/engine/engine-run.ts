import { Worker } from 'node:worker_threads';
import { RunAggregate } from './aggregate.js';
import { MetricMisuse } from './custom-recorder.js';
import type { EngineOptions, EngineResult } from './engine.js';
import type { MetricDeclarations } from './journey.js';
import type { MergedSecond } from './second.js';
import { evaluate } from './thresholds.js';
import type { FromWorker, WireHistory, WorkerPlan } from './worker-plan.js';
import { WorkerSeconds } from './worker-seconds.js';

/** From the last worker's `ready` to second 0: time for `begin` to reach every thread. */
const BEGIN_DELAY_MS = 25;

/**
 * One run on the main thread, from spawning its workers to their end: it starts the clock once
 * every worker is ready, merges their seconds into the aggregate and the SecondSink, judges
 * abortOnFail thresholds every second, and stops every worker when one fails or the run is stopped.
 */
export class EngineRun {
  readonly aggregate = new RunAggregate();
  /** Resolves once every worker is done (or failed). */
  readonly finished: Promise<void>;
  #startedAt = new Date();
  #stopped: EngineResult['stopped'];
  #failure: Error | undefined;
  readonly #options: EngineOptions;
  readonly #declared: MetricDeclarations;
  readonly #workers: readonly Worker[];
  readonly #ready: boolean[];
  readonly #seconds: WorkerSeconds;
  readonly #onAbort = (): void => this.#stopAll('signal');
  /** Per worker, the operations its cap left out so far (each message carries the running count). */
  readonly #notKept: number[];
  /** Iterations the workers stopped waiting for, as their `done` messages say. */
  #interrupted = 0;
  #resolve: () => void = () => {};

  /** `declared` opens the SecondSink; each plan is one worker thread's, running `file`. */
  constructor(options: EngineOptions, file: string, declared: MetricDeclarations, plans: readonly WorkerPlan[]) {
    this.#options = options;
    this.#declared = declared;
    options.metrics.declare(declared);
    this.#seconds = new WorkerSeconds(plans.length, (second, t) => this.#merged(second, t));
    this.#ready = new Array<boolean>(plans.length).fill(false);
    this.#notKept = new Array<number>(plans.length).fill(0);
    this.#workers = plans.map((plan) => new Worker(file, { workerData: plan }));
    // A signal that came while the run was being prepared (the stack seeding, the city warming)
    // has already fired: the run is stopped before it begins, not run to its end.
    if (options.signal?.aborted === true) this.#stopAll('signal');
    else options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.finished = new Promise<void>((resolve) => {
      this.#resolve = resolve;
      this.#workers.forEach((worker, index) => this.#listen(worker, index));
    });
  }

  /** Stops listening for the signal, ends every thread and closes the SecondSink. */
  async close(): Promise<void> {
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    await Promise.all(this.#workers.map((w) => w.terminate()));
    await this.#options.metrics.close();
    await this.#options.history?.close(this.historyNotKept);
  }

  /** Operations the history's cap left out, over every worker. */
  get historyNotKept(): number {
    return this.#notKept.reduce((sum, n) => sum + n, 0);
  }

  /** The run's result once it is over; a worker's failure is thrown. */
  result(): EngineResult {
    if (this.#failure !== undefined) throw this.#failure;
    const aggregate = this.aggregate;
    return {
      aggregate,
      thresholds: evaluate(this.#options.thresholds, aggregate, aggregate.seconds * 1000),
      stopped: this.#stopped,
      startedAt: this.#startedAt,
      durationS: aggregate.seconds,
      metrics: this.#declared,
      historyNotKept: this.historyNotKept,
      interrupted: this.#interrupted,
    };
  }

  #listen(worker: Worker, index: number): void {
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        this.#onReady(index);
      } else if (message.type === 'failed') {
        this.#fail(index, message.invalidInput === true ? new MetricMisuse(message.message) : new Error(`engine worker ${index} failed: ${message.message}`));
      } else {
        if (message.history !== undefined) this.#history(index, message.history);
        if (message.type === 'done') this.#interrupted += message.interrupted;
        this.#seconds.receive(index, message);
        this.#resolveIfDone();
      }
    });
    worker.on('error', (err: unknown) => this.#fail(index, err instanceof Error ? err : new Error(String(err))));
  }

  /** A worker's history goes to the sink as it comes: one writer, in arrival order per worker. */
  #history(index: number, history: WireHistory): void {
    this.#notKept[index] = history.notKept;
    if (history.records.length > 0) this.#options.history?.write(history.records);
  }

  /** Second 0 is set once every worker has loaded its journeys, unless the run was stopped first. */
  #onReady(index: number): void {
    this.#ready[index] = true;
    if (this.#stopped !== undefined || !this.#ready.every(Boolean)) return;
    this.#startedAt = new Date(Date.now() + BEGIN_DELAY_MS);
    this.#options.onStart?.(this.#startedAt);
    for (const w of this.#workers) w.postMessage({ type: 'begin', startEpochMs: this.#startedAt.getTime() });
  }

  /** The first failure is the run's; every worker is stopped. */
  #fail(index: number, err: Error): void {
    this.#failure ??= err;
    this.#seconds.markDone(index);
    this.#stopAll('signal');
    this.#resolveIfDone();
  }

  #resolveIfDone(): void {
    if (this.#seconds.allDone) this.#resolve();
  }

  #merged(second: MergedSecond, t: number): void {
    const { thresholds, onSecond } = this.#options;
    this.aggregate.add(second);
    this.#options.metrics.second(second);
    onSecond?.(second, this.aggregate);
    if (this.#stopped === undefined && thresholds.some((th) => th.abortOnFail)) {
      if (evaluate(thresholds, this.aggregate, (t + 1) * 1000).some((r) => r.shouldAbort)) this.#stopAll('threshold');
    }
  }

  #stopAll(why: EngineResult['stopped']): void {
    this.#stopped ??= why;
    for (const w of this.#workers) w.postMessage({ type: 'stop' });
  }
}
