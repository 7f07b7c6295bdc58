import { importJourneyModule } from './journey-import.js';
import { z } from 'zod';
import { errorMessage, invalidInput } from '../errors.js';
import type { MetricDeclarations, MetricKind, MetricUnit } from './journey.js';

/**
 * A journey module's custom-metric declarations (`export const metrics`), checked once where the
 * module is first loaded: every problem reported together (METRICS_DECLARATION_INVALID, exit 2), the result
 * frozen. Names follow k6's rule and must not take a built-in metric's name, so that a threshold
 * key or a summary entry means one thing; k6's built-ins are reserved even where codestorm does
 * not measure them (vus, data_sent…), so a script moved between the two keeps its meaning.
 */
export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
export const METRIC_KINDS: readonly MetricKind[] = Object.freeze(['counter', 'gauge', 'rate', 'trend']);
export const METRIC_UNITS: readonly MetricUnit[] = Object.freeze(['count', 'ms', 'clock', '']);

export const BUILTIN_METRIC_NAMES: ReadonlySet<string> = new Set([
  'http_req_duration',
  'http_req_failed',
  'http_reqs',
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
  'iterations',
  'iteration_duration',
  'dropped_iterations',
  'vus',
  'vus_max',
  'data_sent',
  'data_received',
  'checks',
  'group_duration',
  // codestorm's own, judged after the run (src/check/).
  'correctness_violations',
]);

const declaration = z.strictObject({
  type: z.enum(METRIC_KINDS as [MetricKind, ...MetricKind[]]),
  description: z.string().trim().min(1, 'expected one line saying what the metric counts').max(200),
  unit: z.enum(METRIC_UNITS as [MetricUnit, ...MetricUnit[]]).optional(),
});

/** The unit a declaration reads in: its own, else 'count' for counters and rates, '' otherwise. */
export function unitOf(d: { readonly type: MetricKind; readonly unit?: MetricUnit | undefined }): MetricUnit {
  return d.unit ?? (d.type === 'counter' || d.type === 'rate' ? 'count' : '');
}

/** k6's `contains` for the summary: a trend of times is 'time' (k6's isTime). */
export function containsOf(d: { readonly type: MetricKind; readonly unit?: MetricUnit | undefined }): 'default' | 'time' {
  return unitOf(d) === 'ms' ? 'time' : 'default';
}

/** Checks `raw` (a module's `metrics` export; undefined means none) and returns it frozen. */
export function checkDeclarations(raw: unknown, where: string): MetricDeclarations {
  if (raw === undefined) return Object.freeze({});
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${where}: metrics: expected an object of metric name to { type, description, unit? }`);
  } else {
    for (const [name, value] of Object.entries(raw)) {
      const at = `${where}: metrics.${name}`;
      if (!METRIC_NAME.test(name)) problems.push(`${at}: a metric name is a letter or _, then letters, digits or _ (at most 128), as in k6`);
      else if (BUILTIN_METRIC_NAMES.has(name)) problems.push(`${at}: "${name}" is a built-in metric's name; choose another`);
      const parsed = declaration.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const field = issue.path.map(String).join('.');
          problems.push(`${at}${field === '' ? '' : `.${field}`}: ${issue.message}`);
        }
      }
    }
  }
  if (problems.length > 0) throw invalidInput('METRICS_DECLARATION_INVALID', problems.join('\n'));
  const out: Record<string, { type: MetricKind; description: string; unit: MetricUnit }> = {};
  for (const [name, value] of Object.entries(raw as Record<string, z.infer<typeof declaration>>)) {
    out[name] = Object.freeze({ type: value.type, description: value.description.trim(), unit: unitOf(value) });
  }
  return Object.freeze(out);
}

/**
 * Imports a journey module as the worker threads will, checks it exports `journeys()`, and returns
 * its checked declarations: so a bad module is invalid input before anything starts.
 */
export async function loadDeclarations(file: string): Promise<MetricDeclarations> {
  let mod: Record<string, unknown>;
  try {
    mod = await importJourneyModule(file);
  } catch (err) {
    throw invalidInput('JOURNEY_MODULE_INVALID', `${file}: cannot load the journey module (${errorMessage(err).split('\n')[0]})`);
  }
  if (typeof mod['journeys'] !== 'function') throw invalidInput('JOURNEY_MODULE_INVALID', `${file}: journeys: expected an exported journeys() function`);
  return checkDeclarations(mod['metrics'], file);
}
