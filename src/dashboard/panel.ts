import type { BreakingPoint, SecondPoint, SloVerdict } from '../analyze/analyze.js';
import type { Judgement } from '../analyze/timeline.js';
import type { K6Values } from '../engine/custom-metrics.js';
import type { MetricDeclaration } from '../engine/journey.js';
import { unitOf } from '../engine/metric-declarations.js';
import type { ThresholdResult } from '../engine/thresholds.js';
import { describeValues } from '../report/custom.js';
import { breakingPointText } from '../report/markdown.js';
import { serverLabel } from '../report/settings.js';
import type { FaultSummary, RunEvent } from '../run-files/index.js';
import type { RunSoFar } from './live-timeline.js';
import type { End, Figure, Panel, Row, Table } from './protocol.js';

/**
 * The words and numbers of a run's page, from what the dashboard has read of the run: the run
 * so far (totals, latency, the scenario's thresholds and custom metrics over every second), the
 * SLO judgements, the faults from events.ndjson. Plain strings, like the report's tables.
 */
export interface RunView {
  readonly mode: 'run' | 'faults';
  /** The run's `run-start` event, once written. */
  readonly start: RunEvent | undefined;
  readonly name: string;
  readonly measuredS: number;
  readonly plannedS: number;
  readonly run: RunSoFar;
  readonly thresholds: readonly ThresholdResult[];
  readonly custom: readonly { readonly metric: string; readonly declaration: MetricDeclaration; readonly values: K6Values }[];
  readonly slo: { readonly windowS: number; readonly verdicts: readonly SloVerdict[]; readonly now: Judgement | undefined };
  readonly breakingPoint: BreakingPoint | null;
  readonly faults: readonly Omit<FaultSummary, 'recoveryS' | 'surges'>[];
  readonly last: SecondPoint | undefined;
  readonly end: End | null;
}

export function runPanel(v: RunView): Panel {
  const r = v.run;
  const total = r.all.total;
  const [p50, p95, p99] = r.all.latency.percentiles([50, 95, 99]);
  const avg = (n: number) => Math.round((10 * n) / Math.max(1, r.offeredSeconds)) / 10;
  const figures: Figure[] =
    v.mode === 'faults'
      ? [{ label: 'faults on now', value: String(v.faults.filter((f) => f.startS !== null && f.endS === null).length) }]
      : [
          { label: 'requests', value: `${total}` },
          { label: 'ok / failed', value: `${r.byOutcome.ok} / ${total - r.byOutcome.ok}` },
          { label: 'dropped arrivals', value: `${r.dropped}` },
          { label: 'offered / achieved, avg', value: `${avg(r.offered)} / ${avg(r.started)} per s` },
          { label: 'latency p50 / p95 / p99', value: total === 0 ? '–' : `${p50} / ${p95} / ${p99} ms` },
          { label: `second ${v.last?.t ?? '–'}: achieved, p99`, value: v.last === undefined ? '–' : `${v.last.achieved}/s, ${v.last.latency === null ? '–' : `${v.last.latency.p99} ms`}` },
        ];
  const notes = [
    ...(v.breakingPoint === null ? [] : [breakingPointText(v.breakingPoint)]),
    ...v.faults.filter((f) => f.startS !== null && f.endS === null).map((f) => `Fault ${f.name} (${f.kind} on ${f.target}) is on since ${f.startS} s.`),
  ];
  const tables = [thresholdsTable(v.thresholds), sloTable(v), faultsTable(v.faults), customTable(v.custom), ...(v.end?.tables ?? [])].filter((t) => t.rows.length > 0);
  return {
    title: v.name,
    meta: metaOf(v.start),
    state: v.end !== null ? 'ended' : v.measuredS === 0 && v.start === undefined ? 'starting' : 'running',
    clock: `${v.measuredS} s of ${v.plannedS} s`,
    figures,
    notes,
    tables,
    end: v.end,
  };
}

function metaOf(start: RunEvent | undefined): string {
  if (start === undefined) return 'starting…';
  const profile = typeof start['profile'] === 'string' ? start['profile'] : null;
  const settings = (start['settings'] ?? {}) as Record<string, number | boolean | string>;
  const server = serverLabel(profile, settings);
  return [
    `target ${String(start['target'] ?? '–')}`,
    ...(server === null ? [] : [`profile ${server}`]),
    `seed ${String(start['seed'] ?? '–')}`,
    ...(typeof start['workers'] === 'number' ? [`${start['workers']} worker${start['workers'] === 1 ? '' : 's'}`] : []),
  ].join(' · ');
}

/** The scenario's thresholds over the run so far, as the engine judges them at the end. */
function thresholdsTable(thresholds: RunView['thresholds']): Table {
  return {
    id: 'thresholds',
    title: 'Thresholds (the run so far)',
    head: ['metric', 'threshold', 'value', 'now'],
    rows: thresholds.map((t) => ({
      cells: [t.threshold.key, t.threshold.expr, t.value === null ? 'no data' : String(Math.round(t.value * 1000) / 1000), t.ok ? 'held' : 'failed'],
      marks: ['', '', '', t.ok ? 'ok' : 'bad'],
    })),
  };
}

function sloTable(v: RunView): Table {
  return {
    id: 'slo',
    title: `SLOs (${v.slo.windowS} s windows)`,
    head: ['metric', 'objective', 'latest window', 'seconds violated', 'worst'],
    rows: v.slo.verdicts.map((verdict, i): Row => {
      const now = v.slo.now?.results[i];
      const state = now === undefined ? '–' : `${now.ok ? 'held' : 'violated'}${now.value === null ? '' : ` (${Math.round(now.value * 1000) / 1000})`}`;
      return {
        cells: [verdict.key, verdict.expr, state, String(verdict.violatedSeconds), verdict.worst === null ? '–' : `${verdict.worst.value} at ${verdict.worst.atS} s`],
        marks: ['', '', now === undefined ? '' : now.ok ? 'ok' : 'bad', '', ''],
      };
    }),
  };
}

function faultsTable(faults: RunView['faults']): Table {
  return {
    id: 'faults',
    title: 'Faults',
    head: ['fault', 'kind', 'target', 'from', 'to', 'state'],
    rows: faults.map((f) => {
      const state = f.failed !== null ? `failed: ${f.failed}` : f.startS === null ? 'not yet' : f.endS === null ? 'on' : 'ended';
      return {
        cells: [f.name, f.kind, f.target, f.startS === null ? '–' : `${f.startS} s`, f.endS === null ? '–' : `${f.endS} s`, state],
        marks: ['', '', '', '', '', f.failed !== null ? 'bad' : f.endS === null && f.startS !== null ? 'bad' : ''],
      };
    }),
  };
}

/** The journeys' custom metrics over the run so far, in the words of the report's table. */
function customTable(custom: RunView['custom']): Table {
  return {
    id: 'custom',
    title: 'Custom metrics (the run so far)',
    head: ['metric', 'what', 'value'],
    rows: custom.map((c) => ({ cells: [c.metric, c.declaration.description, describeValues(c.declaration.type, unitOf(c.declaration), c.values)] })),
  };
}
