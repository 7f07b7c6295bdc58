import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIO } from '../helpers/io.js';
import { k6Runner } from '../helpers/k6-json.js';

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
