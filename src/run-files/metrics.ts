import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { z } from 'zod';
import { compareCodeUnits, trendPercentile, withinExtremes, type MergedCustom } from '../engine/custom-metrics.js';
import { createLatencyHistogram, encodeHistogram, mergeInto, summarize, type LatencyHistogram } from '../engine/histogram.js';
import type { MetricDeclarations, MetricKind, MetricUnit } from '../engine/journey.js';
import { METRIC_KINDS, METRIC_NAME, METRIC_UNITS, containsOf, unitOf } from '../engine/metric-declarations.js';
import { OUTCOMES, TOTALS_NAME, type MergedRequest, type MergedSecond, type Outcome, type SecondSink } from '../engine/second.js';

export { OUTCOMES, TOTALS_NAME, type Outcome };

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
 *   sendLag      (totals line, when any request was written in the second) summary in ms of
 *                `sendLagHdr`, the same shape as `latency`
 *   sendLagHdr   an HDR histogram (µs) of every request's send lag: from when it was due (its
 *                arrival, or its journey's previous answer or think time) to its write, so the
 *                generator's own delay, any wait for a free socket and a new socket's connect
 *   arrivalLagMaxMs (totals line, open model, when an arrival was late) the most, in ms, that the
 *                generator handed an arrival of the second on after its scheduled time: its own
 *                loop behind the schedule, without any wait for a socket
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


/**
 * The one schema of metrics.ndjson: a line is one of these four kinds, told apart by its keys
 * (lineKindOf), each a strict object so an unknown key is an error. The readers
 * (metrics-read.ts) check lines against it; the writer below writes nothing else.
 */
const whole = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const outcomeKey = z.enum(OUTCOMES);

const latencySummary = z.strictObject({ count: whole, min: ms, max: ms, mean: ms, p50: ms, p90: ms, p95: ms, p99: ms, p999: ms });

const totalsLine = z.strictObject({
  t: whole,
  name: z.literal(TOTALS_NAME),
  offered: whole,
  started: whole,
  dropped: whole,
  iterations: whole,
  inFlightMax: whole,
  // Written since send lag was measured; older files have neither.
  sendLag: latencySummary.optional(),
  sendLagHdr: z.string().optional(),
  // Written since arrival lag was measured, when an arrival of the second was late.
  arrivalLagMaxMs: ms.optional(),
});

const requestLine = z.strictObject({
  t: whole,
  name: z.string().min(1),
  clamped: whole,
  counts: z.partialRecord(outcomeKey, whole),
  latency: latencySummary,
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

export const METRICS_LINE = Object.freeze({ totals: totalsLine, request: requestLine, declaration: declarationLine, custom: customLine });

/** Which of METRICS_LINE a parsed line claims to be. */
export function lineKindOf(raw: Record<string, unknown>): keyof typeof METRICS_LINE {
  if (Object.hasOwn(raw, 'metric')) return Object.hasOwn(raw, 't') ? 'custom' : 'declaration';
  return raw['name'] === TOTALS_NAME ? 'totals' : 'request';
}

/**
 * metrics.ndjson's one writer, the engine's SecondSink. The file exists from the start (a run
 * that fails early is still a run directory); the stream opens at the first line.
 */
export class MetricsWriter implements SecondSink {
  readonly #file: string;
  #out: WriteStream | undefined;

  /** Creates (or empties) the file. */
  constructor(file: string) {
    this.#file = file;
    writeFileSync(file, '');
  }

  declare(declared: MetricDeclarations): void {
    this.#write(declarationLines(declared));
  }

  second(merged: MergedSecond): void {
    this.#write(toNdjsonLine(merged));
  }

  async close(): Promise<void> {
    const out = this.#out;
    if (out === undefined) return;
    out.end();
    await once(out, 'finish');
  }

  #write(text: string): void {
    if (text === '') return;
    this.#out ??= createWriteStream(this.#file, { flags: 'a' });
    this.#out.write(text);
  }
}

/** The declaration lines that open metrics.ndjson when journeys declare custom metrics. */
export function declarationLines(declared: MetricDeclarations): string {
  let out = '';
  for (const metric of Object.keys(declared).sort(compareCodeUnits)) {
    const d = declared[metric]!;
    out += JSON.stringify({ metric, type: d.type, contains: containsOf(d), unit: unitOf(d), description: d.description }) + '\n';
  }
  return out;
}

/** The lines for one merged second, each ending in "\n", ready to append to metrics.ndjson. */
export function toNdjsonLine(merged: MergedSecond): string {
  const { t, offered, started, dropped, iterations, inFlightMax, arrivalLagMaxMs } = merged;
  const lag = merged.sendLag === undefined ? {} : { sendLag: summarize(merged.sendLag), sendLagHdr: encodeHistogram(merged.sendLag) };
  const arrivalLag = arrivalLagMaxMs === undefined ? {} : { arrivalLagMaxMs };
  let out = JSON.stringify({ t, name: TOTALS_NAME, offered, started, dropped, iterations, inFlightMax, ...lag, ...arrivalLag }) + '\n';
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

function allOutcomes(request: MergedRequest): LatencyHistogram {
  const cells = [...request.outcomes.values()];
  if (cells.length === 1 && cells[0] !== undefined) return cells[0].latency;
  const all = createLatencyHistogram();
  for (const cell of cells) mergeInto(all, cell.latency);
  return all;
}
