import { z } from 'zod';
import { invalidInput } from '../errors.js';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeInto,
  recordLatency,
  summarize,
  type LatencyHistogram,
  type LatencySummary,
} from './histogram.js';

/**
 * One second of measurements: a worker records into a SecondMetrics, posts its toWire() to the
 * main thread, which merges every worker's copy of that second (mergeWire) and appends it to
 * metrics.ndjson (toNdjsonLine). Nothing here keeps samples: per (request name, outcome) a count
 * and two histograms — `latency`, from the moment the request was *scheduled* (so a stall cannot
 * hide behind a busy connection), and `service`, from send to last byte.
 */

/**
 * How a request ended, decided by the HTTP client: `ok` any status the step accepts; `4xx`/`5xx`
 * other statuses; `shed` a 503 or 429 the server answered on purpose (load shedding); `timeout` the
 * client gave up; `refused` connection refused; `reset` connection reset or closed mid-response;
 * `other` anything else (DNS, TLS, a malformed response).
 */
export const OUTCOMES = Object.freeze(['ok', '4xx', '5xx', 'shed', 'timeout', 'refused', 'reset', 'other'] as const);
export type Outcome = (typeof OUTCOMES)[number];

/** The name of the per-second totals line in metrics.ndjson; request names cannot be '*'. */
export const TOTALS_NAME = '*';

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

  /** `second`: whole seconds from the run's start, the `t` of every line it becomes. */
  constructor(readonly second: number) {
    if (!Number.isSafeInteger(second) || second < 0) throw new Error(`a second must be a whole number >= 0, got ${second}`);
  }

  /** Hot path: after a (name, outcome)'s first request, allocates nothing. */
  request(name: string, outcome: Outcome, latencyUs: number, serviceUs: number): void {
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

  started(n = 1): void {
    this.#started += n;
  }

  dropped(n = 1): void {
    this.#dropped += n;
  }

  iteration(n = 1): void {
    this.#iterations += n;
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
  const byName = new Map<string, { clamped: number; cells: Map<Outcome, MutableCell> }>();
  for (const s of seconds) {
    if (s.t !== first.t) throw new Error(`mergeWire got seconds ${first.t} and ${s.t}; it merges one second at a time`);
    offered += s.offered;
    started += s.started;
    dropped += s.dropped;
    iterations += s.iterations;
    inFlightMax += s.inFlightMax;
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
  return { t: first.t, offered, started, dropped, iterations, inFlightMax, requests };
}

/*
 * metrics.ndjson, one JSON object per line. Each second writes one totals line, then one line per
 * request name that had requests in that second, names in code-unit order:
 *
 *   {"t":12,"name":"*","offered":500,"started":498,"dropped":2,"iterations":470,"inFlightMax":37}
 *   {"t":12,"name":"get-thing","clamped":0,"counts":{"ok":480,"5xx":2},
 *    "latency":{"count":482,"min":1.2,"max":950.271,"mean":14.3,"p50":9.1,"p90":..,"p95":..,"p99":..,"p999":..},
 *    "hdr":{"ok":"HISTFAAA...","5xx":"HISTFAAA..."},"serviceHdr":{"ok":"HISTFAAA...","5xx":"HISTFAAA..."}}
 *
 * (the second line is shown wrapped; in the file it is one line). Field by field:
 *   t            seconds from the run's start
 *   name         "*" for the totals line, else the request (step) name
 *   offered, started, dropped, iterations, inFlightMax: see SecondTotals
 *   clamped      requests of this name whose latency or service time was out of range (> 120 s)
 *   counts       requests by outcome; only outcomes that happened, in OUTCOMES order
 *   latency      summary in ms of `hdr` over all outcomes together, for readers without an HDR
 *                library (jq, a spreadsheet); derived, the histograms are the record
 *   hdr          per outcome, an HDR histogram (compressed base64 V2, µs) of latency from the
 *                scheduled time; its total count equals counts[outcome]
 *   serviceHdr   the same for service time (send to last byte)
 */

/** The lines for one merged second, each ending in "\n", ready to append to metrics.ndjson. */
export function toNdjsonLine(merged: MergedSecond): string {
  const { t, offered, started, dropped, iterations, inFlightMax } = merged;
  let out = JSON.stringify({ t, name: TOTALS_NAME, offered, started, dropped, iterations, inFlightMax }) + '\n';
  for (const request of merged.requests.values()) {
    const counts: Partial<Record<Outcome, number>> = {};
    const hdr: Partial<Record<Outcome, string>> = {};
    const serviceHdr: Partial<Record<Outcome, string>> = {};
    for (const [outcome, cell] of request.outcomes) {
      counts[outcome] = cell.count;
      hdr[outcome] = encodeHistogram(cell.latency);
      serviceHdr[outcome] = encodeHistogram(cell.service);
    }
    const line = {
      t,
      name: request.name,
      clamped: request.clamped,
      counts,
      latency: summarize(allOutcomes(request)),
      hdr,
      serviceHdr,
    };
    out += JSON.stringify(line) + '\n';
  }
  return out;
}

export type NdjsonRecord =
  | ({ readonly kind: 'totals' } & SecondTotals)
  | ({ readonly kind: 'request'; readonly t: number; readonly latency: LatencySummary } & MergedRequest);

const whole = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const outcomeKey = z.enum(OUTCOMES);

const totalsLine = z.strictObject({
  t: whole,
  name: z.literal(TOTALS_NAME),
  offered: whole,
  started: whole,
  dropped: whole,
  iterations: whole,
  inFlightMax: whole,
});

const requestLine = z.strictObject({
  t: whole,
  name: z.string().min(1),
  clamped: whole,
  counts: z.partialRecord(outcomeKey, whole),
  latency: z.strictObject({ count: whole, min: ms, max: ms, mean: ms, p50: ms, p90: ms, p95: ms, p99: ms, p999: ms }),
  hdr: z.partialRecord(outcomeKey, z.string()),
  serviceHdr: z.partialRecord(outcomeKey, z.string()),
});

/**
 * Reads one line of metrics.ndjson back, histograms decoded. Throws METRICS_BAD_LINE (exit 2)
 * listing every problem, each prefixed by `where` (e.g. "run/metrics.ndjson:12").
 */
export function parseNdjsonLine(line: string, where = 'metrics.ndjson'): NdjsonRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw invalidInput('METRICS_BAD_LINE', `${where}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const isTotals = typeof raw === 'object' && raw !== null && (raw as { name?: unknown }).name === TOTALS_NAME;
  if (isTotals) {
    const parsed = totalsLine.safeParse(raw);
    if (!parsed.success) throw badLine(where, issuesOf(parsed.error));
    const { t, offered, started, dropped, iterations, inFlightMax } = parsed.data;
    return { kind: 'totals', t, offered, started, dropped, iterations, inFlightMax };
  }
  const parsed = requestLine.safeParse(raw);
  if (!parsed.success) throw badLine(where, issuesOf(parsed.error));
  const { t, name, clamped, counts, latency, hdr, serviceHdr } = parsed.data;
  const problems: string[] = [];
  const outcomes = new Map<Outcome, MergedCell>();
  for (const outcome of OUTCOMES) {
    const count = counts[outcome];
    const latencyHdr = decodeField(hdr[outcome], `hdr.${outcome}`, count, problems);
    const serviceHdrOf = decodeField(serviceHdr[outcome], `serviceHdr.${outcome}`, count, problems);
    if (count !== undefined && latencyHdr !== undefined && serviceHdrOf !== undefined) {
      outcomes.set(outcome, { count, latency: latencyHdr, service: serviceHdrOf });
    }
  }
  if (problems.length > 0) throw badLine(where, problems);
  return { kind: 'request', t, name, clamped, latency, outcomes };
}

/** Decodes one histogram of a request line, checking it agrees with counts[outcome]. */
function decodeField(encoded: string | undefined, field: string, count: number | undefined, problems: string[]): LatencyHistogram | undefined {
  if (encoded === undefined) {
    if (count !== undefined) problems.push(`${field}: missing, but counts has this outcome`);
    return undefined;
  }
  if (count === undefined) {
    problems.push(`${field}: present, but counts has no such outcome`);
    return undefined;
  }
  let h: LatencyHistogram;
  try {
    h = decodeHistogram(encoded);
  } catch (err) {
    problems.push(`${field}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  if (h.totalCount !== count) {
    problems.push(`${field}: holds ${h.totalCount} values, but counts says ${count}`);
    return undefined;
  }
  return h;
}

function allOutcomes(request: MergedRequest): LatencyHistogram {
  const cells = [...request.outcomes.values()];
  if (cells.length === 1 && cells[0] !== undefined) return cells[0].latency;
  const all = createLatencyHistogram();
  for (const cell of cells) mergeInto(all, cell.latency);
  return all;
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? '(line)' : path}: ${issue.message}`;
  });
}

function badLine(where: string, problems: readonly string[]): Error {
  return invalidInput('METRICS_BAD_LINE', problems.map((p) => `${where}: ${p}`).join('\n'));
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
