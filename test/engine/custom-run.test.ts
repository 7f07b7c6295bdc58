import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createHistogram, percentileMs, recordValue, VALUE_LAYOUT } from '../../src/engine/histogram.js';
import { parseNdjsonLine } from '../../src/run-files/metrics-read.js';
import { captureIO } from '../helpers/io.js';

/**
 * Custom metrics through `codestorm run`, in-process, against a local server that hands out the
 * numbers 1, 2, 3 … one per request: the fixture journey (test/fixtures/metrics-journeys.mjs)
 * records each kind of metric from its number, so every metric's exact value is known here.
 */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const JOURNEYS = path.join(FIXTURES, 'metrics-journeys.mjs');
const MISUSE = path.join(FIXTURES, 'metrics-misuse.mjs');
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/codestorm.js');

let server: http.Server;
let origin = '';
let issued: number[] = [];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-custom-run-'));

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    const n = issued.length + 1;
    issued.push(n);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

function scenario(name: string, body: string, module = JOURNEYS): string {
  const file = path.join(scratch, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nseed: 7\ntarget: ${origin}\nmodule: ${module}\n${body}`);
  return file;
}

async function run(file: string, ...flags: string[]) {
  issued = [];
  const dir = path.join(scratch, `${path.basename(file, '.yaml')}-run`);
  const cli = captureIO();
  const code = await main(['run', file, '--out', dir, '--quiet', ...flags], cli);
  const summaryFile = path.join(dir, 'summary.json');
  const summary = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) : undefined;
  return { code, dir, summary, out: cli.out(), err: cli.err() };
}

const LOAD = 'load: { executor: constant-arrival-rate, rate: 40, duration: 3s }\n';
const round = (v: number) => Math.round(v * 1000) / 1000;
const okOf = (summary: { thresholds: { metric: string; expr: string; ok: boolean }[] }) =>
  Object.fromEntries(summary.thresholds.map((t) => [`${t.metric}: ${t.expr}`, t.ok]));

describe('custom metrics through codestorm run', () => {
  it('two workers: each metric recorded per second and merged exactly', async () => {
    const result = await run(scenario('merged', LOAD), '--workers', '2');
    expect(result.code, result.err).toBe(0);
    const n = issued.length;
    expect(n).toBe(120);
    const even = issued.filter((x) => x % 2 === 0).length;

    // metrics.ndjson: declarations first, then per-second lines that add up to the run.
    const records = readFileSync(path.join(result.dir, 'metrics.ndjson'), 'utf8').trim().split('\n').map((l, i) => parseNdjsonLine(l, `metrics.ndjson:${i + 1}`));
    const firstSecond = records.findIndex((r) => r.kind === 'totals');
    expect(records.slice(0, firstSecond).map((r) => (r.kind === 'metric' ? r.metric : r.kind))).toEqual(['last_thing', 'never_recorded', 'thing_clock', 'thing_size', 'things_done', 'things_even']);
    const cells = records.flatMap((r) => (r.kind === 'custom' ? [r] : []));
    expect(new Set(cells.map((c) => c.t)).size).toBeGreaterThanOrEqual(2);
    const sum = (metric: string, tags: object, field: 'sum' | 'count') =>
      cells.filter((c) => c.cell.metric === metric && JSON.stringify(c.cell.tags) === JSON.stringify(tags)).reduce((s, c) => s + c.cell[field], 0);
    expect(sum('things_done', {}, 'sum')).toBe(n);
    expect(sum('things_done', { parity: 'even' }, 'sum')).toBe(even);
    expect(sum('things_done', { parity: 'odd' }, 'sum')).toBe(n - even);
    expect(sum('things_even', {}, 'sum')).toBe(even);
    expect(sum('things_even', {}, 'count')).toBe(n);
    expect(cells.some((c) => c.cell.metric === 'never_recorded')).toBe(false);

    // summary.json, k6's handleSummary shape: counters and rates exact, the trend's percentiles
    // those of one histogram of every value the journeys recorded.
    const m = result.summary.metrics;
    expect(m.things_done).toMatchObject({ type: 'counter', contains: 'default', description: 'things the journey did', values: { count: 2 * n } });
    expect(m.things_done.byTags).toEqual([
      { tags: { parity: 'even' }, values: { count: even, rate: round(even / result.summary.durationS) } },
      { tags: { parity: 'odd' }, values: { count: n - even, rate: round((n - even) / result.summary.durationS) } },
    ]);
    expect(m.things_even.values).toEqual({ rate: round(even / n), passes: even, fails: n - even });
    const sizes = issued.map((x) => x * 1.5 + 0.25);
    const single = createHistogram(VALUE_LAYOUT);
    for (const v of sizes) recordValue(single, v);
    const min = Math.min(...sizes);
    const max = Math.max(...sizes);
    const p = (q: number) => Math.min(max, Math.max(min, percentileMs(single, q)));
    expect(m.thing_size).toMatchObject({ type: 'trend', contains: 'time', unit: 'ms' });
    expect(m.thing_size.values).toEqual({ avg: round(sizes.reduce((a, b) => a + b, 0) / n), min, med: p(50), max, 'p(90)': p(90), 'p(95)': p(95), 'p(99)': p(99) });
    expect(m.thing_clock.values.min).toBe(9 * 3600 + 1);
    expect(m.never_recorded.values).toEqual({ rate: null, passes: 0, fails: 0 });
    // The gauge: min and max exact; the latest value is the last one recorded in time, which
    // across two threads is the last number handed out or one just before it.
    expect(m.last_thing.values.min).toBe(1);
    expect(m.last_thing.values.max).toBe(n);
    expect(m.last_thing.values.value).toBeGreaterThanOrEqual(n - 3);
    // The human summary lists them.
    expect(result.out).toMatch(/metric {5}things_done: 240 \(/);
  }, 60_000);

  it('thresholds on each kind of custom metric hold: exit 0', async () => {
    const result = await run(
      scenario(
        'held',
        `${LOAD}thresholds:
  things_done: ["count==240", "rate>20"]
  "things_done{parity:odd}": ["count==60"]
  things_even: ["rate==0.5"]
  last_thing: ["max==120", "min==1"]
  thing_size: ["p(95)<1s", "max<=180.25ms", "avg>90"]
  thing_clock: ["max<09:03", "min>=09:00:01"]
  never_recorded: ["rate>0.99"]
`,
      ),
      '--workers',
      '2',
    );
    expect(result.code, result.err).toBe(0);
    expect(Object.values(okOf(result.summary)).every(Boolean)).toBe(true);
    expect(result.summary.metrics.things_done.thresholds).toEqual({ 'count==240': { ok: true }, 'rate>20': { ok: true }, 'things_done{parity:odd}: count==60': { ok: true } });
  }, 60_000);

  it('thresholds on each kind of custom metric fail: exit 99', async () => {
    const result = await run(
      scenario(
        'failed',
        `${LOAD}thresholds:
  things_done: ["count<100"]
  "things_done{parity:even}": ["count>60"]
  things_even: ["rate>0.9"]
  last_thing: ["max<50"]
  thing_size: ["p(95)<100ms"]
  thing_clock: ["max<09:01"]
  http_req_failed: ["rate<0.01"]
`,
      ),
      '--workers',
      '1',
    );
    expect(result.code).toBe(99);
    expect(okOf(result.summary)).toEqual({
      'things_done: count<100': false,
      'things_done{parity:even}: count>60': false,
      'things_even: rate>0.9': false,
      'last_thing: max<50': false,
      'thing_size: p(95)<100ms': false,
      'thing_clock: max<09:01': false,
      'http_req_failed: rate<0.01': true,
    });
    expect(result.out).toMatch(/✗ things_done: count<100 \(240\)/);
  }, 60_000);

  it('abortOnFail on a custom metric stops the run early: exit 99', async () => {
    const started = Date.now();
    const result = await run(
      scenario('aborted', `load: { executor: constant-arrival-rate, rate: 40, duration: 30s }\nthresholds:\n  things_done:\n    - { threshold: "count<100", abortOnFail: true }\n`),
      '--workers',
      '1',
    );
    expect(result.code).toBe(99);
    expect(result.summary.stopped).toBe('threshold');
    expect(result.summary.durationS).toBeLessThan(10);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it('a threshold on an undeclared metric: exit 2 naming the file, the key and the declared metrics; nothing started', async () => {
    const file = scenario('undeclared', `${LOAD}thresholds:\n  "people_sampled{method:manual}": ["count>1000"]\n`);
    const result = await run(file);
    expect(result.code).toBe(2);
    const lines = result.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${file}:`);
    expect(lines[0]).toContain('thresholds.people_sampled{method:manual}: unknown metric "people_sampled"');
    expect(lines[0]).toContain('metrics-journeys.mjs declares: things_done, things_even, last_thing, thing_size, thing_clock, never_recorded');
    expect(issued).toEqual([]);
    expect(existsSync(result.dir)).toBe(false);
  });

  it('a journey that records an undeclared metric stops the run: exit 2 naming the module and the metric', async () => {
    const result = await run(scenario('misuse', `load: { executor: constant-arrival-rate, rate: 20, duration: 20s }\n`, MISUSE), '--workers', '1');
    expect(result.code).toBe(2);
    expect(result.err).toContain(`codestorm: ${MISUSE}: metric "undeclared_one" is not declared (declared: declared_one)`);
    expect(issued.length).toBeGreaterThan(0);
    expect(issued.length).toBeLessThan(100); // stopped at once, not after 20 s
  }, 60_000);

  it('codestorm report re-renders the same section from the files alone, and compare puts two runs side by side', async () => {
    const first = await run(scenario('rendered', LOAD), '--workers', '1');
    expect(first.code, first.err).toBe(0);
    const section = (dir: string) => /<section id="people">.*?<\/section>/s.exec(readFileSync(path.join(dir, 'report.html'), 'utf8'))?.[0];
    const table = (dir: string) => /## What it meant for people\n[\s\S]*?\n\n/.exec(readFileSync(path.join(dir, 'summary.md'), 'utf8'))?.[0];
    const html = section(first.dir);
    const md = table(first.dir);
    expect(html).toContain('<h2>What it meant for people</h2>');
    expect(html).toContain('things the journey did');
    expect(html).toContain('<canvas id="chart-custom-metrics"');
    expect(md).toMatch(/\| `things_done` \| things the journey did \| 240 \(/);
    expect(md).toMatch(/\| ↳ `things_done\{parity:even\}` \| {2}\| 60 \(/);
    expect(existsSync(path.join(first.dir, 'charts', 'custom-metrics.png'))).toBe(true);

    // The module is gone: the run directory alone must do.
    const moved = path.join(scratch, 'moved-run');
    rmSync(moved, { recursive: true, force: true });
    cpSync(first.dir, moved, { recursive: true });
    writeFileSync(path.join(moved, 'scenario.yaml'), readFileSync(path.join(moved, 'scenario.yaml'), 'utf8').replace(JOURNEYS, '/nowhere/journeys.mjs'));
    rmSync(path.join(moved, 'report.html'));
    const cli = captureIO();
    expect(await main(['report', moved], cli), cli.err()).toBe(0);
    expect(section(moved)).toBe(html);
    expect(table(moved)).toBe(md);

    const cmp = captureIO();
    expect(await main(['compare', first.dir, moved, '--json'], cmp), cmp.err()).toBe(0);
    const rows = JSON.parse(cmp.out()).differences.filter((d: { what: string }) => d.what.startsWith('thing'));
    expect(rows).toContainEqual({ what: 'things_done count', a: 240, b: 240, changePct: 0 });
    expect(rows.map((d: { what: string }) => d.what)).toEqual(['thing_clock p(95)', 'thing_clock avg', 'thing_size p(95)', 'thing_size avg', 'things_done count', 'things_done rate', 'things_even rate']);
  }, 60_000);
});

describe('a journey module in TypeScript, with no build step', () => {
  const TS_JOURNEYS = path.join(FIXTURES, 'ts-journeys', 'journeys.ts');

  it('runs in every worker, its custom metrics exact, its thresholds checked before the run', async () => {
    const file = scenario('ts-module', `${LOAD}thresholds:\n  items_ordered: ["count>0"]\n  basket_size: ["max<=3"]\n`, TS_JOURNEYS);
    const result = await run(file, '--workers', '2');
    expect(result.code, result.err).toBe(0);
    expect(issued.length).toBe(120);
    // Order n's basket holds n mod 3 + 1 items (basket.ts, imported as ./basket.js).
    const items = issued.reduce((sum, n) => sum + (n % 3) + 1, 0);
    const m = result.summary.metrics;
    expect(m.items_ordered).toMatchObject({ type: 'counter', values: { count: items } });
    expect(m.basket_size.values).toMatchObject({ min: 1, max: 3 });
    expect(okOf(result.summary)).toEqual({ 'items_ordered: count>0': true, 'basket_size: max<=3': true });
  });

  it('refuses a threshold on a metric it does not declare, and a module that does not compile, naming the file (exit 2)', async () => {
    const undeclared = await run(scenario('ts-undeclared', `${LOAD}thresholds:\n  items_returned: ["count==0"]\n`, TS_JOURNEYS));
    expect(undeclared.code).toBe(2);
    expect(undeclared.err).toMatch(/items_returned/);
    const broken = path.join(scratch, 'broken.ts');
    writeFileSync(broken, 'export const journeys = (: number) => [];\n');
    const bad = await run(scenario('ts-broken', LOAD, broken));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/broken\.ts: cannot load the journey module/);
    // The same through the built command line, whose main thread loads .ts through the hooks.
    const cli = (yaml: string) => spawnSync(process.execPath, [BIN, 'validate', yaml], { encoding: 'utf8' });
    expect(cli(scenario('ts-cli', LOAD, TS_JOURNEYS)).status).toBe(0);
    const refused = cli(scenario('ts-cli-broken', LOAD, broken));
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/broken\.ts: cannot load the journey module/);
  });

  it('exports to k6 as one bundled script', async () => {
    const out = path.join(scratch, 'ts-k6');
    const cli = captureIO();
    expect(await main(['export', 'k6', scenario('ts-export', LOAD, TS_JOURNEYS), '--out', out], cli), cli.err()).toBe(0);
    const script = readFileSync(path.join(out, 'script.js'), 'utf8');
    expect(script).toContain('function basketOf(');
    expect(script).toContain('"items_ordered"');
    expect(script).toMatch(/import \{[^}]*Counter[^}]*\} from "k6\/metrics"/);
    expect(script).not.toMatch(/: Basket\b|interface Basket/);
  });
});
