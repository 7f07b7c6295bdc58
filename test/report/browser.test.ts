/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CustomRecorder } from '../../src/engine/custom-metrics.js';
import { checkDeclarations } from '../../src/engine/metric-declarations.js';
import { mergeWire, SecondMetrics } from '../../src/engine/second.js';
import { declarationLines, toNdjsonLine } from '../../src/run-files/metrics.js';
import { which } from '../../src/stack/tools.js';
import { captureIO } from '../helpers/io.js';

/**
 * report.html as a person opens it: from disk, offline, in real headless Chromium (Debian's
 * `chromium`, driven by playwright-core; .ci/run installs it). No console errors, every chart's
 * canvas drawn, and a screenshot kept in the run directory.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-browser-'));
let browser: Browser;

const io = captureIO;

const DECLARED = checkDeclarations(
  {
    people_served: { type: 'counter', description: 'people who got what they came for' },
    served_first_time: { type: 'rate', description: 'share served at the first try' },
    wait: { type: 'trend', description: 'how long a person waited', unit: 'ms' },
  },
  'synthetic.js',
);

/** A run directory with a surge, a fault, a server scrape and custom metrics: every kind of chart has data. */
function syntheticRun(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [declarationLines(DECLARED)];
  const scrapes: string[] = [];
  for (let t = 0; t < 60; t++) {
    const m = new SecondMetrics(t);
    const custom = new CustomRecorder(DECLARED, 'synthetic.js', (series, value) => m.custom(series, value, t * 1000), (message) => {
      throw new Error(message);
    }).metrics;
    const served = t >= 25 && t < 40 ? 20 : t === 44 ? 212 : 90;
    custom.counter('people_served', served, { via: t % 2 === 0 ? 'app' : 'desk' });
    for (let i = 0; i < 10; i++) custom.rate('served_first_time', i < (t >= 25 && t < 40 ? 3 : 9));
    custom.trend('wait', t >= 25 && t < 40 ? 2_500 : 30);
    const offered = t >= 20 && t < 35 ? 400 : 100;
    m.offered(offered);
    m.started(offered);
    m.inFlight(t >= 20 && t < 40 ? 300 : 10);
    const failing = t >= 25 && t < 40;
    for (let i = 0; i < offered; i++) {
      const name = i % 3 === 0 ? 'session' : 'code';
      m.request(name, failing && i % 2 === 0 ? 'timeout' : 'ok', (failing ? 2_500 : 20 + (i % 50)) * 1000, 10_000);
    }
    lines.push(toNdjsonLine(mergeWire([m.toWire()])));
    scrapes.push(JSON.stringify({ t: t + 0.2, metrics: { 'db_pool_waiting{worker="1"}': failing ? 40 : 0, 'cache_requests_total{outcome="hit",worker="1"}': t * 90, 'cache_requests_total{outcome="miss",worker="1"}': t * 10, 'nodejs_eventloop_lag_seconds{worker="1"}': failing ? 0.2 : 0.01 } }));
  }
  writeFileSync(path.join(dir, 'metrics.ndjson'), lines.join(''));
  writeFileSync(path.join(dir, 'server.ndjson'), `${scrapes.join('\n')}\n`);
  writeFileSync(
    path.join(dir, 'events.ndjson'),
    [
      { t: 25, event: 'fault-begin', fault: 'slow-db', kind: 'network', target: 'link postgres' },
      { t: 40, event: 'fault-end', fault: 'slow-db', kind: 'network', target: 'link postgres' },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n') + '\n',
  );
  writeFileSync(
    path.join(dir, 'scenario.yaml'),
    'name: synthetic\nseed: 1\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 100, duration: 60s }\njourneys:\n  - { name: j, steps: [ { name: code, request: { url: "/" } } ] }\nthresholds:\n  http_req_failed: ["rate<0.01"]\nslo:\n  window: 5s\n  http_req_duration: ["p(99)<1000"]\n',
  );
  writeFileSync(
    path.join(dir, 'summary.json'),
    JSON.stringify({
      scenario: 'synthetic', seed: 1, profile: null, target: 'http://127.0.0.1:9', startedAt: '2026-01-01T00:00:00.000Z', durationS: 60,
      requests: { total: 9000, ok: 8000, failed: 1000, dropped: 0, byOutcome: {} }, rate: { offeredAvg: 150, achievedAvg: 150, peakOffered: 400 },
      latencyMs: { p50: 30, p95: 2500, p99: 2500, max: 2500 }, thresholds: [{ metric: 'http_req_failed', expr: 'rate<0.01', ok: false, value: 0.11 }],
      breakingPoint: null, faults: [{ name: 'slow-db', kind: 'network', target: 'link postgres', startS: 25, endS: 40, recoveryS: null, failed: null }],
      slo: null, capacity: null, metastable: null, stopped: null, interrupted: false, verdict: 'fail',
    }),
  );
}

beforeAll(async () => {
  const executablePath = process.env['CHROMIUM_PATH'] ?? (await which('chromium')) ?? (await which('chromium-browser'));
  if (executablePath === undefined) throw new Error('no chromium on PATH: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH');
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
});

afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it('opens from disk with no console errors and every chart drawn', async () => {
    const dir = path.join(scratch, 'run');
    syntheticRun(dir);
    const cli = io();
    expect(await main(['report', dir], cli)).toBe(99); // the run's threshold failed
    const html = path.join(dir, 'report.html');
    expect(statSync(html).size).toBeLessThan(5_000_000);
    expect(readFileSync(html, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched: it works offline

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`fetched ${r.url()}`);
    });
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction(() => document.body.getAttribute('data-charts-drawn') !== null);
    const canvases = await page.$$eval('canvas', (list) =>
      list.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const ctx = canvas.getContext('2d')!;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++;
        return { id: canvas.id, painted };
      }),
    );
    expect(problems).toEqual([]);
    expect(canvases.map((c) => c.id).sort()).toEqual(
      ['chart-custom-metrics', 'chart-errors', 'chart-in-flight', 'chart-latency', 'chart-latency-by-name', 'chart-latency-per-name', 'chart-server-cache', 'chart-server-lag', 'chart-server-pool', 'chart-throughput'].sort(),
    );
    // What the custom metrics meant, near the top: after the story, before the numbers.
    const headings = await page.$$eval('h2', (list) => list.map((h) => h.textContent));
    expect(headings.slice(0, 3)).toEqual(['What happened', 'What it meant for people', 'Numbers']);
    expect(await page.textContent('#people')).toContain('212/s at +44 s, 4 s after slow-db ended');
    expect(await page.$('#people canvas#chart-custom-metrics')).not.toBeNull();
    for (const c of canvases) expect(c.painted, c.id).toBeGreaterThan(2_000);
    // One request name at a time: the menu shows another name's percentiles.
    const shown = () =>
      page.evaluate(() => {
        const chart = (window as unknown as { Chart: { getChart(c: Element): { data: { datasets: { label: string; hidden?: boolean }[] } } | undefined } }).Chart;
        return chart.getChart(document.getElementById('chart-latency-per-name')!)!.data.datasets.filter((d) => d.hidden !== true).map((d) => d.label);
      });
    expect(await shown()).toEqual(['code p50', 'code p95', 'code p99', 'code max']);
    await page.selectOption('#choose-latency-per-name', 'session');
    expect(await shown()).toEqual(['session p50', 'session p95', 'session p99', 'session max']);
    expect(await page.textContent('body')).toContain('It broke at 25 s');
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    expect(existsSync(path.join(dir, 'report.png'))).toBe(true);
    await page.close();
    // The same charts as images, and the CI renderings.
    for (const f of ['throughput', 'latency', 'errors', 'custom-metrics']) expect(statSync(path.join(dir, 'charts', `${f}.png`)).size).toBeGreaterThan(5_000);
    expect(readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toMatch(/<testcase classname="slo" name="http_req_duration: p\(99\)&lt;1000 \(5 s windows\)">\s*<failure/);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('![throughput.png](charts/throughput.png)');
  }, 60_000);

  it('compares two runs: a page with both overlaid and a table of differences', async () => {
    const a = path.join(scratch, 'run-a');
    const b = path.join(scratch, 'run-b');
    syntheticRun(a);
    syntheticRun(b);
    // B: the same run, but every latency doubled in the summary.
    const summaryB = JSON.parse(readFileSync(path.join(b, 'summary.json'), 'utf8'));
    summaryB.latencyMs.p99 = 5000;
    writeFileSync(path.join(b, 'summary.json'), JSON.stringify(summaryB));
    const json = io();
    expect(await main(['compare', a, b, '--json'], json)).toBe(0);
    const diff = JSON.parse(json.out()).differences as { what: string; a: unknown; b: unknown; changePct: number | null }[];
    expect(diff.find((d) => d.what === 'latency p99 ms')).toEqual({ what: 'latency p99 ms', a: 2500, b: 5000, changePct: 100 });
    expect(diff.find((d) => d.what === 'breaking point (s)')).toMatchObject({ a: 25, b: 25 });

    const out = path.join(scratch, 'compare.html');
    expect(await main(['compare', a, b, '--out', out], io())).toBe(0);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(pathToFileURL(out).href);
    await page.waitForFunction(() => document.body.getAttribute('data-charts-drawn') !== null);
    expect(problems).toEqual([]);
    const labels = await page.evaluate(() => {
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { datasets: { label: string }[] } } | undefined } }).Chart;
      return [...document.querySelectorAll('canvas')].flatMap((c) => chart.getChart(c)?.data.datasets.map((d) => d.label) ?? []);
    });
    expect(labels).toContain('run-a: p99');
    expect(labels).toContain('run-b: p99');
    await page.close();
  }, 60_000);
});

