import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/analyze.js';
import { buildTimeline } from '../../src/analyze/timeline.js';
import { LiveTimeline } from '../../src/dashboard/live-timeline.js';
import { parseSlo } from '../../src/analyze/slo.js';
import { LiveRun } from '../../src/dashboard/live-run.js';
import { chartData, setPointsFrom, type LiveSnapshot, type LiveUpdate } from '../../src/dashboard/protocol.js';
import { CustomRecorder } from '../../src/engine/custom-metrics.js';
import { checkDeclarations } from '../../src/engine/metric-declarations.js';
import { createLatencyHistogram, mergeInto, percentileMs } from '../../src/engine/histogram.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { parseThresholds } from '../../src/engine/thresholds.js';
import { chartSpecs, type ChartSpec } from '../../src/report/charts.js';
import { declarationLines, parseNdjsonLine, readRunDir, toNdjsonLine } from '../../src/run-files/index.js';

/**
 * The live dashboard's charts against the report's: a run directory written second by second
 * (lines, outcomes, request names, custom metrics and scraped series appearing part-way, a
 * fault), followed by LiveRun as it grows. Its charts must end up with exactly the points the
 * report draws from the finished directory, and a page that opened part-way and applied every
 * update after must hold the same.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-live-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const SECONDS = 50;
const DECLARED = checkDeclarations(
  {
    people_served: { type: 'counter', description: 'people who got what they came for' },
    served_first_time: { type: 'rate', description: 'share served at the first try' },
    wait: { type: 'trend', description: 'how long a person waited', unit: 'ms' },
  },
  'synthetic.js',
);
const SLO = parseSlo({ window: '5s', sustain: '3s', http_req_duration: ['p(99)<1000'] });
const THRESHOLDS = parseThresholds({ http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<500'] }, 'thresholds');

/** Second t's lines of metrics.ndjson: failures from 20 to 30, a 5xx once at 40, a name from 15 on, custom metrics from 8 on. */
function secondText(t: number): string {
  const m = new SecondMetrics(t);
  if (t >= 8) {
    const custom = new CustomRecorder(DECLARED, 'synthetic.js', (series, value) => m.custom(series, value, t * 1000), (message) => {
      throw new Error(message);
    }).metrics;
    custom.counter('people_served', t >= 20 && t < 30 ? 5 : 30, { via: t % 2 === 0 ? 'app' : 'desk' });
    if (t >= 12) custom.rate('served_first_time', t % 3 !== 0);
    custom.trend('wait', t >= 20 && t < 30 ? 2_000 : 25);
  }
  const offered = t >= 18 && t < 32 ? 200 : 60;
  m.offered(offered);
  m.started(offered);
  m.inFlight(t >= 20 && t < 30 ? 150 : 4);
  for (let i = 0; i < offered; i++) {
    const name = t >= 15 && i % 4 === 0 ? 'late-name' : i % 3 === 0 ? 'session' : 'code';
    const outcome = t >= 20 && t < 30 && i % 2 === 0 ? 'timeout' : t === 40 && i === 0 ? '5xx' : 'ok';
    m.request(name, outcome, (outcome === 'timeout' ? 2_500 : 10 + (i % 40)) * 1000, 8_000);
  }
  return toNdjsonLine(mergeWire([m.toWire()]));
}

function scrapeLine(t: number): string {
  const metrics: Record<string, number> = { 'db_pool_waiting{worker="1"}': t >= 20 && t < 30 ? 30 : 0 };
  // The cache's counters appear a few seconds in: a chart that is not there at first.
  if (t >= 5) {
    metrics['cache_requests_total{outcome="hit",worker="1"}'] = t * 80;
    metrics['cache_requests_total{outcome="miss",worker="1"}'] = t * 20;
  }
  return `${JSON.stringify({ t: t + 0.3, metrics })}\n`;
}

function event(t: number, event: string, fields: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ t, time: new Date(Date.UTC(2026, 0, 4, 9) + t * 1000).toISOString(), event, ...fields })}\n`;
}

function newRun(name: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  for (const f of ['metrics.ndjson', 'events.ndjson', 'server.ndjson']) writeFileSync(path.join(dir, f), '');
  writeFileSync(path.join(dir, 'scenario.yaml'), 'name: synthetic\n');
  appendFileSync(path.join(dir, 'metrics.ndjson'), declarationLines(DECLARED));
  appendFileSync(path.join(dir, 'events.ndjson'), event(-1, 'run-start', { scenario: 'synthetic', seed: 1, target: 'http://127.0.0.1:9', profile: null, settings: {}, workers: 1 }));
  return dir;
}

/** Second t written as the run writes it: its scrape, its events, then its metrics in one write. */
function writeSecond(dir: string, t: number): void {
  appendFileSync(path.join(dir, 'server.ndjson'), scrapeLine(t));
  if (t === 22) appendFileSync(path.join(dir, 'events.ndjson'), event(22.4, 'fault-begin', { fault: 'slow-db', kind: 'network', target: 'link postgres' }));
  if (t === 31) appendFileSync(path.join(dir, 'events.ndjson'), event(31.4, 'fault-end', { fault: 'slow-db', kind: 'network', target: 'link postgres', why: 'end' }));
  appendFileSync(path.join(dir, 'metrics.ndjson'), secondText(t));
}

/** What a page does with the snapshot and the updates after it (page.ts, without the canvas). */
function applyAll(snapshot: LiveSnapshot, updates: readonly LiveUpdate[]): ChartSpec[] {
  let charts: ChartSpec[] = structuredClone([...snapshot.charts]);
  let seq = snapshot.seq;
  for (const u of updates) {
    if (u.seq <= seq) continue;
    expect(u.seq).toBe(seq + 1);
    if (u.charts !== undefined) charts = structuredClone([...u.charts]);
    if (u.points !== undefined) for (const c of charts) setPointsFrom(chartData(c), u.points.from, u.points.labels, u.points.values[c.id] ?? []);
    seq = u.seq;
  }
  return charts;
}

/** Each chart's id, labels and every dataset's label and points: what the page draws (the marks aside). */
function points(charts: readonly ChartSpec[]): unknown {
  return charts.map((c) => ({ id: c.id, groups: c.groups ?? null, labels: chartData(c).labels, datasets: chartData(c).datasets.map((d) => ({ label: (d as { label?: string }).label, data: d.data })) }));
}

describe('LiveRun: the report\'s charts as the run directory grows', () => {
  for (const pollsPerSecond of [1, 2]) {
    it(`ends with the report's points, ${pollsPerSecond} poll(s) a second; a page opened part-way holds the same`, () => {
      const dir = newRun(`run-${pollsPerSecond}`);
      const live = new LiveRun({ dir, mode: 'run', slo: SLO, thresholds: THRESHOLDS, plannedS: SECONDS });
      const updates: LiveUpdate[] = [];
      let opened: LiveSnapshot | undefined;
      let faultShownAt: number | undefined;
      for (let t = 0; t < SECONDS; t++) {
        writeSecond(dir, t);
        for (let p = 0; p < pollsPerSecond; p++) {
          const u = live.poll();
          if (u !== undefined) updates.push(u);
          if (faultShownAt === undefined && u?.annotations !== undefined && 'fault0' in u.annotations) faultShownAt = t;
        }
        if (t === 25) opened = structuredClone(live.snapshot());
      }
      const last = live.poll(true);
      if (last !== undefined) updates.push(last);
      const run = readRunDir(dir);
      const report = chartSpecs(run, analyze(run, SLO));
      expect(points(live.snapshot().charts)).toEqual(points(report));
      // Every kind of line that appears part-way is there: an outcome, a name, a custom metric, a scraped chart.
      const labels = (id: string) => chartData(report.find((c) => c.id === id)!).datasets.map((d) => (d as { label?: string }).label);
      expect(labels('errors')).toEqual(['5xx', 'timeout']);
      expect(labels('latency-by-name')).toEqual(['code', 'late-name', 'session']);
      expect(labels('custom-metrics')).toEqual(['people_served per second', 'served_first_time (% of samples)']);
      expect(report.map((c) => c.id)).toContain('server-cache');
      expect(points(applyAll(opened!, updates))).toEqual(points(report));
      // The fault's window is on the charts as soon as its begin event is read.
      expect(faultShownAt).toBe(22);
      // Full builds happen once per line that appears, not every second.
      expect(updates.filter((u) => u.charts !== undefined).length).toBeLessThan(12);
      expect(updates.filter((u) => u.points !== undefined).length).toBeGreaterThan(SECONDS * 0.8);
      const panel = live.snapshot().panel;
      expect(panel.tables.find((t) => t.id === 'thresholds')?.rows.map((r) => r.cells.at(-1))).toEqual(['failed', 'failed']);
      expect(panel.notes[0]).toMatch(/^It broke at 20 s/);
      expect(panel.tables.find((t) => t.id === 'custom')?.rows.map((r) => r.cells[0])).toEqual(['people_served', 'served_first_time', 'wait']);
      // Every update is small: points for a second or two, not the run.
      for (const u of updates) if (u.charts === undefined) expect(JSON.stringify(u).length).toBeLessThan(20_000);
    });
  }
});

describe('LiveTimeline', () => {
  it('judges each second as buildTimeline does, and sums the run so far as the engine judges its thresholds', () => {
    const dir = newRun('timeline');
    for (let t = 0; t < SECONDS; t++) writeSecond(dir, t);
    const run = readRunDir(dir);
    const live = new LiveTimeline(SLO, THRESHOLDS);
    for (const s of run.seconds) live.push(s);
    const whole = buildTimeline(run, SLO);
    expect(live.series).toEqual(whole.series);
    expect(live.judged).toEqual(whole.judged);
    // The thresholds over the whole run, against the file's histograms merged as the engine merges them.
    const all = createLatencyHistogram();
    let total = 0;
    let failed = 0;
    for (const line of readFileSync(path.join(dir, 'metrics.ndjson'), 'utf8').trim().split('\n')) {
      const r = parseNdjsonLine(line);
      if (r.kind !== 'request') continue;
      for (const [outcome, cell] of r.outcomes) {
        mergeInto(all, cell.latency);
        total += cell.count;
        if (outcome !== 'ok') failed += cell.count;
      }
    }
    expect(live.run.thresholds().map((t) => [t.threshold.key, t.value])).toEqual([
      ['http_req_failed', failed / total],
      ['http_req_duration', percentileMs(all, 95)],
    ]);
    expect(live.run.custom(run.metrics).map((c) => [c.metric, c.values['count'] ?? c.values['rate'] ?? c.values['max']])).toEqual([
      ['people_served', 42 * 30 - 10 * 25],
      ['served_first_time', expect.closeTo(2 / 3, 1)],
      ['wait', 2_000],
    ]);
  });
});

describe('LiveRun for `codestorm faults`: no load of its own', () => {
  it("draws the target's charts second by second from the scrapes, and the faults from events.ndjson", () => {
    const dir = newRun('faults');
    rmSync(path.join(dir, 'metrics.ndjson'));
    const live = new LiveRun({ dir, mode: 'faults', slo: SLO, thresholds: [], plannedS: 30 });
    for (let t = 0; t < 30; t++) {
      appendFileSync(path.join(dir, 'server.ndjson'), scrapeLine(t));
      if (t === 22) appendFileSync(path.join(dir, 'events.ndjson'), event(22.4, 'fault-begin', { fault: 'slow-db', kind: 'network', target: 'link postgres' }));
      live.poll();
    }
    live.poll(true);
    const { charts, panel } = live.snapshot();
    expect(charts.map((c) => c.id)).toEqual(['server-pool', 'server-cache']);
    expect(chartData(charts[0]!).labels).toHaveLength(30);
    expect(chartData(charts[0]!).datasets[0]!.data.slice(19, 23)).toEqual([0, 30, 30, 30]);
    expect(panel.figures).toEqual([{ label: 'faults on now', value: '1' }]);
    expect(panel.tables.find((t) => t.id === 'faults')?.rows[0]?.cells).toEqual(['slow-db', 'network', 'link postgres', '22.4 s', '–', 'on']);
  });
});

