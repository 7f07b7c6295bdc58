import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { CapacityReport } from '../analyze/capacity-verdict.js';
import { goodputLimitMs, overloadStep, peakGoodput } from '../analyze/overload.js';
import type { ThresholdSet } from '../engine/thresholds.js';
import { capacityChart, goodputChart, type CapacityCurve } from '../report/capacity.js';
import type { ChartSpec } from '../report/charts.js';
import { MetricsTail, stepOf, STEPS_FILE, tailOf, type RunSecond, type StepLine } from '../run-files/index.js';
import type { LiveModel } from './model.js';
import type { End, LiveSnapshot, LiveUpdate, Panel, Row } from './protocol.js';

/**
 * A `capacity` search as its directory grows: each step's point on the report's two capacity
 * charts (src/report/capacity.ts: rate against latency and errors, goodput against offered) as
 * steps.ndjson gains its line, and the step running now from its own metrics file. At the end
 * the charts are the report's, knee and bands included.
 */
export interface LiveCapacityOptions {
  readonly dir: string;
  readonly name: string;
  readonly slo: ThresholdSet;
}

export class LiveCapacity implements LiveModel {
  readonly report = 'capacity.html';
  readonly #o: LiveCapacityOptions;
  readonly #tail: { read(): StepLine[] };
  readonly #steps: StepLine[] = [];
  #running: { readonly file: string; readonly tail: MetricsTail; seconds: number; last: RunSecond | undefined } | undefined;
  #charts: ChartSpec[];
  #panel: Panel;
  #seq = 0;
  #final: CapacityReport | undefined;

  constructor(options: LiveCapacityOptions) {
    this.#o = options;
    this.#tail = tailOf(path.join(options.dir, STEPS_FILE), stepOf);
    this.#charts = this.#chartsNow();
    this.#panel = this.#panelNow(null);
  }

  /** The search's own answer, for the charts at the end (the knee, the capacity, the bands). */
  finished(report: CapacityReport): void {
    this.#final = report;
  }

  snapshot(): LiveSnapshot {
    return { seq: this.#seq, mode: 'capacity', charts: this.#charts, panel: this.#panel };
  }

  poll(): LiveUpdate | undefined {
    const steps = this.#tail.read();
    this.#steps.push(...steps);
    const moved = this.#follow();
    if (steps.length === 0 && !moved) return undefined;
    if (steps.length > 0) this.#charts = this.#chartsNow();
    this.#panel = this.#panelNow(null);
    return { seq: ++this.#seq, ...(steps.length > 0 ? { charts: this.#charts } : {}), panel: this.#panel };
  }

  end(end: End): LiveUpdate {
    this.#running = undefined;
    this.#charts = this.#chartsNow();
    this.#panel = this.#panelNow(end);
    return { seq: ++this.#seq, charts: this.#charts, panel: this.#panel };
  }

  /** The step running now: the newest file under steps/, followed for its seconds. */
  #follow(): boolean {
    let files: string[];
    try {
      files = readdirSync(path.join(this.#o.dir, 'steps')).filter((f) => f.endsWith('.ndjson')).sort();
    } catch {
      return false;
    }
    const newest = files.at(-1);
    if (newest === undefined) return false;
    const done = this.#steps.some((s) => s.file === path.join('steps', newest));
    if (done) {
      const was = this.#running !== undefined;
      this.#running = undefined;
      return was;
    }
    if (this.#running?.file !== newest) this.#running = { file: newest, tail: new MetricsTail(path.join(this.#o.dir, 'steps', newest)), seconds: 0, last: undefined };
    const seconds = this.#running.tail.read();
    if (seconds.length === 0) return false;
    this.#running.seconds += seconds.length;
    this.#running.last = seconds.at(-1);
    return true;
  }

  #curve(): CapacityCurve {
    if (this.#final !== undefined) return this.#final;
    const search = this.#steps.filter((s) => s.kind === 'search');
    const peak = peakGoodput(search);
    return {
      steps: search,
      overload: this.#steps.filter((s) => s.kind === 'overload').map((s) => overloadStep(s, s.multiple ?? 1, peak)),
      knee: null,
      capacityRps: Math.max(0, ...search.filter((s) => s.ok).map((s) => s.rateRps)),
      peakGoodputRps: peak,
      goodputLimitMs: goodputLimitMs(this.#o.slo),
    };
  }

  #chartsNow(): ChartSpec[] {
    const curve = this.#curve();
    return [goodputChart(curve), capacityChart(curve)];
  }

  #panelNow(end: End | null): Panel {
    const search = this.#steps.filter((s) => s.kind === 'search');
    const held = search.filter((s) => s.ok).map((s) => s.rateRps);
    const broke = search.filter((s) => !s.ok).map((s) => s.rateRps);
    const r = this.#running;
    const rows: Row[] = this.#steps.map((s) => ({
      cells: [
        String(s.index),
        s.kind === 'search' ? 'search' : `overload ${s.multiple}×`,
        `${s.rateRps}/s`,
        s.kind === 'overload' ? 'measured' : s.ok ? 'held' : 'broke',
        `${s.p50Ms ?? '–'} ms`,
        `${s.p99Ms ?? '–'} ms`,
        s.errorRate === null ? '–' : `${Math.round(s.errorRate * 1000) / 10} %`,
        `${s.goodputRps}/s`,
        s.reason ?? '',
      ],
      marks: ['', '', '', s.kind === 'overload' ? '' : s.ok ? 'ok' : 'bad', '', '', '', '', ''],
    }));
    return {
      title: `${this.#o.name}: capacity`,
      meta: `SLO ${this.#o.slo.map((t) => `${t.key} ${t.expr}`).join(', ')}`,
      state: end !== null ? 'ended' : this.#steps.length === 0 && r === undefined ? 'starting' : 'running',
      clock: `${this.#steps.length} step${this.#steps.length === 1 ? '' : 's'} done`,
      figures: [
        { label: 'highest rate held', value: held.length === 0 ? '–' : `${Math.max(...held)}/s` },
        { label: 'lowest rate that broke', value: broke.length === 0 ? '–' : `${Math.min(...broke)}/s` },
        { label: 'running now', value: r === undefined ? '–' : `${r.file.replace(/\.ndjson$/, '')}: ${r.seconds} s` },
        { label: 'its last second: offered / achieved', value: r?.last === undefined ? '–' : `${r.last.offered} / ${r.last.started} per s` },
      ],
      notes: [],
      tables: rows.length === 0 ? [] : [{ id: 'steps', title: 'Steps', head: ['#', 'kind', 'rate', 'verdict', 'p50', 'p99', 'errors', 'goodput', 'why'], rows }],
      end,
    };
  }
}
