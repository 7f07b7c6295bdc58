import { parseDuration } from '../engine/executors/duration.js';
import { parseThresholds, type CustomMetricsInScope, type ThresholdSet } from '../engine/thresholds.js';
import { CodestormError, invalidFields, fieldProblemsOf, type FieldProblem } from '../errors.js';

/**
 * A scenario's `slo`: what "failing" means for the analysis, in threshold syntax, judged over a
 * sliding window of seconds rather than over the whole run:
 *
 *   slo:
 *     window: 10s            # each judgement covers the last 10 s (default 10s)
 *     sustain: 5s            # a violation counts once it has lasted this long (default 5s)
 *     metastableAfter: 30s   # the trigger gone this long and still failing: metastable (default 30s)
 *     http_req_duration: ["p(99)<1000"]
 *     http_req_failed: ["rate<0.05"]
 *
 * Without an `slo`, the analysis judges by DEFAULT_SLO and says so.
 */
export interface Slo {
  readonly windowS: number;
  readonly sustainS: number;
  readonly metastableAfterS: number;
  readonly thresholds: ThresholdSet;
  readonly source: 'scenario' | 'default';
}

const SETTINGS = ['window', 'sustain', 'metastableAfter'] as const;
export const DEFAULT_SLO_TEXT = { http_req_duration: ['p(99)<1000'], http_req_failed: ['rate<0.05'] } as const;

/** `custom`: the journeys' custom metrics, which an SLO may name as thresholds do. */
export function parseSlo(raw: unknown, where = 'slo', custom?: CustomMetricsInScope): Slo {
  if (raw === undefined) {
    return { windowS: 10, sustainS: 5, metastableAfterS: 30, thresholds: parseThresholds(DEFAULT_SLO_TEXT, where), source: 'default' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalidFields('SLO_INVALID', [{ path: where, message: 'expected a map: window, sustain, metastableAfter and metrics in threshold syntax' }]);
  }
  const problems: FieldProblem[] = [];
  const seconds = (key: (typeof SETTINGS)[number], fallback: number): number => {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) return fallback;
    try {
      const ms = parseDuration(value as string | number, `${where}.${key}`);
      if (ms < 1_000 || ms % 1_000 !== 0) {
        problems.push({ path: `${where}.${key}`, message: `expected whole seconds of at least 1s, got ${JSON.stringify(value)}` });
        return fallback;
      }
      return ms / 1_000;
    } catch (err) {
      if (!(err instanceof CodestormError)) throw err;
      problems.push(...fieldProblemsOf(err));
      return fallback;
    }
  };
  const windowS = seconds('window', 10);
  const sustainS = seconds('sustain', 5);
  const metastableAfterS = seconds('metastableAfter', 30);
  const metrics = Object.fromEntries(Object.entries(raw).filter(([k]) => !(SETTINGS as readonly string[]).includes(k)));
  let thresholds: ThresholdSet = [];
  try {
    thresholds = parseThresholds(metrics, where, custom);
    if (thresholds.length === 0) problems.push({ path: where, message: 'expected at least one metric, e.g. http_req_duration: ["p(99)<1000"]' });
  } catch (err) {
    if (!(err instanceof CodestormError)) throw err;
    problems.push(...fieldProblemsOf(err).filter((p) => p.path.startsWith(where)));
  }
  if (problems.length > 0) throw invalidFields('SLO_INVALID', problems);
  return { windowS, sustainS, metastableAfterS, thresholds, source: 'scenario' };
}
