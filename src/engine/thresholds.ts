/**
 * Thresholds: k6's pass/fail criteria, parsed before the run (threshold/grammar.ts, which writes
 * the grammar down) and evaluated against a MetricSource during and after it (threshold/evaluate.ts).
 */
export { evaluate } from './threshold/evaluate.js';
export { parseThresholds } from './threshold/grammar.js';
export {
  CHECKED_AFTER_RUN,
  METRIC_TYPES,
  type Aggregation,
  type CounterAggregate,
  type CustomMetricsInScope,
  type GaugeAggregate,
  type MetricName,
  type MetricSource,
  type MetricType,
  type Operator,
  type RateAggregate,
  type Tags,
  type Threshold,
  type ThresholdResult,
  type ThresholdSet,
  type TrendAggregate,
} from './threshold/types.js';
