/// <reference lib="dom" />
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ManagedChild } from '../../src/stack/child.js';
import { freePort, waitForPort } from '../../src/stack/ports.js';
import { Teardown } from '../../src/stack/teardown.js';
import { which } from '../../src/stack/tools.js';
import { addLink, startToxiproxy } from '../../src/stack/toxiproxy.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The live dashboard as a person watches it: `codestorm run --dashboard` (in-process) for 15 s
 * against a local target behind a real Toxiproxy, a latency fault from 5 s to 9 s, and headless
 * Chromium on the page. It must see the throughput chart gain points second after second, the
 * fault's window within 2 s of the fault's begin event, and at the end the verdict and a link
 * to the report, with no console error; a second page opened part-way must show the seconds
 * before it opened, and a page in the background must keep its points but leave its panel unbuilt
 * until it is shown. The run directory and the screenshot stay in reports/test-dashboard/.
 */
const OUT = path.resolve(import.meta.dirname, '../../reports/test-dashboard');
const RUN = path.join(OUT, 'run');
const teardown = new Teardown();
let browser: Browser;
let stop: () => void = () => {};
let exited: Promise<number>;
let stderr = '';
let url = '';
let pageA: Page;
const problems: string[] = [];

/** One look at the page: the throughput chart's points, whether the fault's window is drawn, the state. */
interface Look {
  readonly at: number;
  readonly points: number;
  readonly fault: boolean;
  readonly state: string | null;
}
const looks: Look[] = [];
let looking = true;

function watch(page: Page, name: string): void {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
}

const look = (page: Page) =>
  page.evaluate(() => {
    const Chart = (window as unknown as { Chart: { getChart(c: Element): { data: { labels: unknown[]; datasets: { data: unknown[] }[] }; options: { plugins: { annotation: { annotations: Record<string, { xMin: number }> } } } } | undefined } }).Chart;
    const canvas = document.getElementById('chart-throughput');
    const chart = canvas === null ? undefined : Chart.getChart(canvas);
    const achieved = chart?.data.datasets[1]?.data.filter((v) => v !== null).length ?? 0;
    const box = chart?.options.plugins.annotation.annotations['fault0'];
    const labels = chart?.data.labels.length ?? 0;
    return { points: achieved, fault: box !== undefined && box.xMin <= labels - 1, state: document.body.getAttribute('data-state') };
  });

beforeAll(async () => {
  const executablePath = process.env['CHROMIUM_PATH'] ?? (await which('chromium')) ?? (await which('chromium-browser'));
  if (executablePath === undefined) throw new Error('no chromium on PATH: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH');
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const [launched, toxiproxy, port] = await Promise.all([chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] }), startToxiproxy(teardown, () => {}), freePort()]);
  browser = launched;
  teardown.add('close chromium', () => browser.close());
  const target = new ManagedChild(process.execPath, ['-e', "require('node:http').createServer((q, s) => { q.resume(); s.end('ok'); }).listen(Number(process.argv[1]), '127.0.0.1')", String(port)], { name: 'target' });
  teardown.add('stop the target', () => target.stop().then(() => undefined));
  await waitForPort(port, { what: 'target' });
  const link = await addLink(toxiproxy, teardown, 'target', `127.0.0.1:${port}`);
  const scenario = path.join(OUT, 'live.yaml');
  writeFileSync(
    scenario,
    `name: live\nseed: 5\ntarget: http://${link.host}:${link.port}\nload: { executor: constant-arrival-rate, rate: 40, duration: 15s }\n` +
      'journeys:\n  - { name: get, steps: [ { name: ping, request: { url: "/" } } ] }\n' +
      'thresholds:\n  http_req_duration: ["p(95)<1000"]\n' +
      'faults:\n  - { name: slow-link, kind: network, link: target, toxic: latency, attributes: { latency: 150 }, at: "+5s", duration: 4s }\n',
  );
  const interrupted = new Promise<NodeJS.Signals>((resolve) => (stop = () => resolve('SIGINT')));
  const io = { stdout: () => {}, stderr: (t: string) => void (stderr += t), env: { ...process.env, TOXIPROXY_URL: toxiproxy.apiUrl }, stderrIsTTY: false, interrupted };
  exited = main(['run', scenario, '--out', RUN, '--workers', '1', '--quiet', '--dashboard', '--dashboard-linger', '60s'], io);
  url = await waitFor('the dashboard\'s address on stderr', () => /live dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1], 30_000, 50);
  pageA = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  watch(pageA, 'page A');
  await pageA.goto(url);
  void (async () => {
    while (looking) {
      try {
        looks.push({ at: Date.now(), ...(await look(pageA)) });
      } catch {
        // the page is between two documents
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
}, 60_000);

afterAll(async () => {
  looking = false;
  stop();
  await exited?.catch(() => undefined);
  await teardown.run();
});

describe('the live dashboard in headless Chromium', () => {
  it('a page opened part-way shows the seconds before it opened', async () => {
    await waitFor('six seconds on page A', () => (looks.at(-1)?.points ?? 0) >= 6 || undefined, 30_000, 100);
    const before = looks.at(-1)!.points;
    const pageB = await browser.newPage();
    watch(pageB, 'page B');
    await pageB.goto(url);
    // The first thing it draws is the snapshot: every second so far, from second 0.
    await pageB.waitForFunction(() => document.body.getAttribute('data-seq') !== null);
    const first = await pageB.evaluate(() => {
      const Chart = (window as unknown as { Chart: { getChart(c: Element): { data: { labels: unknown[]; datasets: { data: unknown[] }[] } } | undefined } }).Chart;
      const chart = Chart.getChart(document.getElementById('chart-throughput')!)!;
      return { labels: chart.data.labels.slice(0, 3), points: chart.data.datasets[1]!.data.filter((v) => v !== null).length, charts: Number(document.body.getAttribute('data-charts')) };
    });
    expect(first.labels).toEqual([0, 1, 2]);
    expect(first.points).toBeGreaterThanOrEqual(before);
    expect(first.charts).toBeGreaterThanOrEqual(5);
    await pageB.close();
  }, 60_000);

  it('a tab in the background keeps its points but builds its panel only when it is shown', async () => {
    const pageC = await browser.newPage();
    watch(pageC, 'page C');
    // What a browser tells a tab in the background (headless Chromium shows every page).
    await pageC.addInitScript(() => {
      const w = window as unknown as { behind: boolean; panelChanges: number };
      w.behind = true;
      w.panelChanges = 0;
      Object.defineProperty(document, 'hidden', { get: () => w.behind });
      Object.defineProperty(document, 'visibilityState', { get: () => (w.behind ? 'hidden' : 'visible') });
      document.addEventListener('DOMContentLoaded', () => {
        new MutationObserver((m) => void (w.panelChanges += m.length)).observe(document.getElementById('figures')!, { childList: true });
      });
    });
    await pageC.goto(url);
    await pageC.waitForFunction(() => document.body.getAttribute('data-seq') !== null);
    const opened = { seq: Number(await pageC.getAttribute('body', 'data-seq')), points: (await look(pageC)).points };
    await pageC.waitForFunction((seq) => Number(document.body.getAttribute('data-seq')) >= seq + 2, opened.seq, { timeout: 10_000 });
    const behind = await pageC.evaluate(() => ({ changes: (window as unknown as { panelChanges: number }).panelChanges, figures: document.getElementById('figures')!.childElementCount }));
    expect(behind).toEqual({ changes: 0, figures: 0 });
    expect((await look(pageC)).points).toBeGreaterThan(opened.points);
    await pageC.evaluate(() => {
      (window as unknown as { behind: boolean }).behind = false;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const shown = await pageC.evaluate(() => ({ changes: (window as unknown as { panelChanges: number }).panelChanges, figures: document.getElementById('figures')!.childElementCount, state: document.getElementById('state')!.textContent }));
    expect(shown.changes).toBeGreaterThan(0);
    expect(shown.figures).toBeGreaterThan(0);
    expect(shown.state).not.toBe('');
    await pageC.close();
  }, 60_000);

  it('shows points second after second, the fault window within 2 s of its begin, then the verdict and the report', async () => {
    await pageA.waitForFunction(() => document.body.getAttribute('data-state') === 'pass', undefined, { timeout: 60_000 });
    looking = false;
    // Points grew in at least three successive seconds.
    const growth = looks.filter((l, i) => i > 0 && l.points > looks[i - 1]!.points);
    const spaced = growth.filter((l, i) => i === 0 || l.at - growth[i - 1]!.at >= 500);
    expect(spaced.length, JSON.stringify(growth.map((g) => g.points))).toBeGreaterThanOrEqual(3);
    // The fault's window, from the wall-clock time of its begin event.
    const events = readFileSync(path.join(RUN, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; time: string });
    const begin = Date.parse(events.find((e) => e.event === 'fault-begin')!.time);
    const shown = looks.find((l) => l.fault);
    expect(shown, 'the fault window never showed').toBeDefined();
    expect(shown!.at - begin, 'ms from the fault-begin event to its window on the page').toBeLessThan(2_000);
    // The verdict and the link to the report, which the dashboard serves.
    const end = await pageA.textContent('#end');
    expect(end).toMatch(/^PASS live: \d+ requests, p99 [\d.]+ ms; 1 of 1 thresholds held; no breaking point\./);
    const href = await pageA.getAttribute('#report-link', 'href');
    const report = await fetch(new URL(href!, url));
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('<title>codestorm: live</title>');
    const screenshot = path.join(OUT, 'dashboard.png');
    await pageA.screenshot({ path: screenshot, fullPage: true });
    expect(statSync(screenshot).size).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    await pageA.close();
    stop();
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/the dashboard stays up for 60 s/);
  }, 90_000);
});
