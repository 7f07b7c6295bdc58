import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { CustomRecorder } from '../engine/custom-metrics.js';
import type { MetricDeclaration, MetricDeclarations, MetricTags } from '../engine/journey.js';
import { BUILTIN_METRIC_NAMES } from '../engine/metric-declarations.js';
import { mergeWire, SecondMetrics, type Outcome, type SecondSink, type WireSecond } from '../engine/second.js';
import { CodestormError, errorMessage, invalidInput } from '../errors.js';

/**
 * k6's `--out json=FILE` (or `FILE.gz`) read back into codestorm's seconds: per request name and
 * outcome, counts and HDR histograms, the iterations, the dropped arrivals, the VUs in flight and
 * the script's own metrics, exactly as the engine's workers record them (src/engine/second.ts).
 * Each file is one runner's share of a test (a k6-operator runner, an execution segment); the
 * runners' copies of a second are merged with the same mergeWire as the engine's worker threads,
 * so counts add up exactly and percentiles are those of the whole test, not of any one runner.
 *
 * A file is streamed line by line. A second stays live (its histograms open) only while the
 * file's points are near it; k6 writes points in about time order, flushed once a second, so a
 * second is closed once the file has moved SLACK_S past it. A point later than that is not lost:
 * it opens another copy of its second, merged like any runner's. Memory is bounded by the test's
 * length in seconds (each closed second is kept encoded), never by the file's size.
 *
 * What k6 measures differs from codestorm's engine in one way: k6's http_req_duration runs from
 * the request's send to its last byte, after any wait for a free VU or connection. It is used as
 * both latency and service time; coordinated omission shows in k6's dropped_iterations instead.
 */
export const SLACK_S = 10;

/** k6's own metrics (the names a journey may not declare): every other metric is the script's own. */
const BUILTIN = BUILTIN_METRIC_NAMES;

/** Tags k6 adds to a script's own metrics' samples (its HTTP tags go on HTTP metrics only): not the script's, so not kept. */
const SYSTEM_TAGS = new Set(['scenario', 'group', 'vu', 'iter', 'instance_id']);

/** k6's error codes (its lib/netext/httpext error codes) as codestorm's outcomes. */
const TIMEOUT_CODES = new Set(['1050', '1211']);
const REFUSED_CODES = new Set(['1212']);
const RESET_CODES = new Set(['1201', '1220']);

/** How a k6 HTTP sample ended, as codestorm's client classifies it (src/engine/second.ts OUTCOMES). */
export function outcomeOf(tags: Readonly<Record<string, string>>): Outcome {
  if (tags['expected_response'] === 'true') return 'ok';
  const status = Number(tags['status'] ?? '0');
  if (status === 503 || status === 429) return 'shed';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  if (status === 0) {
    const code = tags['error_code'] ?? '';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (REFUSED_CODES.has(code)) return 'refused';
    if (RESET_CODES.has(code)) return 'reset';
  }
  return 'other';
}

interface K6Line {
  readonly type?: unknown;
  readonly metric?: unknown;
  readonly data?: { readonly type?: unknown; readonly contains?: unknown; readonly thresholds?: unknown; readonly time?: unknown; readonly value?: unknown; readonly tags?: unknown };
}

/** What the runners' files held, beyond their seconds. */
export interface K6Results {
  readonly files: number;
  readonly points: number;
  /** Epoch ms of second 0: the earliest second any runner wrote a point in. */
  readonly startEpochMs: number;
  /** The script's own metrics, declared as k6 declared them. */
  readonly declarations: MetricDeclarations;
  /** Thresholds as each metric's Metric line listed them, by metric. */
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  /** Seconds written to the sink: from 0, every second up to the last one present. */
  readonly seconds: number;
}

/**
 * Reads every runner's file and hands `sink` the script's metric declarations, then the merged
 * seconds in order, each once, as the engine hands its own (a MetricsWriter writes
 * metrics.ndjson from them). A second's decoded histograms are the sink's to keep or drop:
 * keeping them all would hold the whole test in memory. The sink is not closed here. Bad input
 * is exit 2, naming the file and line.
 */
export async function readK6Results(files: readonly string[], sink: Pick<SecondSink, 'declare' | 'second'>): Promise<K6Results> {
  if (files.length === 0) throw invalidInput('K6_RESULTS_INVALID', '--from-k6: expected at least one k6 JSON output file');
  const wires = new Map<number, WireSecond[]>();
  const declarations: Record<string, MetricDeclaration> = {};
  const thresholds: Record<string, string[]> = {};
  let points = 0;
  for (const file of files) {
    points += await readRunner(file, { wires, declarations, thresholds });
  }
  if (wires.size === 0) throw invalidInput('K6_RESULTS_INVALID', `${files.join(', ')}: no points: expected the output of k6 run --out json=FILE`);
  const absolute = [...wires.keys()];
  const first = Math.min(...absolute);
  const last = Math.max(...absolute);
  sink.declare(declarations);
  for (let s = first; s <= last; s++) {
    const copies = wires.get(s) ?? [new SecondMetrics(s).toWire()];
    wires.delete(s);
    sink.second({ ...mergeWire(copies), t: s - first });
  }
  return { files: files.length, points, startEpochMs: first * 1000, declarations, thresholds, seconds: last - first + 1 };
}

interface Into {
  readonly wires: Map<number, WireSecond[]>;
  readonly declarations: Record<string, MetricDeclaration>;
  readonly thresholds: Record<string, string[]>;
}

/** One runner's file: its points into live seconds, closed into `wires` as the file moves on. */
async function readRunner(file: string, into: Into): Promise<number> {
  const live = new Map<number, SecondMetrics>();
  let current: SecondMetrics | undefined;
  let currentAtMs = 0;
  let newest = -Infinity;
  let lineNo = 0;
  let points = 0;
  const recorder = new CustomRecorder(
    into.declarations,
    file,
    (series, value) => current!.custom(series, value, currentAtMs),
    (message) => {
      throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: ${message}`);
    },
  );
  const close = (second: number): void => {
    const copies = into.wires.get(second) ?? [];
    copies.push(live.get(second)!.toWire());
    into.wires.set(second, copies);
    live.delete(second);
  };
  for await (const text of readable(file)) {
    lineNo++;
    if (text.trim() === '') continue;
    const line = parseLine(text, file, lineNo);
    const metric = line.metric as string;
    if (line.type === 'Metric') {
      declare(line, metric, into, file, lineNo);
      continue;
    }
    if (line.type !== 'Point') continue;
    const { atMs, value, tags } = pointOf(line, file, lineNo);
    const second = Math.floor(atMs / 1000);
    let s = live.get(second);
    if (s === undefined) {
      s = new SecondMetrics(second);
      live.set(second, s);
    }
    if (second > newest) {
      newest = second;
      for (const held of [...live.keys()]) if (held < newest - SLACK_S) close(held);
    }
    current = s;
    currentAtMs = atMs;
    points++;
    record(s, metric, value, tags, recorder, into.declarations);
  }
  for (const held of [...live.keys()]) close(held);
  return points;
}

function record(s: SecondMetrics, metric: string, value: number, tags: Readonly<Record<string, string>>, recorder: CustomRecorder, declared: MetricDeclarations): void {
  switch (metric) {
    case 'http_req_duration': {
      const us = Math.max(0, Math.round(value * 1000));
      s.request(tags['name'] ?? tags['url'] ?? 'request', outcomeOf(tags), us, us);
      return;
    }
    case 'iterations':
      // k6 counts an iteration when it ends: it is taken as started and offered in that second.
      s.iteration(value);
      s.started(value);
      s.offered(value);
      return;
    case 'dropped_iterations':
      s.dropped(value);
      s.offered(value);
      return;
    case 'vus':
      s.inFlight(value);
      return;
    default:
      if (BUILTIN.has(metric)) return;
      recordCustom(recorder, declared[metric]?.type, metric, value, tags);
  }
}

function recordCustom(recorder: CustomRecorder, kind: string | undefined, metric: string, value: number, tags: Readonly<Record<string, string>>): void {
  const own: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(tags)) {
    if (SYSTEM_TAGS.has(k)) continue;
    own[k] = v;
    any = true;
  }
  const m = recorder.metrics;
  const t: MetricTags | undefined = any ? own : undefined;
  // The declared kind decides; an undeclared metric is refused by the recorder, naming the line.
  if (kind === 'counter') m.counter(metric, value, t);
  else if (kind === 'rate') m.rate(metric, value, t);
  else if (kind === 'gauge') m.gauge(metric, value, t);
  else m.trend(metric, value, t);
}

function declare(line: K6Line, metric: string, into: Into, file: string, lineNo: number): void {
  const data = line.data ?? {};
  if (Array.isArray(data.thresholds) && data.thresholds.length > 0) {
    into.thresholds[metric] = [...new Set([...(into.thresholds[metric] ?? []), ...data.thresholds.filter((x): x is string => typeof x === 'string')])];
  }
  if (BUILTIN.has(metric) || metric.includes('{')) return;
  const type = data.type;
  if (type !== 'counter' && type !== 'gauge' && type !== 'rate' && type !== 'trend') {
    throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: data.type: expected counter, gauge, rate or trend for metric "${metric}", got ${JSON.stringify(type)}`);
  }
  const unit = data.contains === 'time' ? 'ms' : type === 'counter' || type === 'rate' ? 'count' : '';
  const previous = into.declarations[metric];
  if (previous !== undefined && previous.type !== type) {
    throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: metric "${metric}" is a ${type} here but a ${previous.type} in another runner's file`);
  }
  into.declarations[metric] = { type, unit, description: `${metric} (recorded by the k6 script)` };
}

function parseLine(text: string, file: string, lineNo: number): K6Line {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: not JSON: expected k6's JSON output, one object a line`);
  }
  if (typeof raw !== 'object' || raw === null || typeof (raw as K6Line).metric !== 'string') {
    throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: metric: expected a metric name (a line of k6 run --out json)`);
  }
  return raw as K6Line;
}

function pointOf(line: K6Line, file: string, lineNo: number): { atMs: number; value: number; tags: Readonly<Record<string, string>> } {
  const data = line.data ?? {};
  const atMs = typeof data.time === 'string' ? Date.parse(data.time) : Number.NaN;
  if (!Number.isFinite(atMs)) throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: data.time: expected an RFC 3339 time, got ${JSON.stringify(data.time)}`);
  if (typeof data.value !== 'number' || !Number.isFinite(data.value)) {
    throw invalidInput('K6_RESULTS_INVALID', `${file}:${lineNo}: data.value: expected a number, got ${JSON.stringify(data.value)}`);
  }
  const tags = data.tags === null || data.tags === undefined ? {} : (data.tags as Readonly<Record<string, string>>);
  return { atMs, value: data.value, tags };
}

/** The file's lines; a file that breaks off (a truncated .gz) is invalid input naming it. */
async function* readable(file: string): AsyncGenerator<string> {
  try {
    yield* lines(file);
  } catch (err) {
    if (err instanceof CodestormError) throw err;
    throw invalidInput('K6_RESULTS_INVALID', `${file}: cannot read it (${errorMessage(err)})`);
  }
}

/** The file's lines, gunzipped when it starts with gzip's magic bytes (k6 writes .gz for json=FILE.gz). */
async function* lines(file: string): AsyncGenerator<string> {
  let gz = false;
  try {
    const handle = await open(file, 'r');
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    await handle.close();
    gz = head[0] === 0x1f && head[1] === 0x8b;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalidInput('K6_RESULTS_INVALID', `${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? String(err)})`}`);
  }
  const stream = gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  yield* createInterface({ input: stream, crlfDelay: Infinity });
}
