import type { MetricSource, Operator, Threshold, ThresholdResult, ThresholdSet } from './types.js';

/** Each threshold against the aggregates so far; `elapsedMs` is time since the run started. */
export function evaluate(set: ThresholdSet, source: MetricSource, elapsedMs: number): ThresholdResult[] {
  return set.map((threshold) => {
    const value = observe(threshold, source);
    const ok = value === null || compare(value, threshold.op, threshold.value);
    const shouldAbort = !ok && threshold.abortOnFail && elapsedMs >= threshold.delayAbortEvalMs;
    return Object.freeze({ threshold, ok, value, shouldAbort });
  });
}

function observe(t: Threshold, source: MetricSource): number | null {
  const { aggregation: agg, tags } = t;
  switch (t.type) {
    case 'trend': {
      const trend = source.trend(t.metric, tags);
      if (trend === undefined || trend.count === 0) return null;
      switch (agg.kind) {
        case 'percentile':
          return trend.percentile(agg.p);
        case 'med':
          return trend.percentile(50);
        case 'avg':
        case 'min':
        case 'max':
          return trend[agg.kind];
        default:
          throw new Error(`aggregation ${agg.kind} on trend ${t.key} got past parsing`);
      }
    }
    case 'rate': {
      const rate = source.rate(t.metric, tags);
      if (rate === undefined || rate.total === 0) return null;
      return rate.passes / rate.total;
    }
    case 'counter': {
      const counter = source.counter(t.metric, tags) ?? { count: 0, perSecond: 0 };
      return agg.kind === 'rate' ? counter.perSecond : counter.count;
    }
    case 'gauge': {
      const gauge = source.gauge(t.metric, tags);
      if (gauge === undefined) return null;
      switch (agg.kind) {
        case 'value':
        case 'min':
        case 'max':
          return gauge[agg.kind];
        default:
          throw new Error(`aggregation ${agg.kind} on gauge ${t.key} got past parsing`);
      }
    }
  }
}

function compare(observed: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return observed < limit;
    case '<=':
      return observed <= limit;
    case '>':
      return observed > limit;
    case '>=':
      return observed >= limit;
    case '==':
    case '===':
      return observed === limit;
    case '!=':
      return observed !== limit;
  }
}
