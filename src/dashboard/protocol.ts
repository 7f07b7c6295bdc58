import type { ChartSpec } from '../report/charts.js';

/**
 * What the dashboard's server sends its pages: plain JSON. A page opening loads a snapshot
 * (GET /snapshot), then follows the updates (a WebSocket on /live), each numbered:
 * an update applies to the state one number before it, and a page that misses one loads the
 * snapshot again. The server keeps its own copy of the state by applying the same updates.
 */
export interface LiveSnapshot {
  readonly seq: number;
  readonly mode: 'run' | 'capacity' | 'faults';
  /** The report's chart configurations (src/report/), with the points so far. */
  readonly charts: readonly ChartSpec[];
  readonly panel: Panel;
  /** What following the run has taken of its main thread so far (the server adds it). */
  readonly cost?: DashboardCost;
}

export interface DashboardCost {
  readonly polls: number;
  readonly totalMs: number;
  readonly maxMs: number;
  /** Pages following now, and pages dropped for not reading. */
  readonly pages: number;
  readonly dropped: number;
}

export interface LiveUpdate {
  readonly seq: number;
  /** New points (and the seconds still to come, as nulls) from one index of the time axis on. */
  readonly points?: PointsChange;
  /** The charts anew: a line or a chart appeared, or the run ended (then they are the report's). */
  readonly charts?: readonly ChartSpec[];
  /** Every time chart's annotations (fault windows, the breaking point), when they changed. */
  readonly annotations?: Record<string, unknown>;
  readonly panel?: Panel;
  /** Set by the server instead of an update too large to send: load the snapshot again. */
  readonly reload?: true;
}

export interface PointsChange {
  /** The index of the first label replaced. */
  readonly from: number;
  readonly labels: readonly number[];
  /** By chart id, one array of points per dataset, in the chart's dataset order. */
  readonly values: Readonly<Record<string, readonly (readonly (number | null)[])[]>>;
}

/** The words and numbers beside the charts, formatted by the server (the page only lays them out). */
export interface Panel {
  readonly title: string;
  readonly meta: string;
  readonly state: 'starting' | 'running' | 'ended';
  /** "12 s of 60 s". */
  readonly clock: string;
  readonly figures: readonly Figure[];
  /** Findings in a sentence each: the breaking point, a fault on now. */
  readonly notes: readonly string[];
  readonly tables: readonly Table[];
  readonly end: End | null;
}

export interface Figure {
  readonly label: string;
  readonly value: string;
}

export interface Table {
  readonly id: string;
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly Row[];
}

export interface Row {
  readonly cells: readonly string[];
  /** Per cell: shown as held (ok) or failed (bad); '' or absent for plain. */
  readonly marks?: readonly ('' | 'ok' | 'bad')[];
}

/** How the run ended, and where its report is. */
export interface End {
  readonly verdict: 'pass' | 'fail' | 'done' | 'error';
  readonly headline: string;
  /** The report's address on the dashboard (it serves the run directory's report), or null. */
  readonly report: string | null;
  /** The run directory on disk. */
  readonly dir: string;
  /** What only the end knows, shown beside the rest (the correctness check of the run's history). */
  readonly tables?: readonly Table[];
}

/** A chart's data as Chart.js holds it (config.data, and chart.data in the page). */
export interface ChartData {
  labels: unknown[];
  datasets: { data: unknown[] }[];
}

/**
 * One chart's points from index `from` on replaced by `labels` and `values` (one array per
 * dataset; a missing point is null). The server applies it to its copy and the page runs this
 * function's own source (Function.prototype.toString) on its charts, so both hold the same
 * points; it must therefore stay self-contained: no imports, no helpers, nothing from outside.
 */
export function setPointsFrom(data: ChartData, from: number, labels: readonly unknown[], values: readonly (readonly unknown[])[]): void {
  data.labels.length = Math.min(from, data.labels.length);
  for (const label of labels) data.labels.push(label);
  for (let i = 0; i < data.datasets.length; i++) {
    const points = data.datasets[i]!.data;
    const given = values[i] ?? [];
    points.length = Math.min(from, points.length);
    for (let k = 0; k < labels.length; k++) points.push(k < given.length ? given[k] : null);
  }
}

/** The data and annotations of a report chart's configuration (src/report/chart-spec.ts builds them). */
export function chartData(spec: ChartSpec): ChartData {
  return spec.config['data'] as ChartData;
}

export function setAnnotations(spec: ChartSpec, annotations: Record<string, unknown>): void {
  const options = spec.config['options'] as { plugins?: { annotation?: { annotations: unknown } } } | undefined;
  if (options?.plugins?.annotation !== undefined) options.plugins.annotation.annotations = structuredClone(annotations);
}
