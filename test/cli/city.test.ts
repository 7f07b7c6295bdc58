import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readHistory } from '../../src/run-files/index.js';
import { packageRoot } from '../../src/package-root.js';
import { captureIO } from '../helpers/io.js';

/** validate, plan and run of a city scenario, in-process, as a user types them. */
const SCENARIOS = path.join(packageRoot(), 'scenarios');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-city-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const io = captureIO;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const x = io();
  const code = await main(argv, x);
  return { code, out: x.out(), err: x.err() };
}

describe('codestorm validate', () => {
  it('exits 0 when every file is valid', async () => {
    const files = ['smoke.yaml', 'steady-morning.yaml', 'capacity-ramp.yaml', 'xian-2022-01-04.yaml'].map((f) => path.join(SCENARIOS, f));
    const r = await cli('validate', ...files);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(4);
  });

  it('exits 2 with one line per problem, naming the file and the field, unknown keys included', async () => {
    const bad = path.join(scratch, 'bad.yaml');
    writeFileSync(
      bad,
      'name: bad\ntarget: reference\ncity:\n  clock: { start: "09:00", end: "10:00", compress: 60 }\n  population: { scale: 0.001, sclae: 2 }\n  people: { patience: soon }\njourneys:\n  - { name: r, use: resident.open-code, wieght: 2 }\n',
    );
    const good = path.join(SCENARIOS, 'smoke.yaml');
    const r = await cli('validate', good, bad);
    expect(r.code).toBe(2);
    expect(r.out).toContain('smoke.yaml: valid');
    const lines = r.err.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/bad\.yaml:5: city\.population\.sclae: unknown field$/),
        expect.stringMatching(/bad\.yaml:6: city\.people\.patience: /),
        expect.stringMatching(/bad\.yaml:8: journeys\[0\]\.wieght: unknown field$/),
      ]),
    );
    expect(lines.every((l) => l.startsWith(bad))).toBe(true);
    expect(r.err).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('exits 2 for a file that does not exist', async () => {
    const r = await cli('validate', path.join(scratch, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\.yaml: no such file/);
  });
});

describe('codestorm plan', () => {
  it('prints the same JSON bytes for the same scenario and seed, and other residents for another seed', async () => {
    const file = path.join(SCENARIOS, 'xian-2022-01-04.yaml');
    const a = await cli('plan', file, '--json');
    const b = await cli('plan', file, '--json');
    const c = await cli('plan', file, '--json', '--seed', '3');
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(c.out).city.sample).not.toEqual(JSON.parse(a.out).city.sample);
    const plan = JSON.parse(a.out);
    expect(plan.city.streams.map((s: { use: string }) => s.use)).toEqual(['resident.open-code', 'checkpoint.verify', 'sampler.table', 'lab.result']);
    expect(plan.city.people.comeBack).toEqual({ times: 3, afterMs: 2_000 });
    const text = await cli('plan', file);
    expect(text.out).toMatch(/^people: patience 3 s \(real\) on a spinner; .*elderly 40\.0 %; a code that would not show is opened again up to 3× about every 2 s \(real\)$/m);
  });

  it('describes a plain scenario too', async () => {
    const file = path.join(scratch, 'plain.yaml');
    writeFileSync(file, 'name: plain\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 50, duration: 4s }\njourneys:\n  - { name: j, steps: [ { name: s, request: { url: "/" } } ] }\n');
    const r = await cli('plan', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('load: constant-arrival-rate for 4 s, 200 arrivals expected, peak 50/s');
  });
});

describe('codestorm run scenarios/smoke.yaml', () => {
  it('runs the city end to end against the reference stack, every journey, and scrapes the server', async () => {
    const dir = path.join(scratch, 'smoke-run');
    const r = await cli('run', path.join(SCENARIOS, 'smoke.yaml'), '--out', dir, '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8'));
    expect(summary.verdict).toBe('pass');
    expect(summary.requests.total).toBeGreaterThan(1_000);
    const names = new Set(
      readFileSync(path.join(dir, 'metrics.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name as string),
    );
    for (const name of ['session', 'code', 'checkpoint.verify', 'sample.scan', 'lab.result']) expect(names).toContain(name);
    // The staff journeys carry the credentials the stack issued: none of theirs is refused.
    const staffCounts = new Map<string, Record<string, number>>();
    for (const line of readFileSync(path.join(dir, 'metrics.ndjson'), 'utf8').trim().split('\n')) {
      const l = JSON.parse(line) as { name?: string; counts?: Record<string, number> };
      if (l.name === undefined || l.counts === undefined || !/^(sample\.scan|lab\.result|checkpoint\.verify)$/.test(l.name)) continue;
      const sum = staffCounts.get(l.name) ?? {};
      for (const [outcome, n] of Object.entries(l.counts)) sum[outcome] = (sum[outcome] ?? 0) + n;
      staffCounts.set(l.name, sum);
    }
    for (const name of ['sample.scan', 'lab.result', 'checkpoint.verify']) {
      expect(staffCounts.get(name)?.['ok'] ?? 0, name).toBeGreaterThan(0);
      expect(staffCounts.get(name)?.['4xx'] ?? 0, `${name}: ${JSON.stringify(staffCounts.get(name))}`).toBe(0);
    }
    const scrapes = readFileSync(path.join(dir, 'server.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(scrapes.length).toBeGreaterThanOrEqual(8);
    const withMetrics = scrapes.filter((s) => s.metrics !== undefined);
    expect(withMetrics.length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(withMetrics.at(-1).metrics).some((k) => k.startsWith('process_cpu_seconds_total'))).toBe(true);
    // The journeys' history was written and judged after the run: hardened, no faults, nothing wrong.
    const history = readHistory(path.join(dir, 'history.ndjson'));
    expect(new Set(history.records.filter((r) => r.type === 'invoke').map((r) => r.f))).toEqual(new Set(['code.read', 'checkpoint.verify', 'sample.bind', 'lab.result']));
    expect(history.notKept).toBe(0);
    expect(summary.correctness.operations).toBe(history.records.filter((r) => r.type === 'invoke').length);
    expect(summary.correctness.violations, JSON.stringify(summary.correctness.examples)).toBe(0);
    expect(summary.correctness.checks.total).toBeGreaterThan(1_000);
    expect(readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toContain('classname="correctness" name="wrong-person"');
  });
});
