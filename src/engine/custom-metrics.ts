/**
 * Custom metrics in a worker thread and on their way to the main thread, one concern a module:
 *   custom-recorder.ts  `ctx.metrics`: a journey's samples checked and resolved to a Series
 *   custom-second.ts    one second's cells in one worker, nothing kept per sample
 *   custom-values.ts    the cells as plain data across threads, and how they add up exactly
 *   custom-summary.ts   reading an accumulated series: percentiles, k6's summary values, tag filters
 * Importers outside the engine use this list.
 */
export { CustomRecorder, MAX_TAG_SETS, MAX_TAG_VALUE, MAX_TAGS, MetricMisuse, type Series } from './custom-recorder.js';
export { CustomSecond } from './custom-second.js';
export { k6Values, tagsInclude, trendPercentile, withinExtremes, type K6Values } from './custom-summary.js';
export {
  accumulate,
  compareCodeUnits,
  frozenCell,
  mergeCustom,
  newAccumulator,
  seriesKey,
  type CustomAccumulator,
  type CustomValues,
  type MergedCustom,
  type WireCustom,
} from './custom-values.js';
