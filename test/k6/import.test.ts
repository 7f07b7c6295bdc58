import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/io.js';
import { k6Runner, T0 } from '../helpers/k6-json.js';

/**
 * `codestorm report --from-k6`: two runners' k6 results of one test made into one run directory,
 * judged over the whole test. The latencies are known (1..1000 ms on one runner, 1001..2000 ms on
 * the other), and each runner dropped 60 arrivals against a `count<100` threshold: each alone
 * passes it, the whole test does not, which the k6-operator's per-runner verdicts cannot see.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'codestorm-k6-import-'));
const a = k6Runner(dir, 'runner-1.json', Array.from({ length: 1000 }, (_, i) => i + 1), 60, 0);
const b = k6Runner(dir, 'runner-2.json.gz', Array.from({ length: 1000 }, (_, i) => 1001 + i), 60, 3_500, true);
const scenario = path.join(dir, 'exported.yaml');
writeFileSync(
  scenario,
  [
    'name: k6-two-runners',
    'seed: 7',
    'target: http://127.0.0.1:9',
    'load: { executor: constant-arrival-rate, rate: 200, duration: 10s }',
    'journeys:',
    '  - { name: j, steps: [ { name: code, request: { url: "/api/v1/code" } } ] }',
    'thresholds:',
    '  dropped_iterations: ["count<100"]',
    '  http_req_duration: ["p(99)<2500"]',
    'slo:',
    '  window: 5s',
    '  http_req_duration: ["p(99)<3000"]',
    '',
  ].join('\n'),
);

async function fromK6(files: readonly string[], out: string) {
  const io = captureIO();
  const code = await main(['report', '--scenario', scenario, '--out', out, '--from-k6', ...files], io);
  return { code, io };
}

describe('report --from-k6', () => {
  it('passes each runner alone and fails the whole test on a threshold only the whole breaks (exit 99)', async () => {
    for (const [i, file] of [a, b].entries()) {
      const { code, io } = await fromK6([file], path.join(dir, `alone-${i}`));
      expect(code, io.err()).toBe(0);
    }
    const out = path.join(dir, 'merged');
    const { code, io } = await fromK6([a, b], out);
    expect(code, io.err()).toBe(99);
    expect(io.out()).toMatch(/FAIL over 2 k6 runners .*2,000 requests/);
    expect(io.out()).toMatch(/threshold failed: dropped_iterations: count<100 \(120\)/);
    for (const f of ['metrics.ndjson', 'scenario.yaml', 'summary.json', 'summary.md', 'junit.xml', 'report.html']) expect(existsSync(path.join(out, f)), f).toBe(true);
  });

  it('gives counts equal to the runners\' sum and percentiles within HDR precision of the truth', async () => {
    const out = path.join(dir, 'counts');
    await fromK6([a, b], out);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.requests).toMatchObject({ total: 2000, ok: 2000, dropped: 120 });
    // The truth over 1..2000 ms: p50 = 1000, p95 = 1900, p99 = 1980.
    for (const [p, truth] of [['p50', 1000], ['p95', 1900], ['p99', 1980]] as const) {
      expect(Math.abs(summary.latencyMs[p] - truth) / truth, p).toBeLessThan(0.002);
    }
    expect(summary.metrics.people_sampled.values.count).toBe(200);
    expect(summary.thresholds).toEqual([
      { metric: 'dropped_iterations', expr: 'count<100', ok: false, value: 120 },
      { metric: 'http_req_duration', expr: 'p(99)<2500', ok: true, value: expect.closeTo(1980, -1) },
    ]);
  });

  it('re-renders with report RUN_DIR to the same summary', async () => {
    const out = path.join(dir, 'again');
    await fromK6([a, b], out);
    const first = readFileSync(path.join(out, 'summary.json'), 'utf8');
    const io = captureIO();
    expect(await main(['report', out], io)).toBe(99);
    expect(readFileSync(path.join(out, 'summary.json'), 'utf8')).toBe(first);
  });

  it.each([
    [['report', '--from-k6', 'x.json'], /--scenario: missing/],
    [['report', '--scenario', 'nope.yaml', '--from-k6', 'x.json'], /--scenario: nope\.yaml: no such file/],
    [['report', '--scenario', 's.yaml'], /expected a run directory, or --from-k6|--scenario: only with --from-k6/],
  ])('refuses %j as invalid input (exit 2)', async (argv, message) => {
    const io = captureIO();
    expect(await main(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
  });

  it('refuses a file that is not k6 output, naming it and the line (exit 2)', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"type":"Point","metric":"http_req_duration","data":{"time":"soon","value":1}}\n');
    const { code, io } = await fromK6([bad], path.join(dir, 'bad-out'));
    expect(code).toBe(2);
    expect(io.err()).toMatch(/bad\.json:1: data\.time: expected an RFC 3339 time/);
  });
});

/**
 * A `codestorm faults` run's directory, as it writes it: the scenario, events with their `t` from
 * its second 0 (zeroMs) and their wall-clock time, and a scrape a second.
 */
function faultsRun(out: string, zeroMs: number): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'scenario.yaml'), readFileSync(scenario, 'utf8'));
  const event = (t: number, name: string, fields: Record<string, unknown> = {}) => JSON.stringify({ t, time: new Date(zeroMs + t * 1000).toISOString(), event: name, ...fields });
  const fault = { fault: 'slow-db', kind: 'network', target: 'link postgres' };
  writeFileSync(
    path.join(out, 'events.ndjson'),
    [event(-0.2, 'run-start', { mode: 'faults' }), event(2, 'fault-begin', fault), event(5, 'fault-end', { ...fault, why: 'ended' }), event(8, 'run-end')].join('\n') + '\n',
  );
  writeFileSync(path.join(out, 'server.ndjson'), Array.from({ length: 8 }, (_, i) => JSON.stringify({ t: i, metrics: { up: 1 } })).join('\n') + '\n');
}

describe('report --from-k6 --run: the load joined to a faults run', () => {
  it('puts both on one clock: second 0 is k6\'s first, the faults and scrapes move by the difference', async () => {
    // The faults run began 1.25 s after k6's first point (T0); its fault at its +2 s is at +3.25 s of the load.
    const out = path.join(dir, 'joined');
    faultsRun(out, T0 + 1_250);
    const io = captureIO();
    expect(await main(['report', '--from-k6', a, '--run', out], io), io.err()).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.faults).toMatchObject([{ name: 'slow-db', kind: 'network', target: 'link postgres', startS: 3.25, endS: 6.25, failed: null }]);
    expect(summary.requests.total).toBe(1000);
    const events = readFileSync(path.join(out, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.t)).toEqual([1.05, 3.25, 6.25, 9.25]);
    // Wall-clock times stay as they were.
    expect(events[1].time).toBe(new Date(T0 + 3_250).toISOString());
    const scrapes = readFileSync(path.join(out, 'server.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(scrapes.map((s) => s.t)).toEqual([1.3, 2.3, 3.3, 4.3, 5.3, 6.3, 7.3, 8.3]);
    expect(io.out()).toMatch(/fault +slow-db \(network on link postgres\) \+3\.25s → \+6\.25s/);
    // The report's analysis sees the fault on the load's seconds, as for any run.
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toMatch(/slow-db/);
  });

  it('moves the faults back when k6 began after them', async () => {
    const out = path.join(dir, 'joined-late');
    faultsRun(out, T0 - 1_500);
    expect(await main(['report', '--from-k6', a, '--run', out], captureIO())).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.faults[0]).toMatchObject({ startS: 0.5, endS: 3.5 });
  });

  it('joins once: a directory that already holds metrics is refused, as is one with no events, or --out beside --run (exit 2)', async () => {
    const out = path.join(dir, 'joined-twice');
    faultsRun(out, T0);
    expect(await main(['report', '--from-k6', a, '--run', out], captureIO())).toBe(0);
    const before = readFileSync(path.join(out, 'events.ndjson'), 'utf8');
    const again = captureIO();
    expect(await main(['report', '--from-k6', a, '--run', out], again)).toBe(2);
    expect(again.err()).toMatch(/--run: .*joined-twice: already holds metrics\.ndjson/);
    expect(readFileSync(path.join(out, 'events.ndjson'), 'utf8')).toBe(before);

    const empty = path.join(dir, 'not-a-faults-run');
    mkdirSync(empty, { recursive: true });
    writeFileSync(path.join(empty, 'scenario.yaml'), readFileSync(scenario, 'utf8'));
    const none = captureIO();
    expect(await main(['report', '--from-k6', a, '--run', empty], none)).toBe(2);
    expect(none.err()).toMatch(/--run: .*not-a-faults-run: no events\.ndjson; expected the run directory of codestorm faults/);
    expect(existsSync(path.join(empty, 'metrics.ndjson'))).toBe(false);

    const both = captureIO();
    expect(await main(['report', '--from-k6', a, '--run', out, '--out', empty], both)).toBe(2);
    expect(both.err()).toMatch(/--out: not with --run/);
  });
});
