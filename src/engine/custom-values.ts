import { createHistogram, decodeHistogram, mergeInto, VALUE_LAYOUT, type LatencyHistogram } from './histogram.js';
import type { MetricKind, MetricTags } from './journey.js';

/**
 * One custom series' values as they cross the thread boundary and as they add up: across
 * workers for one second, and across seconds for the run. Adding is exact (sums add, extremes
 * widen, histograms merge bucket by bucket), so any grouping gives the same totals.
 */

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

export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
