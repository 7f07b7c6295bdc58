import { Faker, en } from '@faker-js/faker';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { constantVus } from './executors/constant-vus.js';
import { totalDurationOf } from './executors/index.js';
import { rampingVus } from './executors/ramping-vus.js';
import { planArrivals } from './executors/rate-plan.js';
import { CustomRecorder } from './custom-metrics.js';
import { Client } from './http/client.js';
import {
  compileJourneys,
  journeyPicker,
  mixPicker,
  type JourneyContext,
  type JourneyFactory,
  type MetricDeclarations,
  type WeightedJourney,
} from './journey.js';
import { checkDeclarations } from './metric-declarations.js';
import { createRandom, type Random } from './random.js';
import { SecondMetrics, type WireSecond } from './second.js';
import type { FromWorker, ToWorker, WorkerPlan } from './worker-plan.js';

/**
 * One worker thread of the load engine: it runs its share of the arrivals (or VUs), measures
 * each request from when it was meant to be sent, keeps one SecondMetrics per second and hands
 * finished seconds to the main thread. Nothing per request outlives its second.
 */
const FLUSH_EVERY_MS = 250;
/** After the schedule ends, iterations still running get this long beyond the request timeout. */
const GRACE_MS = 1_000;
/**
 * A run stopped early (a signal, an abortOnFail threshold) gives iterations in flight this long:
 * a journey of patient people can go on retrying for a minute, and a stop must not wait for it.
 * What they do after that is not counted.
 */
const STOP_GRACE_MS = 500;

class WorkerRun {
  readonly #plan: WorkerPlan;
  readonly #client: Client;
  readonly #random: Random;
  readonly #faker: Faker;
  readonly #pick: (random: Random, tMs: number) => WeightedJourney;
  /** This thread's monotonic time (performance.now) at which the run's second 0 begins; set by begin(). */
  #start = 0;
  readonly #seconds = new Map<number, SecondMetrics>();
  #flushed = 0;
  #inFlight = 0;
  #stopping = false;
  #scheduleDone = false;
  #timer: NodeJS.Timeout | undefined;
  #flusher: NodeJS.Timeout | undefined;
  #finished = false;
  /** `ctx.metrics`, the same object for every iteration of this worker. */
  readonly #metrics: CustomRecorder;

  /** Loads the plan's journey module, if it names one, before anything starts. */
  static async create(plan: WorkerPlan): Promise<WorkerRun> {
    let journeys: readonly WeightedJourney[] | undefined;
    let declared: MetricDeclarations = {};
    if (plan.module !== undefined) {
      const mod = (await import(pathToFileURL(plan.module.file).href)) as { journeys?: JourneyFactory; metrics?: unknown };
      if (typeof mod.journeys !== 'function') throw new Error(`${plan.module.file} does not export a journeys() function`);
      declared = checkDeclarations(mod.metrics, plan.module.file);
      journeys = mod.journeys(plan.module.options, { seed: plan.seed, index: plan.index, of: plan.of });
    }
    return new WorkerRun(plan, journeys, declared);
  }

  private constructor(plan: WorkerPlan, journeys: readonly WeightedJourney[] | undefined, declared: MetricDeclarations) {
    this.#plan = plan;
    this.#metrics = new CustomRecorder(
      declared,
      plan.module?.file ?? 'the scenario\'s journeys',
      (series, value) => {
        const now = this.#elapsed();
        this.#second(now).custom(series, value, now);
      },
      // A journey's misuse of its metrics is a bug in it: the whole run stops, loudly.
      (message) => {
        send({ type: 'failed', message, invalidInput: true });
        this.stop();
      },
    );
    this.#client = new Client(plan.origin, { connections: plan.connections, timeoutMs: plan.timeoutMs });
    this.#random = createRandom(plan.seed).fork(`worker-${plan.index}`);
    this.#faker = new Faker({ locale: [en] });
    this.#faker.seed(plan.seed + 7919 * (plan.index + 1));
    const all = journeys ?? compileJourneys(plan.journeys, this.#faker);
    if (plan.mix !== undefined) {
      this.#pick = mixPicker(all, plan.mix);
    } else {
      const pick = journeyPicker(all);
      this.#pick = (random) => pick(random);
    }
  }

  /** Second 0 is at `startEpochMs` on the wall clock; the schedule starts then. */
  begin(startEpochMs: number): void {
    this.#start = startEpochMs - performance.timeOrigin;
    this.#flusher = setInterval(() => this.#flush(false), FLUSH_EVERY_MS);
    const delay = Math.max(0, this.#start - performance.now());
    setTimeout(() => (this.#plan.load.kind === 'arrivals' ? this.#arrivals() : this.#vus()), delay);
  }

  stop(): void {
    this.#stopping = true;
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
  #arrivals(): void {
    const load = this.#plan.load;
    if (load.kind !== 'arrivals') return;
    const arrivals = planArrivals(load.plan, {
      spacing: load.spacing,
      // Every worker walks the same arrival stream and keeps its own share of it.
      random: createRandom(this.#plan.seed).fork('arrivals'),
      share: { index: this.#plan.index, of: this.#plan.of },
    });
    let next = arrivals.next();
    const pump = (): void => {
      this.#timer = undefined;
      if (this.#stopping) return;
      const now = this.#elapsed();
      while (!next.done && next.value <= now) {
        const at = next.value;
        const metrics = this.#second(at);
        metrics.offered();
        if (this.#inFlight >= load.maxInFlight) {
          metrics.dropped();
        } else {
          metrics.started();
          this.#iterate(this.#start + at);
        }
        next = arrivals.next();
      }
      if (next.done) {
        this.#endOfSchedule();
        return;
      }
      // At most one wake-up a millisecond: every arrival due by then goes in the same turn.
      this.#timer = setTimeout(pump, Math.max(1, next.value - this.#elapsed()));
    };
    pump();
  }

  /** Closed model: each VU runs iterations back to back while the plan wants it. */
  #vus(): void {
    const load = this.#plan.load;
    if (load.kind !== 'vus') return;
    const config = load.config;
    const total = totalDurationOf(config);
    const vusAt = (t: number): number =>
      config.executor === 'constant-vus' ? constantVus.vusAt(config, t) : rampingVus.vusAt(config, t);
    const mine = (t: number): number => {
      const all = vusAt(t);
      return Math.floor((all + this.#plan.of - 1 - this.#plan.index) / this.#plan.of);
    };
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
      .run(this.#context(scheduledAt))
      .catch(() => {
        // A journey's own bug must not stop the run; its requests were already counted.
      })
      .finally(() => {
        this.#inFlight--;
        this.#second(this.#elapsed()).iteration();
        if (this.#scheduleDone && this.#inFlight === 0) this.#finish();
      });
  }

  #context(scheduledAt: number): JourneyContext {
    // When the next request is meant to go: the arrival for the first, then after each answer
    // and think time. A request held up by a busy pool still counts from here.
    let due = scheduledAt;
    return {
      request: async (name, spec, options) => {
        const result = await this.#client.request(spec, {
          scheduledAt: due,
          timeoutMs: options?.timeoutMs ?? this.#plan.timeoutMs,
          ...(options?.wantBody === true ? { wantBody: true } : {}),
        });
        const now = performance.now();
        let outcome = result.outcome;
        if (options?.expect !== undefined && result.status > 0) {
          if (options.expect.includes(result.status)) outcome = 'ok';
          else if (outcome === 'ok') outcome = 'other';
        }
        this.#second(now - this.#start).request(name, outcome, result.latencyUs, result.serviceUs);
        due = now;
        return result.retryAfterS === undefined
          ? { status: result.status, outcome, body: result.body }
          : { status: result.status, outcome, body: result.body, retryAfterS: result.retryAfterS };
      },
      think: (ms) => {
        due = performance.now() + ms;
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
      random: this.#random,
      faker: this.#faker,
      data: {},
      metrics: this.#metrics.metrics,
      elapsedMs: () => this.#elapsed(),
    };
  }

  #endOfSchedule(): void {
    if (this.#scheduleDone) return;
    this.#scheduleDone = true;
    if (this.#inFlight === 0) {
      this.#finish();
      return;
    }
    // Iterations still running end by themselves (every request has a timeout); this bounds
    // journeys that think for longer than that.
    setTimeout(() => this.#finish(), this.#plan.timeoutMs + GRACE_MS).unref();
  }

  #flush(all: boolean): void {
    const upTo = all ? Math.max(...this.#seconds.keys(), this.#flushed - 1) + 1 : Math.max(this.#flushed, Math.floor(this.#elapsed() / 1000));
    const seconds: WireSecond[] = [];
    for (let s = this.#flushed; s < upTo; s++) {
      const metrics = this.#seconds.get(s);
      if (metrics === undefined) continue;
      seconds.push(metrics.toWire());
      this.#seconds.delete(s);
    }
    this.#flushed = upTo;
    if (!all && seconds.length === 0 && upTo === 0) return;
    send({ type: all ? 'done' : 'seconds', upTo, seconds });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#flusher);
    this.#flush(true);
    void this.#client.close();
  }
}

function send(message: FromWorker): void {
  parentPort?.postMessage(message);
}

if (parentPort !== null) {
  const port = parentPort;
  let stopped = false;
  let run: WorkerRun | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'begin') {
      if (!stopped) run?.begin(message.startEpochMs);
      return;
    }
    stopped = true;
    run?.stop();
  });
  // Loading journeys (a module, faker) takes hundreds of milliseconds; the clock starts only
  // once every worker has, or the first arrivals would all go at once, late.
  WorkerRun.create(workerData as WorkerPlan).then(
    (created) => {
      run = created;
      if (stopped) created.stop();
      else send({ type: 'ready' });
    },
    (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
}
