import { Faker, en } from '@faker-js/faker';
import { ArrivalPump, NODE_CLOCK } from './arrival-pump.js';
import { constantVus } from './executors/constant-vus.js';
import { totalDurationOf } from './executors/index.js';
import { rampingVus } from './executors/ramping-vus.js';
import { planArrivals } from './executors/rate-plan.js';
import { CustomRecorder } from './custom-recorder.js';
import { HistoryBuffer } from './history.js';
import { Client } from './http/client.js';
import type { MetricDeclarations, WeightedJourney } from './journey.js';
import { createRandom, type Random } from './random.js';
import { SecondMetrics, type WireSecond } from './second.js';
import { journeyContext, type ContextDeps } from './worker-context.js';
import { journeyChooser, loadModuleJourneys } from './worker-journeys.js';
import type { FromWorker, WorkerLoad, WorkerPlan } from './worker-plan.js';

/**
 * One worker thread's share of the load: it runs its share of the arrivals (or VUs), measures
 * each request from when it was meant to be sent, keeps one SecondMetrics per second and hands
 * finished seconds to the main thread through `send`. Nothing per request outlives its second.
 */
const FLUSH_EVERY_MS = 250;
/**
 * A run stopped early (a signal, an abortOnFail threshold) gives iterations in flight this long:
 * a journey of patient people can go on retrying for a minute, and a stop must not wait for it.
 * What they do after that is not counted.
 */
const STOP_GRACE_MS = 500;

export type Send = (message: FromWorker) => void;
type ArrivalsLoad = Extract<WorkerLoad, { kind: 'arrivals' }>;
type VusLoad = Extract<WorkerLoad, { kind: 'vus' }>;

export class WorkerRun {
  readonly #plan: WorkerPlan;
  readonly #send: Send;
  readonly #client: Client;
  readonly #random: Random;
  readonly #pick: (random: Random, tMs: number) => WeightedJourney;
  /** What every iteration's context shares. */
  readonly #deps: ContextDeps;
  readonly #history: HistoryBuffer;
  /** This thread's monotonic time (performance.now) at which the run's second 0 begins; set by begin(). */
  #start = 0;
  readonly #seconds = new Map<number, SecondMetrics>();
  #flushed = 0;
  #inFlight = 0;
  #stopping = false;
  #scheduleDone = false;
  /** The closed model's control timer. */
  #timer: NodeJS.Timeout | undefined;
  /** The open model's schedule. */
  #pump: ArrivalPump | undefined;
  #flusher: NodeJS.Timeout | undefined;
  #finished = false;

  /** Loads the plan's journey module, if it names one, before anything starts. */
  static async create(plan: WorkerPlan, send: Send): Promise<WorkerRun> {
    const { journeys, declared } = await loadModuleJourneys(plan);
    return new WorkerRun(plan, send, journeys, declared);
  }

  private constructor(plan: WorkerPlan, send: Send, journeys: readonly WeightedJourney[] | undefined, declared: MetricDeclarations) {
    this.#plan = plan;
    this.#send = send;
    // `ctx.metrics`: the same object for every iteration of this worker.
    const metrics = this.#recorder(declared);
    this.#client = new Client(plan.origin, { connections: plan.connections, timeoutMs: plan.timeoutMs });
    this.#random = createRandom(plan.seed).fork(`worker-${plan.index}`);
    const faker = new Faker({ locale: [en] });
    faker.seed(plan.seed + 7919 * (plan.index + 1));
    this.#pick = journeyChooser(plan, journeys, faker);
    this.#history = new HistoryBuffer(plan.index, plan.of, plan.historyCap);
    this.#deps = {
      client: this.#client,
      timeoutMs: plan.timeoutMs,
      random: this.#random,
      faker,
      metrics: metrics.metrics,
      elapsed: () => this.#elapsed(),
      record: (now, name, outcome, latencyUs, serviceUs, sendLagUs) => this.#second(now - this.#start).request(name, outcome, latencyUs, serviceUs, sendLagUs),
      history: this.#history,
    };
  }

  #recorder(declared: MetricDeclarations): CustomRecorder {
    return new CustomRecorder(
      declared,
      this.#plan.module?.file ?? 'the scenario\'s journeys',
      (series, value) => {
        const now = this.#elapsed();
        this.#second(now).custom(series, value, now);
      },
      // A journey's misuse of its metrics is a bug in it: the whole run stops, loudly.
      (message) => {
        this.#send({ type: 'failed', message, invalidInput: true });
        this.stop();
      },
    );
  }

  /** Second 0 is at `startEpochMs` on the wall clock; the schedule starts then. */
  begin(startEpochMs: number): void {
    this.#start = startEpochMs - performance.timeOrigin;
    this.#flusher = setInterval(() => this.#flush(false), FLUSH_EVERY_MS);
    const delay = Math.max(0, this.#start - performance.now());
    const load = this.#plan.load;
    setTimeout(() => (load.kind === 'arrivals' ? this.#arrivals(load) : this.#vus(load)), delay);
  }

  stop(): void {
    this.#stopping = true;
    this.#pump?.stop();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#endOfSchedule();
    if (!this.#finished) setTimeout(() => this.#finish(), STOP_GRACE_MS).unref();
  }

  #elapsed(): number {
    return performance.now() - this.#start;
  }

  #second(tMs: number): SecondMetrics {
    const s = Math.max(this.#flushed, Math.floor(tMs / 1000));
    let metrics = this.#seconds.get(s);
    if (metrics === undefined) {
      metrics = new SecondMetrics(s);
      // Iterations still running when the second begins are in flight during it.
      metrics.inFlight(this.#inFlight);
      this.#seconds.set(s, metrics);
    }
    return metrics;
  }

  /** Open model: arrivals come on schedule whatever the target does; none is ever delayed. */
  #arrivals(load: ArrivalsLoad): void {
    if (this.#stopping) return;
    const arrivals = planArrivals(load.plan, {
      spacing: load.spacing,
      // Every worker walks the same arrival stream and keeps its own share of it.
      random: createRandom(this.#plan.seed).fork('arrivals'),
      share: { index: this.#plan.index, of: this.#plan.of },
    });
    this.#pump = new ArrivalPump(arrivals, (at, now) => this.#arrive(at, now, load.maxInFlight), () => this.#endOfSchedule(), NODE_CLOCK(() => this.#elapsed()));
    this.#pump.start();
  }

  /** An arrival with no free capacity is dropped and counted, never delayed. */
  #arrive(at: number, now: number, maxInFlight: number): void {
    const metrics = this.#second(at);
    metrics.offered();
    metrics.arrivalLag(now - at);
    if (this.#inFlight >= maxInFlight) {
      metrics.dropped();
    } else {
      metrics.started();
      void this.#iterate(this.#start + at);
    }
  }

  /** Closed model: each VU runs iterations back to back while the plan wants it. */
  #vus(load: VusLoad): void {
    const config = load.config;
    const total = totalDurationOf(config);
    const vusAt = (t: number): number =>
      config.executor === 'constant-vus' ? constantVus.vusAt(config, t) : rampingVus.vusAt(config, t);
    const mine = (t: number): number => Math.floor((vusAt(t) + this.#plan.of - 1 - this.#plan.index) / this.#plan.of);
    let running = 0;
    const vu = async (id: number): Promise<void> => {
      running++;
      while (!this.#stopping && this.#elapsed() < total && id < mine(this.#elapsed())) {
        const metrics = this.#second(this.#elapsed());
        metrics.offered();
        metrics.started();
        await this.#iterate(this.#start + this.#elapsed());
      }
      running--;
    };
    const control = (): void => {
      this.#timer = undefined;
      if (this.#stopping) return;
      const t = this.#elapsed();
      if (t >= total) {
        this.#endOfSchedule();
        return;
      }
      for (let id = running; id < mine(t); id++) void vu(id);
      this.#timer = setTimeout(control, 100);
    };
    control();
  }

  #iterate(scheduledAt: number): Promise<void> {
    this.#inFlight++;
    this.#second(scheduledAt - this.#start).inFlight(this.#inFlight);
    const journey = this.#pick(this.#random, scheduledAt - this.#start);
    return journey
      .run(journeyContext(this.#deps, scheduledAt))
      .catch(() => {
        // A journey's own bug must not stop the run; its requests were already counted.
      })
      .finally(() => {
        this.#inFlight--;
        this.#second(this.#elapsed()).iteration();
        if (this.#scheduleDone && this.#inFlight === 0) this.#finish();
      });
  }

  #endOfSchedule(): void {
    if (this.#scheduleDone) return;
    this.#scheduleDone = true;
    if (this.#inFlight === 0) {
      this.#finish();
      return;
    }
    // Iterations still running may end by themselves (every request has a timeout); they are
    // waited for as long as the plan's gracefulStop, no longer.
    setTimeout(() => this.#finish(), this.#plan.gracefulStopMs).unref();
  }

  /** `interrupted`: on the last flush, the iterations not waited for. */
  #flush(all: boolean, interrupted = 0): void {
    const upTo = all ? Math.max(...this.#seconds.keys(), this.#flushed - 1) + 1 : Math.max(this.#flushed, Math.floor(this.#elapsed() / 1000));
    const seconds: WireSecond[] = [];
    for (let s = this.#flushed; s < upTo; s++) {
      const metrics = this.#seconds.get(s);
      if (metrics === undefined) continue;
      seconds.push(metrics.toWire());
      this.#seconds.delete(s);
    }
    this.#flushed = upTo;
    const records = this.#history.drain();
    if (!all && seconds.length === 0 && upTo === 0 && records.length === 0) return;
    const history = records.length === 0 && !all ? undefined : { records, notKept: this.#history.notKept };
    const withHistory = history === undefined ? {} : { history };
    this.#send(all ? { type: 'done', upTo, seconds, interrupted, ...withHistory } : { type: 'seconds', upTo, seconds, ...withHistory });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#flusher);
    this.#flush(true, this.#inFlight);
    void this.#client.close();
  }
}
