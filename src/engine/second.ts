import { z } from 'zod';
import { invalidInput } from '../errors.js';
import { CustomSecond, mergeCustom, trendPercentile, withinExtremes, type MergedCustom, type Series, type WireCustom } from './custom-metrics.js';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeInto,
  recordLatency,
  summarize,
  VALUE_LAYOUT,
  type LatencyHistogram,
  type LatencySummary,
} from './histogram.js';
import type { MetricDeclaration, MetricDeclarations, MetricKind, MetricUnit } from './journey.js';
import { METRIC_KINDS, METRIC_NAME, METRIC_UNITS, containsOf, unitOf } from './metric-declarations.js';

/**
 * One second of measurements: a worker records into a SecondMetrics, posts its toWire() to the
 * main thread, which merges every worker's copy of that second (mergeWire) and appends it to
 * metrics.ndjson (toNdjsonLine). Nothing here keeps samples: per (request name, outcome) a count
 * and two histograms — `latency`, from the moment the request was *scheduled* (so a stall cannot
 * hide behind a busy connection), and `service`, from send to last byte — and the journeys'
 * custom metrics of the second (src/engine/custom-metrics.ts).
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
  #custom: CustomSecond | undefined;

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
  return { t: first.t, offered, started, dropped, iterations, inFlightMax, requests, custom: mergeCustom(seconds.map((s) => s.custom)) };
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
 *
 * Custom metrics (src/engine/custom-metrics.ts). A run whose journeys declare any starts with one
 * declaration line per declared metric, in name order, before second 0's lines (it has no `t`):
 *
 *   {"metric":"people_sampled","type":"counter","contains":"default","unit":"count","description":"residents sampled"}
 *
 * and each second, after its request lines, one line per (metric, tag set) with samples in that
 * second, by metric name, then by the tag set's sorted JSON, in code-unit order:
 *
 *   {"t":12,"metric":"people_sampled","type":"counter","tags":{"method":"manual"},"count":200,"sum":212}
 *   {"t":12,"metric":"queue_depth","type":"gauge","tags":{},"count":5,"value":3,"at":12873.5,"min":1,"max":9}
 *   {"t":12,"metric":"codes_green","type":"rate","tags":{},"count":52,"passes":40}
 *   {"t":12,"metric":"time_to_code","type":"trend","tags":{},"count":52,"sum":8123.4,"min":20.1,"max":950.3,
 *    "clamped":0,"p50":..,"p90":..,"p95":..,"p99":..,"hdr":"HISTFAAA..."}
 *
 * Field by field:
 *   metric       the declared name (k6's rule: [a-zA-Z_][a-zA-Z0-9_]{0,127})
 *   type         counter | gauge | rate | trend
 *   contains     (declaration) k6's: "time" for a metric in ms, else "default"
 *   unit         (declaration) count | ms | clock (seconds since midnight) | "" (a plain number)
 *   tags         the sample's tags, keys sorted; {} for untagged samples
 *   count        samples recorded (add() calls)
 *   sum          counter: the total added; trend: the sum of the values
 *   passes       rate: the samples that were true (non-zero), of `count`
 *   value, at    gauge: the latest value and when it was recorded (ms from second 0)
 *   min, max     gauge and trend: the extremes, exact
 *   clamped      trend: values outside the histogram's range, recorded at its edge
 *   p50…p99      trend: derived from `hdr`, in the metric's unit, for readers without HDR
 *   hdr          trend: an HDR histogram (compressed base64 V2) of the values in thousandths of
 *                the unit (VALUE_LAYOUT in src/engine/histogram.ts); its count equals `count`
 *   tagsDropped  only when > 0, on an untagged line: samples recorded here without their tags,
 *                because their metric already had MAX_TAG_SETS tag sets in a worker
 */

/** The declaration lines that open metrics.ndjson when journeys declare custom metrics. */
export function declarationLines(declared: MetricDeclarations): string {
  let out = '';
  for (const metric of Object.keys(declared).sort(compareNames)) {
    const d = declared[metric]!;
    out += JSON.stringify({ metric, type: d.type, contains: containsOf(d), unit: unitOf(d), description: d.description }) + '\n';
  }
  return out;
}

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
  for (const c of merged.custom) out += JSON.stringify(customLineOf(t, c)) + '\n';
  return out;
}

function customLineOf(t: number, c: MergedCustom): Record<string, unknown> {
  const head = { t, metric: c.metric, type: c.type, tags: c.tags, count: c.count };
  const dropped = c.tagsDropped > 0 ? { tagsDropped: c.tagsDropped } : {};
  switch (c.type) {
    case 'counter':
      return { ...head, sum: c.sum, ...dropped };
    case 'gauge':
      return { ...head, value: c.value, at: c.at, min: c.min, max: c.max, ...dropped };
    case 'rate':
      return { ...head, passes: c.sum, ...dropped };
    case 'trend': {
      const h = c.histogram!;
      const p = withinExtremes((n: number) => trendPercentile(h, n), c.min, c.max);
      return { ...head, sum: c.sum, min: c.min, max: c.max, clamped: c.clamped, p50: p(50), p90: p(90), p95: p(95), p99: p(99), hdr: encodeHistogram(h), ...dropped };
    }
  }
}

export type NdjsonRecord =
  | ({ readonly kind: 'totals' } & SecondTotals)
  | ({ readonly kind: 'request'; readonly t: number; readonly latency: LatencySummary } & MergedRequest)
  | { readonly kind: 'metric'; readonly metric: string; readonly declaration: MetricDeclaration }
  | { readonly kind: 'custom'; readonly t: number; readonly cell: MergedCustom };

/** A custom metric's line as read, its histogram still encoded (what src/analyze/ reads). */
export interface CustomLine extends Omit<MergedCustom, 'histogram'> {
  readonly t: number;
  readonly hdr?: string;
}

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

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const metricName = z.string().regex(METRIC_NAME, 'expected a metric name (k6\'s rule)');
const tagsField = z.record(z.string().min(1), z.string());
const dropped = { tagsDropped: whole.optional() };

const declarationLine = z.strictObject({
  metric: metricName,
  type: z.enum(METRIC_KINDS as [MetricKind, ...MetricKind[]]),
  contains: z.enum(['default', 'time']),
  unit: z.enum(METRIC_UNITS as [MetricUnit, ...MetricUnit[]]),
  description: z.string(),
});

const customHead = { t: whole, metric: metricName, tags: tagsField, count: whole, ...dropped };
const customLine = z.discriminatedUnion('type', [
  z.strictObject({ ...customHead, type: z.literal('counter'), sum: z.number().nonnegative().refine(Number.isFinite, 'expected a finite number') }),
  z.strictObject({ ...customHead, type: z.literal('gauge'), value: finite, at: finite, min: finite, max: finite }),
  z.strictObject({ ...customHead, type: z.literal('rate'), passes: whole }),
  z.strictObject({
    ...customHead,
    type: z.literal('trend'),
    sum: finite,
    min: finite,
    max: finite,
    clamped: whole,
    p50: finite,
    p90: finite,
    p95: finite,
    p99: finite,
    hdr: z.string(),
  }),
]);

/** Whether a parsed line of metrics.ndjson is a custom metric's (declaration or second). */
export function isCustomMetricLine(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.hasOwn(raw, 'metric');
}

/**
 * A custom metric's line (declaration or second) checked against the one schema above, the
 * histogram left encoded; throws METRICS_BAD_LINE naming `where` and every problem.
 */
export function readCustomLine(raw: Record<string, unknown>, where: string): { readonly kind: 'metric'; readonly metric: string; readonly declaration: MetricDeclaration } | { readonly kind: 'custom'; readonly line: CustomLine } {
  if (!Object.hasOwn(raw, 't')) {
    const parsed = declarationLine.safeParse(raw);
    if (!parsed.success) throw badLine(where, issuesOf(parsed.error));
    const { metric, type, unit, description } = parsed.data;
    return { kind: 'metric', metric, declaration: Object.freeze({ type, unit, description }) };
  }
  const parsed = customLine.safeParse(raw);
  if (!parsed.success) throw badLine(where, issuesOf(parsed.error));
  const d = parsed.data;
  const problems: string[] = [];
  if (d.tagsDropped !== undefined && Object.keys(d.tags).length > 0) problems.push('tagsDropped: only an untagged line ({} tags) holds samples that lost their tags');
  const base = { t: d.t, metric: d.metric, type: d.type, tags: d.tags, count: d.count, clamped: 0, tagsDropped: d.tagsDropped ?? 0 };
  let line: CustomLine;
  switch (d.type) {
    case 'counter':
      line = { ...base, sum: d.sum, min: 0, max: 0, value: 0, at: 0 };
      break;
    case 'gauge':
      line = { ...base, sum: 0, min: d.min, max: d.max, value: d.value, at: d.at };
      break;
    case 'rate':
      if (d.passes > d.count) problems.push(`passes: ${d.passes} is more than count (${d.count})`);
      line = { ...base, sum: d.passes, min: 0, max: 0, value: 0, at: 0 };
      break;
    case 'trend':
      line = { ...base, sum: d.sum, min: d.min, max: d.max, value: 0, at: 0, clamped: d.clamped, hdr: d.hdr };
      break;
  }
  if (problems.length > 0) throw badLine(where, problems);
  return { kind: 'custom', line };
}

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
  if (isCustomMetricLine(raw)) {
    const read = readCustomLine(raw, where);
    if (read.kind === 'metric') return read;
    const { t, hdr, ...values } = read.line;
    if (hdr === undefined) return { kind: 'custom', t, cell: values };
    let histogram: LatencyHistogram;
    try {
      histogram = decodeHistogram(hdr, VALUE_LAYOUT);
    } catch (err) {
      throw badLine(where, [`hdr: ${err instanceof Error ? err.message : String(err)}`]);
    }
    if (histogram.totalCount !== values.count) throw badLine(where, [`hdr: holds ${histogram.totalCount} values, but count says ${values.count}`]);
    return { kind: 'custom', t, cell: { ...values, histogram } };
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
