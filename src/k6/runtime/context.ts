import { Faker, en } from '@faker-js/faker';
import type { CustomMetrics, JourneyContext, MetricTags, RequestOptions, StepResponse, WeightedJourney, WorkerIdentity } from '../../engine/journey.js';
import type { RequestSpec } from '../../engine/http/request-head.js';
import { outcomeOfStatus, type Outcome } from '../../engine/http/outcome.js';
import { journeyPicker } from '../../engine/journey.js';
import { createRandom } from '../../engine/random.js';

/**
 * The engine's JourneyContext on k6: what the exported script.js runs each journey with. It is
 * bundled into the script (so it must not need any node: module) and given k6's modules by the
 * script's entry (k6-entry.ts), which is the only code that imports them: here they are the few
 * calls this adapter makes, typed locally, so that it also runs under test/k6/k6-test-double.
 */
export interface K6Response {
  readonly status: number;
  readonly body: string | ArrayBuffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly error: string;
  readonly error_code: number;
}

export interface K6Http {
  asyncRequest(method: string, url: string, body: string | ArrayBuffer | null, params: Record<string, unknown>): Promise<K6Response>;
  expectedStatuses(...statuses: number[]): unknown;
}

/** One custom metric as k6/metrics makes it (Counter, Gauge, Rate, Trend all have add). */
export interface K6Metric {
  add(value: number | boolean, tags?: Record<string, string>): unknown;
}

export interface K6Api {
  readonly http: K6Http;
  setTimeout(callback: () => void, ms: number): unknown;
  /** Milliseconds since the test started (k6/execution's instance.currentTestRunDuration). */
  elapsedMs(): number;
  /** The VU's number in this k6 instance (__VU), from 1. */
  readonly vu: number;
  /** The base URL of the target: `http://host:port`, no trailing slash. */
  readonly baseUrl: string;
  /** The script's custom metrics, made in k6's init context by the entry. */
  readonly metrics: Readonly<Record<string, K6Metric>>;
}

export interface K6RuntimeOptions {
  readonly seed: number;
  /** VUs the script may have in all, to name this VU's share for the journeys. */
  readonly vus: number;
  readonly journeys: (worker: WorkerIdentity, faker: Faker) => readonly WeightedJourney[];
}

export interface K6Runtime {
  /** One iteration of the named journey. */
  run(journey: string): Promise<void>;
  /** One iteration of a journey picked by weight (the load names no stream). */
  runPicked(): Promise<void>;
}

export function createK6Runtime(k6: K6Api, options: K6RuntimeOptions): K6Runtime {
  const random = createRandom(options.seed).fork(`k6-vu-${k6.vu}`);
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed + 7919 * k6.vu);
  const journeys = options.journeys({ seed: options.seed, index: k6.vu, of: Math.max(options.vus, k6.vu) }, faker);
  const byName = new Map(journeys.map((j) => [j.name, j]));
  const pick = journeyPicker(journeys);
  const ctx: JourneyContext = {
    request: (name, spec, requestOptions) => request(k6, name, spec, requestOptions),
    think: (ms) => new Promise<void>((resolve) => void k6.setTimeout(resolve, ms)),
    random,
    faker,
    data: {},
    metrics: customMetrics(k6.metrics),
    elapsedMs: () => k6.elapsedMs(),
    // k6 has no history of operations: the correctness checker judges codestorm's runs only.
    record: () => 0,
  };
  return {
    run: (name) => {
      const journey = byName.get(name);
      if (journey === undefined) throw new Error(`the script has no journey "${name}"`);
      return journey.run(ctx);
    },
    runPicked: () => pick(random).run(ctx),
  };
}

async function request(k6: K6Api, name: string, spec: RequestSpec, options: RequestOptions = {}): Promise<StepResponse> {
  const params: Record<string, unknown> = { tags: { name }, headers: spec.headers ?? {} };
  if (options.timeoutMs !== undefined) params['timeout'] = `${Math.round(options.timeoutMs)}ms`;
  // The step's expected statuses decide http_req_failed, as the engine's outcome does.
  if (options.expect !== undefined) params['responseCallback'] = k6.http.expectedStatuses(...options.expect);
  if (options.wantBody !== true) params['responseType'] = 'none';
  const body = spec.body === undefined ? null : typeof spec.body === 'string' ? spec.body : spec.body.slice().buffer;
  const response = await k6.http.asyncRequest(spec.method, k6.baseUrl + spec.path, body, params);
  let outcome = outcomeOf(response);
  if (options.expect !== undefined && response.status !== 0) outcome = options.expect.includes(response.status) ? 'ok' : outcome === 'ok' ? 'other' : outcome;
  const retryAfter = Number(headerOf(response.headers, 'retry-after'));
  const text = options.wantBody === true && typeof response.body === 'string' ? response.body : undefined;
  return Number.isFinite(retryAfter) && headerOf(response.headers, 'retry-after') !== undefined
    ? { status: response.status, outcome, body: text, retryAfterS: retryAfter }
    : { status: response.status, outcome, body: text };
}

/** k6 reports a failed request as status 0 with an error text (and a numeric code; 1050 is its timeout). */
function outcomeOf(response: K6Response): Outcome {
  if (response.status !== 0) return outcomeOfStatus(response.status);
  const error = response.error.toLowerCase();
  if (response.error_code === 1050 || error.includes('timeout')) return 'timeout';
  if (error.includes('refused')) return 'refused';
  if (error.includes('reset') || error.includes('eof') || error.includes('broken pipe')) return 'reset';
  return 'other';
}

function headerOf(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** ctx.metrics onto k6's metric objects, same names; an undeclared name fails as in the engine. */
function customMetrics(metrics: Readonly<Record<string, K6Metric>>): CustomMetrics {
  const of = (name: string): K6Metric => {
    const metric = metrics[name];
    if (metric === undefined) throw new Error(`custom metric "${name}" is not declared by the journeys`);
    return metric;
  };
  const tagsOf = (tags: MetricTags | undefined) => (tags === undefined ? undefined : { ...tags });
  return {
    counter: (name, value = 1, tags) => void of(name).add(value, tagsOf(tags)),
    gauge: (name, value, tags) => void of(name).add(value, tagsOf(tags)),
    rate: (name, value, tags) => void of(name).add(typeof value === 'boolean' ? value : value !== 0, tagsOf(tags)),
    trend: (name, value, tags) => void of(name).add(value, tagsOf(tags)),
  };
}
