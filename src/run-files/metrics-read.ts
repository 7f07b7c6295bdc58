import type { z } from 'zod';
import type { MergedCustom } from '../engine/custom-metrics.js';
import { decodeHistogram, VALUE_LAYOUT, type LatencyHistogram, type LatencySummary } from '../engine/histogram.js';
import type { MetricDeclaration, MetricDeclarations } from '../engine/journey.js';
import type { MergedCell, MergedRequest, SecondTotals } from '../engine/second.js';
import { badLine, jsonObject, LineTail, numberedLines, parseWith, type NumberedLine } from './lines.js';
import { lineKindOf, METRICS_LINE, OUTCOMES, type Outcome } from './metrics.js';

/**
 * metrics.ndjson read back through its one schema (METRICS_LINE in metrics.ts). readMetrics
 * reads a whole file for the analysis, histograms left encoded until one is asked for;
 * parseNdjsonLine reads one line with its histograms decoded and checked against the counts.
 * Every problem is a METRICS_LINE_INVALID error (exit 2) naming "FILE:LINE: field".
 */
const CODE = 'METRICS_LINE_INVALID';

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

export interface RequestSecond {
  readonly name: string;
  readonly counts: Readonly<Partial<Record<Outcome, number>>>;
  readonly total: number;
  readonly ok: number;
  readonly latency: LatencySummary;
  /** Encoded HDR histograms of latency, per outcome. */
  readonly hdr: Readonly<Partial<Record<Outcome, string>>>;
}

export interface RunSecond extends SecondTotals {
  readonly requests: readonly RequestSecond[];
  /** Custom metrics' lines of this second (histograms encoded), in file order. */
  readonly custom: readonly CustomLine[];
}

export interface MetricsFile {
  /** Every second from 0 to the last one written, empty seconds included. */
  readonly seconds: readonly RunSecond[];
  /** Request names, sorted. */
  readonly names: readonly string[];
  /** The custom metrics the file declares (none for a run without them). */
  readonly metrics: MetricDeclarations;
}

type RequestLine = z.output<typeof METRICS_LINE.request>;
type Checked =
  | { readonly kind: 'totals'; readonly totals: SecondTotals }
  | { readonly kind: 'request'; readonly line: RequestLine }
  | { readonly kind: 'metric'; readonly metric: string; readonly declaration: MetricDeclaration }
  | { readonly kind: 'custom'; readonly line: CustomLine };

/** One line: JSON, then the schema of its kind, then what a schema cannot say. */
function checkLine(text: string, where: string): Checked {
  const raw = jsonObject(text, where, CODE);
  switch (lineKindOf(raw)) {
    case 'declaration': {
      const { metric, type, unit, description } = parseWith(METRICS_LINE.declaration, raw, where, CODE);
      return { kind: 'metric', metric, declaration: Object.freeze({ type, unit, description }) };
    }
    case 'custom':
      return { kind: 'custom', line: customOf(parseWith(METRICS_LINE.custom, raw, where, CODE), where) };
    case 'totals': {
      const { t, offered, started, dropped, iterations, inFlightMax, arrivalLagMaxMs } = parseWith(METRICS_LINE.totals, raw, where, CODE);
      return { kind: 'totals', totals: { t, offered, started, dropped, iterations, inFlightMax, ...(arrivalLagMaxMs === undefined ? {} : { arrivalLagMaxMs }) } };
    }
    case 'request':
      return { kind: 'request', line: parseWith(METRICS_LINE.request, raw, where, CODE) };
  }
}

function customOf(d: z.output<typeof METRICS_LINE.custom>, where: string): CustomLine {
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
  if (problems.length > 0) throw badLine(CODE, where, problems);
  return line;
}

/** Reads one line of metrics.ndjson back, histograms decoded and checked against the counts. */
export function parseNdjsonLine(text: string, where = 'metrics.ndjson'): NdjsonRecord {
  const checked = checkLine(text, where);
  switch (checked.kind) {
    case 'totals':
      return { kind: 'totals', ...checked.totals };
    case 'metric':
      return checked;
    case 'custom':
      return decodedCustom(checked.line, where);
    case 'request':
      return decodedRequest(checked.line, where);
  }
}

function decodedCustom(line: CustomLine, where: string): NdjsonRecord {
  const { t, hdr, ...values } = line;
  if (hdr === undefined) return { kind: 'custom', t, cell: values };
  let histogram: LatencyHistogram;
  try {
    histogram = decodeHistogram(hdr, VALUE_LAYOUT);
  } catch (err) {
    throw badLine(CODE, where, [`hdr: ${err instanceof Error ? err.message : String(err)}`]);
  }
  if (histogram.totalCount !== values.count) throw badLine(CODE, where, [`hdr: holds ${histogram.totalCount} values, but count says ${values.count}`]);
  return { kind: 'custom', t, cell: { ...values, histogram } };
}

function decodedRequest(line: RequestLine, where: string): NdjsonRecord {
  const { t, name, clamped, counts, latency, hdr, serviceHdr } = line;
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
  if (problems.length > 0) throw badLine(CODE, where, problems);
  return { kind: 'request', t, name, clamped, latency, outcomes };
}

/** Decodes one histogram of a request line, checking it agrees with counts[outcome]. */
function decodeField(encoded: string | undefined, field: string, count: number | undefined, problems: string[]): LatencyHistogram | undefined {
  if (!presentAsCounted(encoded, field, count, problems)) return undefined;
  let h: LatencyHistogram;
  try {
    h = decodeHistogram(encoded!);
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

/** A histogram is there exactly for the outcomes `counts` has; false when absent or a problem. */
function presentAsCounted(encoded: string | undefined, field: string, count: number | undefined, problems: string[]): boolean {
  if (encoded === undefined) {
    if (count !== undefined) problems.push(`${field}: missing, but counts has this outcome`);
    return false;
  }
  if (count === undefined) {
    problems.push(`${field}: present, but counts has no such outcome`);
    return false;
  }
  return true;
}

interface SecondAcc {
  totals?: Omit<SecondTotals, 't'>;
  readonly requests: RequestSecond[];
  readonly custom: CustomLine[];
}

/**
 * metrics.ndjson's lines grouped into seconds as they come: readMetrics gives it the whole file,
 * MetricsTail the lines of a file still being written. Seconds are taken in order, from 0, the
 * seconds without a line included.
 */
class SecondsAssembler {
  readonly names = new Set<string>();
  readonly metrics: Record<string, MetricDeclaration> = {};
  readonly #byT = new Map<number, SecondAcc>();
  /** The first second not taken yet. */
  #next = 0;
  /** The highest second any line has named; -1 before the first. */
  last = -1;

  add({ text, where }: NumberedLine): void {
    const checked = checkLine(text, where);
    if (checked.kind === 'metric') {
      this.metrics[checked.metric] = checked.declaration;
      return;
    }
    const t = checked.kind === 'totals' ? checked.totals.t : checked.line.t;
    if (t < this.#next) throw badLine(CODE, where, [`t: second ${t} was complete already (a later second's lines came before this one)`]);
    this.last = Math.max(this.last, t);
    const at = this.#byT.get(t) ?? this.#byT.set(t, { requests: [], custom: [] }).get(t)!;
    if (checked.kind === 'custom') {
      at.custom.push(declaredCustom(checked.line, this.metrics, where));
    } else if (checked.kind === 'totals') {
      const { t: _, ...totals } = checked.totals;
      at.totals = totals;
    } else {
      this.names.add(checked.line.name);
      at.requests.push(requestSecondOf(checked.line, where));
    }
  }

  /** Every second from the first not taken through `through`, the seconds without a line included. */
  take(through: number): RunSecond[] {
    const out: RunSecond[] = [];
    for (; this.#next <= through; this.#next++) {
      const acc = this.#byT.get(this.#next);
      this.#byT.delete(this.#next);
      out.push({ t: this.#next, ...(acc?.totals ?? NO_TOTALS), requests: acc?.requests ?? [], custom: acc?.custom ?? [] });
    }
    return out;
  }
}

const NO_TOTALS: Omit<SecondTotals, 't'> = { offered: 0, started: 0, dropped: 0, iterations: 0, inFlightMax: 0 };

/** The whole of metrics.ndjson, every line checked, histograms left encoded. */
export function readMetrics(file: string): MetricsFile {
  const seconds = new SecondsAssembler();
  for (const line of numberedLines(file)) seconds.add(line);
  return { seconds: seconds.take(seconds.last), names: [...seconds.names].sort(), metrics: Object.freeze({ ...seconds.metrics }) };
}

/**
 * metrics.ndjson while the run writes it: each read() returns the seconds completed since the
 * last. A second is complete once a later second's line has come, or, for the latest one, once
 * the file has been quiet for a whole read (MetricsWriter writes each second's lines in one
 * write), or at the end (`final`).
 */
export class MetricsTail {
  readonly #lines: LineTail;
  readonly #seconds = new SecondsAssembler();

  constructor(file: string) {
    this.#lines = new LineTail(file);
  }

  /** Request names so far, sorted. */
  get names(): string[] {
    return [...this.#seconds.names].sort();
  }

  /** The custom metrics declared so far. */
  get metrics(): MetricDeclarations {
    return this.#seconds.metrics;
  }

  read(final = false): RunSecond[] {
    const lines = this.#lines.read();
    for (const line of lines) this.#seconds.add(line);
    const quiet = lines.length === 0 && this.#lines.settled;
    return this.#seconds.take(final || quiet ? this.#seconds.last : this.#seconds.last - 1);
  }
}

function declaredCustom(line: CustomLine, metrics: Readonly<Record<string, MetricDeclaration>>, where: string): CustomLine {
  const declared = Object.hasOwn(metrics, line.metric) ? metrics[line.metric] : undefined;
  if (declared === undefined) throw badLine(CODE, where, [`metric: "${line.metric}" is not declared earlier in the file`]);
  if (declared.type !== line.type) throw badLine(CODE, where, [`type: "${line.metric}" is declared a ${declared.type}`]);
  return line;
}

function requestSecondOf(line: RequestLine, where: string): RequestSecond {
  const problems: string[] = [];
  let total = 0;
  for (const outcome of OUTCOMES) {
    const count = line.counts[outcome];
    presentAsCounted(line.hdr[outcome], `hdr.${outcome}`, count, problems);
    presentAsCounted(line.serviceHdr[outcome], `serviceHdr.${outcome}`, count, problems);
    total += count ?? 0;
  }
  if (problems.length > 0) throw badLine(CODE, where, problems);
  return { name: line.name, counts: line.counts, total, ok: line.counts.ok ?? 0, latency: line.latency, hdr: line.hdr };
}
