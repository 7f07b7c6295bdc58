import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { invalidInput } from '../errors.js';
import { isCustomMetricLine, OUTCOMES, readCustomLine, type CustomLine, type Outcome, type SecondTotals } from '../engine/second.js';
import type { LatencySummary } from '../engine/histogram.js';
import type { MetricDeclaration, MetricDeclarations } from '../engine/journey.js';

/**
 * A run directory read back: the per-second lines of metrics.ndjson (histograms left encoded
 * until an analysis asks for them), events.ndjson, server.ndjson and the scenario as run. The
 * analysis reads nothing else: any run directory can be analysed again later.
 */
export interface RequestSecond {
  readonly name: string;
  readonly counts: Readonly<Partial<Record<Outcome, number>>>;
  readonly total: number;
  readonly ok: number;
  readonly latency: LatencySummary;
  /** Encoded HDR histograms of latency, per outcome. */
  readonly hdr: Readonly<Partial<Record<Outcome, string>>>;
}

export interface RunSecond extends SecondTotals {
  readonly requests: readonly RequestSecond[];
  /** Custom metrics' lines of this second (histograms encoded), in file order. */
  readonly custom: readonly CustomLine[];
}

export interface RunEvent {
  readonly t: number;
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface Scrape {
  readonly t: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly error?: string;
}

export interface RunDir {
  readonly dir: string;
  readonly scenarioFile: string;
  /** Every second from 0 to the last one written, empty seconds included. */
  readonly seconds: readonly RunSecond[];
  readonly names: readonly string[];
  /** The custom metrics metrics.ndjson declares (none for a run without them). */
  readonly metrics: MetricDeclarations;
  readonly events: readonly RunEvent[];
  readonly server: readonly Scrape[];
  /** summary.json as the run wrote it, if it did. */
  readonly summary: Record<string, unknown> | undefined;
}

const TOTALS = '*';

export function readRunDir(dir: string): RunDir {
  const metricsFile = path.join(dir, 'metrics.ndjson');
  const scenarioFile = path.join(dir, 'scenario.yaml');
  if (!existsSync(metricsFile)) throw invalidInput('RUN_DIR_INVALID', `${dir}: not a run directory (no metrics.ndjson)`);
  if (!existsSync(scenarioFile)) throw invalidInput('RUN_DIR_INVALID', `${dir}: not a run directory (no scenario.yaml)`);
  const byT = new Map<number, { totals?: Omit<RunSecond, 'requests' | 'custom' | 't'>; requests: RequestSecond[]; custom: CustomLine[] }>();
  const names = new Set<string>();
  const metrics: Record<string, MetricDeclaration> = {};
  lines(metricsFile).forEach(({ line, where }) => {
    const raw = json(line, where);
    // Custom metrics' lines are checked against their one schema, in src/engine/second.ts.
    if (isCustomMetricLine(raw)) {
      const read = readCustomLine(raw, where);
      if (read.kind === 'metric') {
        metrics[read.metric] = read.declaration;
        return;
      }
      const { t, metric } = read.line;
      if (!Object.hasOwn(metrics, metric)) throw bad(where, `metric: "${metric}" is not declared earlier in the file`);
      if (metrics[metric]!.type !== read.line.type) throw bad(where, `type: "${metric}" is declared a ${metrics[metric]!.type}`);
      const entry = byT.get(t) ?? { requests: [], custom: [] };
      byT.set(t, entry);
      entry.custom.push(read.line);
      return;
    }
    const t = raw['t'];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw bad(where, 't: expected a whole number >= 0');
    const entry = byT.get(t) ?? { requests: [], custom: [] };
    byT.set(t, entry);
    if (raw['name'] === TOTALS) {
      const n = (k: string) => {
        const v = raw[k];
        if (typeof v !== 'number') throw bad(where, `${k}: expected a number`);
        return v;
      };
      entry.totals = { offered: n('offered'), started: n('started'), dropped: n('dropped'), iterations: n('iterations'), inFlightMax: n('inFlightMax') };
      return;
    }
    const name = raw['name'];
    const counts = raw['counts'];
    const latency = raw['latency'];
    const hdr = raw['hdr'];
    if (typeof name !== 'string' || name === '') throw bad(where, 'name: expected a request name');
    if (!isRecord(counts) || !isRecord(latency) || !isRecord(hdr)) throw bad(where, 'counts, latency and hdr: expected objects');
    let total = 0;
    const c: Partial<Record<Outcome, number>> = {};
    for (const o of OUTCOMES) {
      const v = counts[o];
      if (v === undefined) continue;
      if (typeof v !== 'number') throw bad(where, `counts.${o}: expected a number`);
      c[o] = v;
      total += v;
    }
    names.add(name);
    entry.requests.push({ name, counts: c, total, ok: c.ok ?? 0, latency: latency as unknown as LatencySummary, hdr: hdr as Partial<Record<Outcome, string>> });
  });
  const last = Math.max(-1, ...byT.keys());
  const seconds: RunSecond[] = [];
  for (let t = 0; t <= last; t++) {
    const e = byT.get(t);
    seconds.push({ t, ...(e?.totals ?? { offered: 0, started: 0, dropped: 0, iterations: 0, inFlightMax: 0 }), requests: e?.requests ?? [], custom: e?.custom ?? [] });
  }
  const events = optionalLines(path.join(dir, 'events.ndjson')).map(({ line, where }) => json(line, where) as unknown as RunEvent);
  const server = optionalLines(path.join(dir, 'server.ndjson')).map(({ line, where }) => json(line, where) as unknown as Scrape);
  const summaryFile = path.join(dir, 'summary.json');
  const summary = existsSync(summaryFile) ? json(readFileSync(summaryFile, 'utf8'), summaryFile) : undefined;
  return { dir, scenarioFile, seconds, names: [...names].sort(), metrics: Object.freeze(metrics), events, server, summary };
}

function lines(file: string): { line: string; where: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line, where: `${file}:${i + 1}` }))
    .filter((l) => l.line.trim() !== '');
}

function optionalLines(file: string): { line: string; where: string }[] {
  return existsSync(file) ? lines(file) : [];
}

function json(text: string, where: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad(where, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRecord(raw)) throw bad(where, 'expected a JSON object');
  return raw;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(where: string, message: string): Error {
  return invalidInput('RUN_DIR_INVALID', `${where}: ${message}`);
}
