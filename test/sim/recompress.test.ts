import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { planOf, type ArrivalRateConfig } from '../../src/engine/executors/index.js';
import { planExpected, planRateAt } from '../../src/engine/executors/rate-plan.js';
import { packageRoot } from '../../src/package-root.js';
import { recompress } from '../../sim/city/recompress.js';
import { compileScenario, loadScenario } from '../../src/scenario/load.js';
import { captureIO } from '../helpers/io.js';

/** `--compress N`: the city clock replayed at N with the load of each real second held. */
const XIAN = path.join(packageRoot(), 'scenarios', 'xian-2022-01-04.yaml');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-compress-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const x = captureIO();
  const code = await main(argv, x);
  return { code, out: x.out(), err: x.err() };
}

const CITY = (extra: string) => `name: c\ntarget: reference\ncity:\n  clock: { start: "09:00", end: "09:10", compress: 60 }\n  population: { scale: 0.001 }\n${extra}journeys:\n  - { name: r, use: resident.open-code }\n`;

describe('recompress', () => {
  it('rewrites the Xi\'an morning at 20: the clock, the population, the people in flight and the come-back interval, comments kept', () => {
    const text = readFileSync(XIAN, 'utf8');
    const r = recompress(text, XIAN, 20);
    expect(r.changes).toEqual([
      'city.clock.compress 80 → 20',
      'city.population.scale 0.006 → 0.024',
      'city.maxInFlight 80000 → 320000',
      'city.people.comeBack.after 2s → 8s',
    ]);
    expect(r.text).toMatch(/^# codestorm --compress 20: the load of each real second held \(city\.clock\.compress 80 → 20; /m);
    expect(r.text).toContain('# Xi\'an, 4 January 2022.');
    expect(r.text).toContain('  - { name: restore, kind: process, action: kill, workers: all, at: "09:59", duration: 1m, restartWith: { maxInFlight: 512 } }');
    expect(r.text).toMatch(/patience: 3s/); // real time: a person's patience does not compress
    expect(r.text).toMatch(/gracefulStop: 5s/);
    expect(r.text).toMatch(/at: "09:59", duration: 1m/); // on the city clock already
  });

  it('fills in the engine\'s default for people in flight and leaves a city with no come-backs alone', () => {
    const r = recompress(CITY(''), 'c.yaml', 30);
    expect(r.changes).toEqual(['city.clock.compress 60 → 30', 'city.population.scale 0.001 → 0.002', 'city.maxInFlight 1000 (default) → 2000']);
    expect(r.text).not.toContain('comeBack');
    const withDefault = recompress(CITY('  people: { comeBack: { times: 2 } }\n'), 'c.yaml', 30);
    expect(withDefault.changes).toContain('city.people.comeBack.after 2000ms (default) → 4s');
  });

  it('refuses a scenario with no city clock, and a scale past the whole city, naming the file and the field', () => {
    const plain = 'name: p\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 5, duration: 2s }\njourneys:\n  - { name: j, steps: [ { name: s, request: { url: "/" } } ] }\n';
    expect(() => recompress(plain, 'p.yaml', 20)).toThrow(expect.objectContaining({ code: 'FLAG_INVALID', exitCode: 2, message: expect.stringMatching(/^p\.yaml: city\.clock: --compress needs a city clock/) }));
    expect(() => recompress(CITY(''), 'c.yaml', 0.05)).toThrow(expect.objectContaining({ code: 'FLAG_INVALID', message: expect.stringMatching(/^c\.yaml: city\.population\.scale: --compress 0\.05 would make it 1\.2 /) }));
  });
});

describe('loadScenario with compress', () => {
  it('sends what the scenario sends each real second, over four times as long, and places the goodput windows on the slower clock', async () => {
    const at80 = await loadScenario(XIAN);
    const at20 = await loadScenario(XIAN, { compress: 20 });
    expect(at20.compressed).toHaveLength(4);
    const p80 = planOf(at80.load as ArrivalRateConfig);
    const p20 = planOf(at20.load as ArrivalRateConfig);
    expect(p20.durationMs).toBe(4 * p80.durationMs);
    // The same city time: 08:30, 09:00, 09:05, 10:10.
    for (const cityS of [1_800, 3_600, 3_900, 7_800]) {
      const [r20, r80] = [planRateAt(p20, (cityS / 20) * 1000), planRateAt(p80, (cityS / 80) * 1000)];
      expect(Math.abs(r20 / r80 - 1)).toBeLessThan(0.01); // sampled on a 100 ms real grid: 8 city seconds at 80, 2 at 20
    }
    expect(Math.abs(planExpected(p20, 0, p20.durationMs) / (4 * planExpected(p80, 0, p80.durationMs)) - 1)).toBeLessThan(0.01);
    const surge = (s: typeof at80) => s.slo.goodput?.windows.find((w) => w.name === 'surge');
    expect(surge(at80)).toMatchObject({ startS: 45, endS: 90 });
    expect(surge(at20)).toMatchObject({ startS: 180, endS: 360 });
    // The run directory keeps the text as run: read again, it is the same clock.
    expect(compileScenario(at20.text, XIAN).slo.goodput?.windows.find((w) => w.name === 'surge')).toMatchObject({ startS: 180 });
  });

  it('reports a problem of the file as written at its own line', async () => {
    const file = write('bad.yaml', CITY('  people: { patience: soon }\n'));
    await expect(loadScenario(file, { compress: 30 })).rejects.toThrow(/bad\.yaml:6: city\.people\.patience: /);
  });
});

describe('--compress on the command line', () => {
  it('plan shows what it changed and the slower clock; a value out of range is exit 2 naming the flag', async () => {
    const r = await cli('plan', XIAN, '--json', '--compress', '20');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.compressed).toContain('city.population.scale 0.006 → 0.024');
    expect(plan.city.clock).toMatchObject({ compress: 20, realDurationS: 450 });
    expect(plan.faults.find((f: { name: string }) => f.name === 'restore')).toMatchObject({ startS: 357, endS: 360 }) // 09:59–10:00, 119 and 120 city minutes after 08:00;
    const text = await cli('plan', XIAN, '--compress', '20');
    expect(text.out).toMatch(/^--compress: the load of each real second held: city\.clock\.compress 80 → 20; /m);
    const bad = await cli('plan', XIAN, '--compress', 'fast');
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe('codestorm: --compress: expected a number from 1 to 3600, got "fast"');
    const plain = await cli('run', write('plain.yaml', 'name: p\ntarget: http://127.0.0.1:9\nload: { executor: constant-arrival-rate, rate: 5, duration: 2s }\njourneys:\n  - { name: j, steps: [ { name: s, request: { url: "/" } } ] }\n'), '--compress', '20');
    expect(plain.code).toBe(2);
    expect(plain.err).toMatch(/plain\.yaml: city\.clock: --compress needs a city clock/);
  });
});
