/// <reference lib="dom" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/analyze/capacity.js';
import { overloadStep } from '../../src/analyze/overload.js';
import { judge } from '../../src/analyze/capacity-verdict.js';
import { renderCapacityHtml } from '../../src/report/capacity.js';
import { which } from '../../src/stack/tools.js';

/**
 * capacity.html as a person opens it, in headless Chromium: both charts drawn, the goodput one
 * with the capacity, the knee and the plateau and cliff bands marked, no console errors.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-capacity-browser-'));
let browser: Browser;

beforeAll(async () => {
  const executablePath = process.env['CHROMIUM_PATH'] ?? (await which('chromium')) ?? (await which('chromium-browser'));
  if (executablePath === undefined) throw new Error('no chromium on PATH: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH');
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
});

afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const step = (rateRps: number, ok: boolean, goodputRps: number, counts: StepResult['byOutcome'], p99Ms: number): StepResult => ({
  rateRps,
  ok,
  reason: ok ? null : 'p(99)<100 failed',
  p50Ms: p99Ms / 3,
  p99Ms,
  p99IntervalMs: [p99Ms * 0.9, p99Ms * 1.2],
  errorRate: 0,
  goodRps: goodputRps,
  goodputRps,
  byOutcome: counts,
  late: 0,
  dropped: 0,
});

describe('capacity.html in headless Chromium', () => {
  it('draws goodput against offered load with a cliff past the knee, and latency against rate', async () => {
    const steps = [step(100, true, 100, { ok: 300 }, 8), step(200, true, 198, { ok: 600 }, 20), step(400, false, 120, { ok: 1200 }, 900), step(300, false, 150, { ok: 900 }, 400), step(250, false, 170, { ok: 750 }, 150)];
    const overload = [
      overloadStep(step(300, false, 40, { ok: 900 }, 1_500), 1.5, 198),
      overloadStep(step(400, false, 12, { ok: 1_100, timeout: 100 }, 3_000), 2, 198),
      overloadStep(step(600, false, 3, { ok: 900, timeout: 900 }, 9_000), 3, 198),
    ];
    const report = judge(
      { capacityRps: 200, failedAtRps: 250, uncertaintyRps: 25, sloHeld: true, knee: steps[1]!, steps },
      { scenario: 'known', target: 'http://127.0.0.1:1', slo: [], baseline: undefined, maxRegression: 10, runDir: 'r', maxRps: 20_000, profile: 'fragile', settings: { coalesce: true }, overload: { peakGoodputRps: 198, steps: overload, shape: 'cliff' }, goodputLimitMs: 100 },
    );
    const file = path.join(scratch, 'capacity.html');
    writeFileSync(file, renderCapacityHtml(report));

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => document.body.getAttribute('data-charts-drawn') !== null);
    const canvases = await page.$$eval('canvas', (list) =>
      list.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++;
        return { id: canvas.id, painted };
      }),
    );
    expect(problems).toEqual([]);
    expect(canvases.map((c) => c.id)).toEqual(['chart-capacity', 'chart-goodput']);
    for (const c of canvases) expect(c.painted, c.id).toBeGreaterThan(2_000);
    const goodput = await page.evaluate(() => {
      const chart = (window as unknown as { Chart: { getChart(c: Element): { data: { datasets: { label: string; data: { x: number; y: number }[] }[] }; options: { plugins: { annotation: { annotations: Record<string, unknown> } } } } | undefined } }).Chart;
      const c = chart.getChart(document.getElementById('chart-goodput')!)!;
      return { datasets: c.data.datasets.map((d) => ({ label: d.label, points: d.data.length })), annotations: Object.keys(c.options.plugins.annotation.annotations).sort(), overload: c.data.datasets[1]!.data };
    });
    expect(goodput.annotations).toEqual(['capacity', 'cliff', 'knee', 'knee-label', 'plateau']);
    expect(goodput.datasets.map((d) => d.points)).toEqual([5, 4, 2]);
    // From the knee down the cliff.
    expect(goodput.overload).toEqual([{ x: 200, y: 198 }, { x: 300, y: 40 }, { x: 400, y: 12 }, { x: 600, y: 3 }]);
    const text = await page.textContent('body');
    expect(text).toContain('cliff: at 2× (400/s) it kept 6.1 % of its peak goodput (198/s)');
    expect(text).toContain('profile fragile, coalesce=true');
    await page.close();
  }, 60_000);
});
