import { AT_EXPECTED, isScenarioTime, parseDuration } from '../engine/executors/duration.js';
import { isRecord } from '../engine/executors/fields.js';
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
 *     goodput:               # goodput over named spans of the run (optional)
 *       within: 3s           # an ok answer counts when it came within this (default: every ok answer)
 *       windows:
 *         before: { from: "08:45", to: "09:00" }   # a time of day on a city clock, or "+30s"
 *         outage: { from: "09:00", to: "10:00" }
 *
 * Without an `slo`, the analysis judges by DEFAULT_SLO and says so. The goodput windows' times
 * are resolved to run seconds by the scenario's loader (src/scenario/load.ts), which knows the
 * clock; the analysis reads only `startS` and `endS`.
 */
export interface Slo {
  readonly windowS: number;
  readonly sustainS: number;
  readonly metastableAfterS: number;
  readonly thresholds: ThresholdSet;
  readonly source: 'scenario' | 'default';
  readonly goodput?: GoodputSpec;
}

/** `slo.goodput`: what counts as good (ok, and within `withinMs` when given) and over which spans. */
export interface GoodputSpec {
  readonly withinMs: number | null;
  readonly windows: readonly GoodputWindowSpec[];
}

export interface GoodputWindowSpec {
  readonly name: string;
  /** As written: "08:45" on a city clock, or "+30s" from the start (in the scenario's time). */
  readonly from: string;
  readonly to: string;
  /** Real seconds from the run's start, [startS, endS); set by the scenario's loader. */
  readonly startS?: number;
  readonly endS?: number;
}

const SETTINGS = ['window', 'sustain', 'metastableAfter', 'goodput'] as const;
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
  const seconds = (key: Exclude<(typeof SETTINGS)[number], 'goodput'>, fallback: number): number => {
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
  const goodput = parseGoodput((raw as Record<string, unknown>)['goodput'], `${where}.goodput`, problems);
  if (problems.length > 0) throw invalidFields('SLO_INVALID', problems);
  return { windowS, sustainS, metastableAfterS, thresholds, source: 'scenario', ...(goodput === undefined ? {} : { goodput }) };
}

function parseGoodput(raw: unknown, where: string, problems: FieldProblem[]): GoodputSpec | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    problems.push({ path: where, message: 'expected a map: within and windows' });
    return undefined;
  }
  for (const key of Object.keys(raw)) if (key !== 'within' && key !== 'windows') problems.push({ path: `${where}.${key}`, message: 'unknown field' });
  let withinMs: number | null = null;
  if (raw['within'] !== undefined) {
    try {
      withinMs = parseDuration(raw['within'] as string | number, `${where}.within`);
      if (withinMs <= 0) problems.push({ path: `${where}.within`, message: `expected a duration above 0, got ${JSON.stringify(raw['within'])}` });
    } catch (err) {
      if (!(err instanceof CodestormError)) throw err;
      problems.push(...fieldProblemsOf(err));
    }
  }
  const windows = raw['windows'];
  if (!isRecord(windows) || Object.keys(windows).length === 0) {
    problems.push({ path: `${where}.windows`, message: 'expected a map of named spans, e.g. before: { from: "08:45", to: "09:00" }' });
    return undefined;
  }
  const out: GoodputWindowSpec[] = [];
  for (const [name, w] of Object.entries(windows)) {
    const at = `${where}.windows.${name}`;
    if (!isRecord(w)) {
      problems.push({ path: at, message: 'expected { from, to }' });
      continue;
    }
    for (const key of Object.keys(w)) if (key !== 'from' && key !== 'to') problems.push({ path: `${at}.${key}`, message: 'unknown field' });
    const time = (key: 'from' | 'to'): string | undefined => {
      const v = w[key];
      if (typeof v === 'string' && isScenarioTime(v)) return v;
      problems.push({ path: `${at}.${key}`, message: `${AT_EXPECTED}, got ${JSON.stringify(v)}` });
      return undefined;
    };
    const from = time('from');
    const to = time('to');
    if (from !== undefined && to !== undefined) out.push({ name, from, to });
  }
  return { withinMs, windows: out };
}
