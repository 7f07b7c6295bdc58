import { CustomSecond, mergeCustom, type MergedCustom, type Series, type WireCustom } from './custom-metrics.js';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, mergeInto, recordLatency, type LatencyHistogram } from './histogram.js';
import { OUTCOMES, type Outcome } from './http/outcome.js';
import type { MetricDeclarations } from './journey.js';

export { OUTCOMES, type Outcome };

/**
 * One second of measurements: a worker records into a SecondMetrics, posts its toWire() to the
 * main thread, which merges every worker's copy of that second (mergeWire) and hands it to a
 * SecondSink (src/run-files/metrics.ts writes it to metrics.ndjson). Nothing here keeps
 * samples: per (request name, outcome) a count and two histograms — `latency`, from the moment the request was *scheduled* (so a stall cannot
 * hide behind a busy connection), and `service`, from send to last byte — and the journeys'
 * custom metrics of the second (src/engine/custom-metrics.ts).
 */

/**
 * The name of the per-second totals line in metrics.ndjson (src/run-files/metrics.ts), so no
 * request may take it. Defined here, once, because the engine refuses it as requests are counted.
 */
export const TOTALS_NAME = '*';

/**
 * Where the engine's seconds go, in order: the journeys' declarations once, before second 0,
 * then each merged second. The engine knows no file format; src/run-files/metrics.ts's
 * MetricsWriter is the one that writes metrics.ndjson.
 */
export interface SecondSink {
  declare(declared: MetricDeclarations): void;
  second(merged: MergedSecond): void;
  /** Flushes and closes; safe when nothing was written. */
  close(): Promise<void>;
}

/** Per second, not per request name: arrivals start journeys, not requests. */
export interface SecondTotals {
  /** Seconds from the run's start. */
  readonly t: number;
  /** Arrivals the schedule asked for. */
  readonly offered: number;
  /** Arrivals that started a journey (achieved arrivals). */
  readonly started: number;
  /** Arrivals with no free capacity: counted, never delayed. */
  readonly dropped: number;
  /** Journeys completed. */
  readonly iterations: number;
  /** Highest in-flight count seen. Merged by summing workers' peaks: an upper bound unless one worker. */
  readonly inFlightMax: number;
  /**
   * The most an arrival of the second was handed on after its scheduled time, in ms (see
   * SecondMetrics.arrivalLag); merged as the largest of the workers'. Absent when none was late
   * (and in the closed model, which has no schedule).
   */
  readonly arrivalLagMaxMs?: number;
}

export interface WireOutcome {
  readonly outcome: Outcome;
  readonly count: number;
  /** encodeHistogram() strings. */
  readonly latency: string;
  readonly service: string;
}

export interface WireRequest {
  readonly name: string;
  /** Requests whose latency or service time was out of range and clamped (see recordLatency). */
  readonly clamped: number;
  readonly outcomes: readonly WireOutcome[];
}

/** Plain data (strings and numbers) so it survives postMessage and JSON unchanged. */
export interface WireSecond extends SecondTotals {
  readonly requests: readonly WireRequest[];
  /** encodeHistogram() of the second's send lags (see SecondMetrics.request); absent when none was written. */
  readonly sendLag?: string;
  /** Custom metrics: one cell per (metric, tag set) with samples in this second. */
  readonly custom: readonly WireCustom[];
}

export interface MergedCell {
  readonly count: number;
  readonly latency: LatencyHistogram;
  readonly service: LatencyHistogram;
}

export interface MergedRequest {
  readonly name: string;
  readonly clamped: number;
  /** Only outcomes that happened, in OUTCOMES order. */
  readonly outcomes: ReadonlyMap<Outcome, MergedCell>;
}

export interface MergedSecond extends SecondTotals {
  /** By request name, in name order. */
  readonly requests: ReadonlyMap<string, MergedRequest>;
  /** Every worker's send lags of the second, in µs; absent when no request was written. */
  readonly sendLag?: LatencyHistogram;
  /** By metric name, then tag set (as its sorted JSON), in code-unit order. */
  readonly custom: readonly MergedCustom[];
}

interface Cell {
  count: number;
  readonly latency: LatencyHistogram;
  readonly service: LatencyHistogram;
}

interface NameEntry {
  clamped: number;
  readonly cells: Partial<Record<Outcome, Cell>>;
}

export class SecondMetrics {
  readonly #names = new Map<string, NameEntry>();
  #offered = 0;
  #started = 0;
  #dropped = 0;
  #iterations = 0;
  #inFlightMax = 0;
  #arrivalLagMaxMs = 0;
  #custom: CustomSecond | undefined;
  /** One per second, not per name: how late the generator itself sends is one question. */
  #sendLag: LatencyHistogram | undefined;

  /** `second`: whole seconds from the run's start, the `t` of every line it becomes. */
  constructor(readonly second: number) {
    if (!Number.isSafeInteger(second) || second < 0) throw new Error(`a second must be a whole number >= 0, got ${second}`);
  }

  /**
   * Hot path: after a (name, outcome)'s first request, allocates nothing. `sendLagUs`: from when
   * the request was due to its write (HttpResult.sendLagUs); below 0 (never written) it is not
   * recorded.
   */
  request(name: string, outcome: Outcome, latencyUs: number, serviceUs: number, sendLagUs = -1): void {
    if (sendLagUs >= 0) recordLatency((this.#sendLag ??= createLatencyHistogram()), sendLagUs);
    let entry = this.#names.get(name);
    if (entry === undefined) {
      if (name === TOTALS_NAME) throw new Error(`a request cannot be named "${TOTALS_NAME}": metrics.ndjson reserves it`);
      entry = { clamped: 0, cells: {} };
      this.#names.set(name, entry);
    }
    let cell = entry.cells[outcome];
    if (cell === undefined) {
      cell = { count: 0, latency: createLatencyHistogram(), service: createLatencyHistogram() };
      entry.cells[outcome] = cell;
    }
    cell.count++;
    // Both calls must run: `||` would skip recording the service time.
    const clampedLatency = recordLatency(cell.latency, latencyUs);
    const clampedService = recordLatency(cell.service, serviceUs);
    if (clampedLatency || clampedService) entry.clamped++;
  }

  offered(n = 1): void {
    this.#offered += n;
  }

  /**
   * How late the generator handed an arrival on, in ms after its scheduled time; the second
   * keeps the largest. Unlike send lag, it does not include waiting for a free socket (a limit
   * of the scenario's): it is the generator's own loop falling behind its schedule.
   */
  arrivalLag(ms: number): void {
    if (ms > this.#arrivalLagMaxMs) this.#arrivalLagMaxMs = ms;
  }

  started(n = 1): void {
    this.#started += n;
  }

  dropped(n = 1): void {
    this.#dropped += n;
  }

  iteration(n = 1): void {
    this.#iterations += n;
  }

  /** A custom metric's sample (see CustomRecorder); `atMs` from the run's second 0. */
  custom(series: Series, value: number, atMs: number): void {
    (this.#custom ??= new CustomSecond()).add(series, value, atMs);
  }

  /** The current number of requests in flight; the second keeps the highest. */
  inFlight(n: number): void {
    if (n > this.#inFlightMax) this.#inFlightMax = n;
  }

  toWire(): WireSecond {
    const requests: WireRequest[] = [];
    for (const [name, entry] of this.#names) {
      const outcomes: WireOutcome[] = [];
      for (const outcome of OUTCOMES) {
        const cell = entry.cells[outcome];
        if (cell === undefined) continue;
        outcomes.push({
          outcome,
          count: cell.count,
          latency: encodeHistogram(cell.latency),
          service: encodeHistogram(cell.service),
        });
      }
      requests.push({ name, clamped: entry.clamped, outcomes });
    }
    return {
      t: this.second,
      offered: this.#offered,
      started: this.#started,
      dropped: this.#dropped,
      iterations: this.#iterations,
      inFlightMax: this.#inFlightMax,
      requests,
      custom: this.#custom?.toWire() ?? [],
      ...(this.#sendLag === undefined ? {} : { sendLag: encodeHistogram(this.#sendLag) }),
      ...(this.#arrivalLagMaxMs > 0 ? { arrivalLagMaxMs: Math.round(this.#arrivalLagMaxMs * 1000) / 1000 } : {}),
    };
  }
}

interface MutableCell {
  count: number;
  latency: LatencyHistogram;
  service: LatencyHistogram;
}

/** Adds up several workers' copies of the same second; histograms merge exactly. */
export function mergeWire(seconds: readonly WireSecond[]): MergedSecond {
  const first = seconds[0];
  if (first === undefined) throw new Error('mergeWire needs at least one second');
  let offered = 0;
  let started = 0;
  let dropped = 0;
  let iterations = 0;
  let inFlightMax = 0;
  let sendLag: LatencyHistogram | undefined;
  let arrivalLagMaxMs = 0;
  const byName = new Map<string, { clamped: number; cells: Map<Outcome, MutableCell> }>();
  for (const s of seconds) {
    if (s.t !== first.t) throw new Error(`mergeWire got seconds ${first.t} and ${s.t}; it merges one second at a time`);
    offered += s.offered;
    started += s.started;
    dropped += s.dropped;
    iterations += s.iterations;
    inFlightMax += s.inFlightMax;
    if (s.arrivalLagMaxMs !== undefined && s.arrivalLagMaxMs > arrivalLagMaxMs) arrivalLagMaxMs = s.arrivalLagMaxMs;
    if (s.sendLag !== undefined) {
      const h = decodeHistogram(s.sendLag);
      if (sendLag === undefined) sendLag = h;
      else mergeInto(sendLag, h);
    }
    for (const r of s.requests) {
      let acc = byName.get(r.name);
      if (acc === undefined) {
        acc = { clamped: 0, cells: new Map() };
        byName.set(r.name, acc);
      }
      acc.clamped += r.clamped;
      for (const o of r.outcomes) {
        const latency = decodeHistogram(o.latency);
        const service = decodeHistogram(o.service);
        const cell = acc.cells.get(o.outcome);
        if (cell === undefined) {
          // The first decoded copy becomes the accumulator: no extra 74 KB histogram.
          acc.cells.set(o.outcome, { count: o.count, latency, service });
        } else {
          cell.count += o.count;
          mergeInto(cell.latency, latency);
          mergeInto(cell.service, service);
        }
      }
    }
  }
  const requests = new Map<string, MergedRequest>();
  for (const name of [...byName.keys()].sort(compareNames)) {
    const acc = byName.get(name);
    if (acc === undefined) continue;
    const outcomes = new Map<Outcome, MergedCell>();
    for (const outcome of OUTCOMES) {
      const cell = acc.cells.get(outcome);
      if (cell !== undefined) outcomes.set(outcome, cell);
    }
    requests.set(name, { name, clamped: acc.clamped, outcomes });
  }
  const merged = {
    t: first.t,
    offered,
    started,
    dropped,
    iterations,
    inFlightMax,
    requests,
    custom: mergeCustom(seconds.map((s) => s.custom)),
    ...(arrivalLagMaxMs > 0 ? { arrivalLagMaxMs } : {}),
  };
  return sendLag === undefined ? merged : { ...merged, sendLag };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
