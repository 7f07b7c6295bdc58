import { CodestormError } from '../errors.js';
import { createHistogram, decodeHistogram, encodeHistogram, mergeInto, percentileMs, recordValue, VALUE_LAYOUT, type LatencyHistogram } from './histogram.js';
import type { CustomMetrics, MetricDeclarations, MetricKind, MetricTags } from './journey.js';

/**
 * Custom metrics in a worker thread and on their way to the main thread. A journey records through
 * a CustomRecorder (one per worker, for the whole run), which resolves (metric, tag set) to a
 * Series once and hands samples to the second they fall in; a CustomSecond keeps one cell per
 * series that had samples, nothing per sample: counters a sum, rates passes of a count, gauges the
 * latest value (by time) with min and max, trends count, sum, min, max and an HDR histogram
 * (VALUE_LAYOUT, src/engine/histogram.ts) so that percentiles merge exactly across workers.
 *
 * Tags are bounded: a metric keeps at most MAX_TAG_SETS distinct tag sets per worker over the run.
 * A sample with a tag set beyond that is recorded without its tags (in the metric's untagged
 * series, so the metric's totals stay exact) and counted in that cell's `tagsDropped`: a journey
 * that tags by resident id gets its totals and a count of what lost its tags, not a memory blow-up.
 */
export const MAX_TAG_SETS = 64;
export const MAX_TAGS = 8;
export const MAX_TAG_VALUE = 128;
const TAG_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export interface Series {
  /** Index into a second's cells; the overflow series shares its metric's untagged id. */
  readonly id: number;
  readonly metric: string;
  readonly type: MetricKind;
  /** Keys in code-unit order, frozen. */
  readonly tags: MetricTags;
  readonly size: number;
  /** Samples through this series lost their tags (the tag-set cap). */
  readonly dropsTags: boolean;
}

interface MetricEntry {
  readonly type: MetricKind;
  readonly untagged: Series;
  readonly overflow: Series;
  readonly byHash: Map<number, Series[]>;
  tagSets: number;
}

/** A journey's misuse of the API: the run stops with this message (see CustomRecorder). */
export class MetricMisuse extends CodestormError {
  constructor(message: string) {
    super('METRIC_USE_INVALID', message);
  }
}

/**
 * The `ctx.metrics` of one worker. `sink` receives each valid sample with its series; a misuse
 * (an undeclared name, the wrong kind, a value that is not a finite number, a bad tag) calls
 * `misuse` once with a message naming the module and the metric, then throws MetricMisuse into
 * the journey on every misuse.
 */
export class CustomRecorder {
  readonly metrics: CustomMetrics;
  readonly #declared: MetricDeclarations;
  readonly #module: string;
  readonly #entries = new Map<string, MetricEntry>();
  #nextId = 0;
  #failed = false;

  constructor(
    declared: MetricDeclarations,
    module: string,
    sink: (series: Series, value: number) => void,
    readonly misuse: (message: string) => void,
  ) {
    this.#declared = declared;
    this.#module = module;
    // Closures, not methods: a journey may destructure ctx.metrics.
    this.metrics = Object.freeze({
      counter: (name: string, value: number = 1, tags?: MetricTags) => {
        const series = this.#resolve(name, 'counter', tags);
        if (!(typeof value === 'number' && value >= 0 && value < Infinity)) this.#fail(`metric "${name}": counter() adds a finite number >= 0, got ${describe(value)}`);
        sink(series, value);
      },
      gauge: (name: string, value: number, tags?: MetricTags) => {
        const series = this.#resolve(name, 'gauge', tags);
        if (!(typeof value === 'number' && Number.isFinite(value))) this.#fail(`metric "${name}": gauge() takes a finite number, got ${describe(value)}`);
        sink(series, value);
      },
      rate: (name: string, value: boolean | number, tags?: MetricTags) => {
        const series = this.#resolve(name, 'rate', tags);
        if (typeof value === 'boolean') sink(series, value ? 1 : 0);
        else if (typeof value === 'number' && !Number.isNaN(value)) sink(series, value !== 0 ? 1 : 0);
        else this.#fail(`metric "${name}": rate() takes true/false or a number, got ${describe(value)}`);
      },
      trend: (name: string, value: number, tags?: MetricTags) => {
        const series = this.#resolve(name, 'trend', tags);
        if (!(typeof value === 'number' && Number.isFinite(value))) this.#fail(`metric "${name}": trend() takes a finite number, got ${describe(value)}`);
        sink(series, value);
      },
    });
  }

  /** Hot path: a Map lookup by name, and for tags a hash over the pairs; allocates only for a new series. */
  #resolve(name: string, kind: MetricKind, tags: MetricTags | undefined): Series {
    let entry = this.#entries.get(name);
    if (entry === undefined) entry = this.#declare(name);
    if (entry.type !== kind) this.#fail(`metric "${name}" is declared a ${entry.type}, but was recorded with ${kind}()`);
    if (tags === undefined || tags === null) return entry.untagged;
    let hash = 0;
    let size = 0;
    for (const k in tags) {
      const v = tags[k];
      if (typeof v !== 'string') this.#fail(`metric "${name}": tag "${k}" must be a string, got ${describe(v)}`);
      hash = (hash + pairHash(k, v as string)) | 0;
      size++;
    }
    if (size === 0) return entry.untagged;
    const bucket = entry.byHash.get(hash);
    if (bucket !== undefined) {
      for (const s of bucket) if (s.size === size && sameTags(s.tags, tags)) return s;
    }
    if (entry.tagSets >= MAX_TAG_SETS) return entry.overflow;
    return this.#addTagSet(name, entry, tags, size, hash);
  }

  #declare(name: string): MetricEntry {
    const d = Object.hasOwn(this.#declared, name) ? this.#declared[name] : undefined;
    if (d === undefined) {
      const names = Object.keys(this.#declared);
      this.#fail(`metric "${name}" is not declared (${names.length === 0 ? 'the module exports no metrics' : `declared: ${names.join(', ')}`})`);
    }
    const id = this.#nextId++;
    const untagged: Series = Object.freeze({ id, metric: name, type: d.type, tags: Object.freeze({}), size: 0, dropsTags: false });
    const overflow: Series = Object.freeze({ ...untagged, dropsTags: true });
    const entry: MetricEntry = { type: d.type, untagged, overflow, byHash: new Map(), tagSets: 0 };
    this.#entries.set(name, entry);
    return entry;
  }

  #addTagSet(name: string, entry: MetricEntry, tags: MetricTags, size: number, hash: number): Series {
    if (size > MAX_TAGS) this.#fail(`metric "${name}": at most ${MAX_TAGS} tags a sample, got ${size}`);
    const keys = Object.keys(tags).sort(compareCodeUnits);
    for (const k of keys) {
      if (!TAG_KEY.test(k)) this.#fail(`metric "${name}": tag key "${k}" must be a letter or _, then letters, digits, _ . - (at most 64)`);
      if ((tags[k] ?? '').length > MAX_TAG_VALUE) this.#fail(`metric "${name}": tag "${k}" is longer than ${MAX_TAG_VALUE} characters`);
    }
    const copy = Object.freeze(Object.fromEntries(keys.map((k) => [k, tags[k] ?? ''])));
    const series: Series = Object.freeze({ id: this.#nextId++, metric: name, type: entry.type, tags: copy, size, dropsTags: false });
    const bucket = entry.byHash.get(hash);
    if (bucket === undefined) entry.byHash.set(hash, [series]);
    else bucket.push(series);
    entry.tagSets++;
    return series;
  }

  #fail(problem: string): never {
    const message = `${this.#module}: ${problem}`;
    if (!this.#failed) {
      this.#failed = true;
      this.misuse(message);
    }
    throw new MetricMisuse(message);
  }
}

/** Order-independent over pairs (summed), so {a, b} and {b, a} land in the same bucket. */
function pairHash(k: string, v: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x3d, 0x01000193);
  for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
  return h;
}

function sameTags(a: MetricTags, b: MetricTags): boolean {
  for (const k in b) if (!Object.hasOwn(a, k) || a[k] !== b[k]) return false;
  return true;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? 'an object' : String(v);
}

export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One (metric, tag set)'s samples in one second (or, merged, in a run). The fields mean, by type:
 *   count   samples recorded (every type)
 *   sum     counter: the total added; rate: the samples that passed; trend: the sum of values
 *   min/max gauge and trend: the extremes (0 for counters and rates)
 *   value   gauge: the latest value, recorded at `at` (ms from the run's second 0)
 *   clamped trend: values out of the histogram's range (recorded at its edge)
 *   tagsDropped samples recorded here without their tags (MAX_TAG_SETS)
 */
export interface CustomValues {
  readonly metric: string;
  readonly type: MetricKind;
  readonly tags: MetricTags;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly value: number;
  readonly at: number;
  readonly clamped: number;
  readonly tagsDropped: number;
}

/** Plain data across the thread boundary; `hdr` is a trend's encoded histogram. */
export interface WireCustom extends CustomValues {
  readonly hdr?: string;
}

/** After the merge: a trend's histogram decoded. */
export interface MergedCustom extends CustomValues {
  readonly histogram?: LatencyHistogram;
}

class Cell {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  value = 0;
  at = -Infinity;
  clamped = 0;
  tagsDropped = 0;
  readonly histogram: LatencyHistogram | undefined;
  constructor(readonly series: Series) {
    this.histogram = series.type === 'trend' ? createHistogram(VALUE_LAYOUT) : undefined;
  }
}

/** The custom metrics of one second in one worker. */
export class CustomSecond {
  readonly #cells: (Cell | undefined)[] = [];
  readonly #order: Cell[] = [];

  /** Hot path: after a series' first sample in this second, allocates nothing. */
  add(series: Series, value: number, atMs: number): void {
    let cell = this.#cells[series.id];
    if (cell === undefined) {
      cell = new Cell(series);
      this.#cells[series.id] = cell;
      this.#order.push(cell);
    }
    cell.count++;
    if (series.dropsTags) cell.tagsDropped++;
    switch (series.type) {
      case 'counter':
      case 'rate':
        cell.sum += value;
        return;
      case 'gauge':
        if (atMs >= cell.at) {
          cell.value = value;
          cell.at = atMs;
        }
        break;
      case 'trend':
        cell.sum += value;
        if (recordValue(cell.histogram!, value)) cell.clamped++;
        break;
    }
    if (value < cell.min) cell.min = value;
    if (value > cell.max) cell.max = value;
  }

  toWire(): WireCustom[] {
    return this.#order.map((c) => {
      const s = c.series;
      const base: WireCustom = {
        metric: s.metric,
        type: s.type,
        tags: s.tags,
        count: c.count,
        sum: c.sum,
        min: c.count === 0 || s.type === 'counter' || s.type === 'rate' ? 0 : c.min,
        max: c.count === 0 || s.type === 'counter' || s.type === 'rate' ? 0 : c.max,
        value: s.type === 'gauge' ? c.value : 0,
        at: s.type === 'gauge' ? c.at : 0,
        clamped: c.clamped,
        tagsDropped: c.tagsDropped,
      };
      return c.histogram === undefined ? base : { ...base, hdr: encodeHistogram(c.histogram) };
    });
  }
}

/** "metric\0{sorted tags JSON}": one series across workers and seconds. */
export function seriesKey(metric: string, tags: MetricTags): string {
  const keys = Object.keys(tags);
  if (keys.length === 0) return `${metric}\u0000`;
  return `${metric}\u0000${JSON.stringify(Object.fromEntries(keys.sort(compareCodeUnits).map((k) => [k, tags[k]])))}`;
}

/** Mutable accumulator: one series summed over workers (or seconds). */
export interface CustomAccumulator {
  metric: string;
  type: MetricKind;
  tags: MetricTags;
  count: number;
  sum: number;
  min: number;
  max: number;
  value: number;
  at: number;
  clamped: number;
  tagsDropped: number;
  histogram?: LatencyHistogram;
}

export function newAccumulator(c: Pick<CustomValues, 'metric' | 'type' | 'tags'>): CustomAccumulator {
  return { metric: c.metric, type: c.type, tags: c.tags, count: 0, sum: 0, min: Infinity, max: -Infinity, value: 0, at: -Infinity, clamped: 0, tagsDropped: 0 };
}

/**
 * Adds one cell into an accumulator, exactly: sums add, extremes widen, a gauge keeps the value
 * with the latest `at` (a tie keeps the one added last), histograms merge bucket by bucket.
 * `histogram` is taken over as the accumulator's own when it has none yet.
 */
export function accumulate(acc: CustomAccumulator, c: CustomValues, histogram?: LatencyHistogram): void {
  if (c.count === 0) return;
  acc.count += c.count;
  acc.sum += c.sum;
  acc.clamped += c.clamped;
  acc.tagsDropped += c.tagsDropped;
  if (c.type === 'gauge' || c.type === 'trend') {
    if (c.min < acc.min) acc.min = c.min;
    if (c.max > acc.max) acc.max = c.max;
  }
  if (c.type === 'gauge' && c.at >= acc.at) {
    acc.value = c.value;
    acc.at = c.at;
  }
  if (histogram !== undefined) {
    if (acc.histogram === undefined) acc.histogram = histogram;
    else mergeInto(acc.histogram, histogram);
  }
}

/** Adds up several workers' custom cells of one second, ordered by metric, then tag set. */
export function mergeCustom(lists: readonly (readonly WireCustom[])[]): MergedCustom[] {
  const byKey = new Map<string, CustomAccumulator>();
  for (const list of lists) {
    for (const c of list) {
      const key = seriesKey(c.metric, c.tags);
      let acc = byKey.get(key);
      if (acc === undefined) {
        acc = newAccumulator(c);
        byKey.set(key, acc);
      } else if (acc.type !== c.type) {
        throw new Error(`metric ${c.metric} came as a ${acc.type} and as a ${c.type}`);
      }
      accumulate(acc, c, c.hdr === undefined ? undefined : decodeHistogram(c.hdr, VALUE_LAYOUT));
    }
  }
  return [...byKey.keys()].sort(compareCodeUnits).map((k) => frozenCell(byKey.get(k)!));
}

/** An accumulator as a plain cell: empty extremes read 0, as they are written. */
export function frozenCell(acc: CustomAccumulator): MergedCustom {
  const empty = acc.count === 0 || acc.type === 'counter' || acc.type === 'rate';
  const cell: MergedCustom = {
    metric: acc.metric,
    type: acc.type,
    tags: acc.tags,
    count: acc.count,
    sum: acc.sum,
    min: empty ? 0 : acc.min,
    max: empty ? 0 : acc.max,
    value: acc.type === 'gauge' ? acc.value : 0,
    at: acc.type === 'gauge' && acc.count > 0 ? acc.at : 0,
    clamped: acc.clamped,
    tagsDropped: acc.tagsDropped,
  };
  if (acc.type === 'trend') return { ...cell, histogram: acc.histogram ?? createHistogram(VALUE_LAYOUT) };
  return cell;
}

/** A trend's percentile in its unit (the histogram holds thousandths); `percent` as k6's p(N). */
export function trendPercentile(h: LatencyHistogram, percent: number): number {
  return percentileMs(h, percent);
}

/**
 * A percentile read from a histogram is the top of its bucket, which can pass the exact extremes
 * (by up to 0.1 %: 30 s of a time of day at 09:00); it is held inside [min, max], which are exact.
 */
export function withinExtremes(percentile: (p: number) => number, min: number, max: number): (p: number) => number {
  return (p) => Math.min(max, Math.max(min, percentile(p)));
}

/**
 * The values k6's handleSummary gives a metric of this type, from an accumulated series:
 * counter {count, rate}, gauge {value, min, max}, rate {rate, passes, fails}, trend {avg, min,
 * med, max, p(90), p(95), p(99)}. `seconds` is what a counter's rate is per. No samples: a
 * counter counts 0, the others are null.
 */
export type K6Values = Readonly<Record<string, number | null>>;

export function k6Values(c: CustomValues, percentile: ((p: number) => number) | undefined, seconds: number): K6Values {
  const none = c.count === 0;
  switch (c.type) {
    case 'counter':
      return { count: c.sum, rate: seconds > 0 ? c.sum / seconds : 0 };
    case 'gauge':
      return none ? { value: null, min: null, max: null } : { value: c.value, min: c.min, max: c.max };
    case 'rate':
      return none ? { rate: null, passes: 0, fails: 0 } : { rate: c.sum / c.count, passes: c.sum, fails: c.count - c.sum };
    case 'trend': {
      if (none || percentile === undefined) return { avg: null, min: null, med: null, max: null, 'p(90)': null, 'p(95)': null, 'p(99)': null };
      percentile = withinExtremes(percentile, c.min, c.max);
      return { avg: c.sum / c.count, min: c.min, med: percentile(50), max: c.max, 'p(90)': percentile(90), 'p(95)': percentile(95), 'p(99)': percentile(99) };
    }
  }
}

/** Whether a series' tags include every pair of a threshold's filter. */
export function tagsInclude(tags: MetricTags, filter: Readonly<Record<string, string>>): boolean {
  for (const k in filter) if (!Object.hasOwn(tags, k) || tags[k] !== filter[k]) return false;
  return true;
}
