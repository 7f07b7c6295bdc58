import path from 'node:path';
import { analyze, faultsFromEvents, type Analysis } from '../analyze/analyze.js';
import { findBreakingPoint } from '../analyze/breaking-point.js';
import { customViews } from '../analyze/custom.js';
import type { Slo } from '../analyze/slo.js';
import { faultOutcomesOf } from '../analyze/summary.js';
import { sloVerdicts } from '../analyze/verdicts.js';
import type { ThresholdSet } from '../engine/thresholds.js';
import { annotationsOf } from '../report/annotations.js';
import { chartSpecs, targetChartSpecs } from '../report/charts.js';
import { RunFollower, type RunDir, type RunEvent, type RunSecond, type Scrape } from '../run-files/index.js';
import { ChartTrack, type ChartChange } from './chart-track.js';
import { LiveTimeline } from './live-timeline.js';
import type { LiveModel } from './model.js';
import { runPanel } from './panel.js';
import { setAnnotations, type End, type LiveSnapshot, type LiveUpdate, type Panel } from './protocol.js';

/**
 * A `run` (or a `faults` run) as its directory grows: each poll reads what the files gained
 * (RunFollower) and moves the page on by that much: the new seconds judged (LiveTimeline), their
 * points on the report's charts (ChartTrack), the run's totals and thresholds so far, the faults
 * from events.ndjson. Nothing is read or decoded twice, and a poll that finds nothing new costs
 * a few file reads. A `faults` run has no load of its own: its seconds are its scrapes', its
 * charts the target's.
 */
export interface LiveRunOptions {
  readonly dir: string;
  readonly mode: 'run' | 'faults';
  readonly slo: Slo;
  readonly thresholds: ThresholdSet;
  /** The schedule's length in seconds. */
  readonly plannedS: number;
}

export class LiveRun implements LiveModel {
  readonly report = 'report.html';
  readonly #o: LiveRunOptions;
  readonly #follower: RunFollower;
  readonly #seconds: RunSecond[] = [];
  readonly #events: RunEvent[] = [];
  readonly #server: Scrape[] = [];
  readonly #scrapesBySecond = new Map<number, Scrape[]>();
  readonly #timeline: LiveTimeline;
  readonly #track: ChartTrack;
  #annotations = '{}';
  #panel: Panel;
  #panelJson = '';
  #seq = 0;
  #end: End | null = null;

  constructor(options: LiveRunOptions) {
    this.#o = options;
    this.#follower = new RunFollower(options.dir);
    this.#timeline = new LiveTimeline(options.slo, options.thresholds);
    const build = options.mode === 'faults' ? targetChartSpecs : chartSpecs;
    this.#track = new ChartTrack((run, analysis) => build(run, analysis), (small) => this.#analysisOf(small), (run) => analyze(run, options.slo));
    this.#panel = this.#panelNow(false);
  }

  snapshot(): LiveSnapshot {
    return { seq: this.#seq, mode: this.#o.mode, charts: this.#track.charts, panel: this.#panel };
  }

  poll(final = false): LiveUpdate | undefined {
    const growth = this.#follower.read(final);
    this.#events.push(...growth.events);
    for (const s of growth.server) {
      this.#server.push(s);
      const at = Math.floor(s.t);
      this.#scrapesBySecond.set(at, [...(this.#scrapesBySecond.get(at) ?? []), s]);
    }
    const fresh = this.#o.mode === 'run' ? growth.seconds : this.#scrapedSeconds(final);
    for (const s of fresh) {
      this.#seconds.push(s);
      this.#timeline.push(s);
    }
    const grew = fresh.length > 0 || growth.events.length > 0 || growth.server.length > 0;
    if (!grew && !final) return undefined;
    const change = this.#track.advance(this.#runDir(), fresh.length, this.#axis(), (seconds) => this.#scrapesOf(seconds));
    return this.#update(change, final);
  }

  end(end: End): LiveUpdate {
    this.#end = end;
    // The page's last charts are the report's own: the whole run, analysed as the report was.
    const run = this.#runDir();
    const build = this.#o.mode === 'faults' ? targetChartSpecs : chartSpecs;
    const change = this.#track.reset(build(run, analyze(run, this.#o.slo)));
    return this.#update(change, true, true) ?? { seq: this.#seq };
  }

  #update(change: ChartChange | undefined, final: boolean, ended = false): LiveUpdate | undefined {
    // The report's charts at the end carry the report's own marks; before it, the live ones.
    const annotations = ended ? undefined : this.#marks(final, change?.charts !== undefined);
    const panel = this.#panelNow(final);
    const panelJson = JSON.stringify(panel);
    const panelChanged = panelJson !== this.#panelJson;
    if (change === undefined && annotations === undefined && !panelChanged) return undefined;
    this.#panel = panel;
    this.#panelJson = panelJson;
    return {
      seq: ++this.#seq,
      ...(change?.points === undefined ? {} : { points: change.points }),
      ...(change?.charts === undefined ? {} : { charts: change.charts }),
      ...(annotations === undefined ? {} : { annotations }),
      ...(panelChanged ? { panel } : {}),
    };
  }

  /** The fault windows and the breaking point over every time chart; undefined when unchanged. */
  #marks(final: boolean, rebuilt: boolean): Record<string, unknown> | undefined {
    const annotations = annotationsOf({ faults: faultsFromEvents(this.#runDir()), breakingPoint: this.#breakingPoint(final), series: { length: this.#axis() } });
    const text = JSON.stringify(annotations);
    // Charts built anew carry the marks of their own build: they get the live ones too.
    if (text === this.#annotations && !rebuilt) return undefined;
    this.#annotations = text;
    for (const chart of this.#track.charts) setAnnotations(chart, annotations);
    return annotations;
  }

  /**
   * The breaking point once the analysis finds it for good: a violation sustained for the whole
   * `sustain` (the end of the run also counts for the report, but live it may yet recover).
   */
  #breakingPoint(final: boolean): ReturnType<typeof findBreakingPoint> {
    const tl = this.#timeline.timeline;
    const bp = findBreakingPoint(tl);
    return bp !== null && (final || bp.atS + this.#o.slo.sustainS <= tl.series.length) ? bp : null;
  }

  /**
   * A small run's analysis for its charts (ChartTrack): its seconds' points as the live timeline
   * judged them, and its custom metrics' points; nothing there is judged over more seconds.
   */
  #analysisOf(small: RunDir): Analysis {
    const { windowS, sustainS, metastableAfterS, source } = this.#o.slo;
    return {
      slo: { windowS, sustainS, metastableAfterS, source, verdicts: [] },
      breakingPoint: null,
      capacity: null,
      faults: [],
      metastable: { flagged: false, triggers: [] },
      series: small.seconds.map((s) => this.#timeline.series[s.t]!),
      names: small.names,
      custom: Object.keys(small.metrics).length === 0 ? [] : customViews(small, []),
      goodput: null,
      generator: null,
    };
  }

  /** The time axis reaches past a fault that began before its second was measured, so its window shows at once. */
  #axis(): number {
    let axis = this.#seconds.length;
    for (const e of this.#events) if (e.event === 'fault-begin' && e.t >= 0) axis = Math.max(axis, Math.floor(e.t) + 2);
    return axis;
  }

  /** A `faults` run's seconds: each second once a later scrape has come (all at the end). */
  #scrapedSeconds(final: boolean): RunSecond[] {
    const last = this.#server.reduce((max, s) => Math.max(max, Math.floor(s.t)), -1);
    const through = final ? last : last - 1;
    const out: RunSecond[] = [];
    for (let t = this.#seconds.length; t <= through; t++) out.push({ t, offered: 0, started: 0, dropped: 0, iterations: 0, inFlightMax: 0, requests: [], custom: [] });
    return out;
  }

  /** The scrapes a set of seconds is drawn from: each second's own and the one before (a counter's rate). */
  #scrapesOf(seconds: readonly number[]): Scrape[] {
    const wanted = new Set(seconds.flatMap((t) => [t - 1, t]));
    return [...wanted].sort((a, b) => a - b).flatMap((t) => this.#scrapesBySecond.get(t) ?? []);
  }

  #runDir(): RunDir {
    return {
      dir: this.#o.dir,
      scenarioFile: this.#follower.scenarioFile,
      seconds: this.#seconds,
      names: this.#follower.names,
      metrics: this.#follower.metrics,
      events: this.#events,
      server: this.#server,
      summary: undefined,
    };
  }

  #panelNow(final: boolean): Panel {
    const start = this.#events.find((e) => e.event === 'run-start');
    const tl = this.#timeline;
    const declared = this.#follower.metrics;
    return runPanel({
      mode: this.#o.mode,
      start,
      name: String(start?.['scenario'] ?? path.basename(this.#o.dir)),
      measuredS: this.#seconds.length,
      plannedS: this.#o.plannedS,
      run: tl.run,
      thresholds: tl.run.thresholds(),
      custom: tl.run.custom(declared).map((c) => ({ ...c, declaration: declared[c.metric]! })),
      slo: { windowS: this.#o.slo.windowS, verdicts: sloVerdicts(tl.timeline), now: tl.judged.at(-1) },
      breakingPoint: this.#breakingPoint(final),
      faults: faultOutcomesOf(this.#events),
      last: tl.series.at(-1),
      end: this.#end,
    });
  }
}
