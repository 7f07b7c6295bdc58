import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGE_MIX, CITY_POPULATION } from '../../sim/city/districts.js';
import { MORNING, morningStreams, normalCdf } from '../../sim/city/morning.js';
import { parseClockTime } from '../../sim/clock.js';
import { checkIdNumber } from '../../sim/identity/gb11643.js';
import { createIdentityGenerator } from '../../sim/identity/generator.js';
import { scenarioPlan } from '../../src/cli/plan.js';
import { planOf } from '../../src/engine/executors/index.js';
import { planExpected } from '../../src/engine/executors/rate-plan.js';
import { packageRoot } from '../../src/package-root.js';
import { SCHEMA_FILE, scenarioJsonSchema } from '../../src/scenario/json-schema.js';
import { compileScenario, loadScenario } from '../../src/scenario/load.js';

const SCENARIOS = path.join(packageRoot(), 'scenarios');
const clock = (text: string) => parseClockTime(text) ?? Number.NaN;

const CITY = (extra = '') => `
name: city-test
seed: 5
target: reference
city:
  clock: { start: "06:00", end: "12:00", compress: 60 }
  population: { scale: 0.001 }
${extra}
journeys:
  - { name: residents, use: resident.open-code }
  - { name: checkpoints, use: checkpoint.verify }
  - { name: tables, use: sampler.table }
  - { name: labs, use: lab.result }
`;

describe('the morning model', () => {
  it('integrates each stream in closed form to what the rate adds up to', () => {
    const streams = morningStreams(MORNING, clock);
    const from = clock('00:00');
    const to = 86_399;
    for (const s of streams) {
      let numeric = 0;
      for (let t = from; t < to; t += 1) numeric += (s.rate(t) + s.rate(t + 1)) / 2;
      expect(Math.abs(s.arrivals(from, to) - numeric) / Math.max(1, numeric)).toBeLessThan(0.002);
    }
  });

  it('gives the surge its announced size: notifiedShare of the city opens the code after 09:00', () => {
    const open = morningStreams(MORNING, clock).find((s) => s.name === 'resident.open-code')!;
    const afterNine = open.arrivals(clock('09:00'), clock('23:59'));
    const own = (CITY_POPULATION * MORNING.ownChecksPerResident * (clock('22:00') - clock('09:00'))) / (clock('22:00') - clock('06:00'));
    expect(afterNine - own).toBeCloseTo(CITY_POPULATION * MORNING.round.notifiedShare, -3);
    expect(open.rate(clock('08:59:59'))).toBeLessThan(open.rate(clock('09:00:01')) / 10);
  });

  it('has a standard normal CDF accurate to 1e-6', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

describe('city plans', () => {
  it('announce the arrivals the load curve will make, in all and per journey', () => {
    const loaded = compileScenario(CITY(), 'city.yaml');
    const city = loaded.city!;
    const curve = planOf(loaded.load as Parameters<typeof planOf>[0]);
    const sent = planExpected(curve, 0, curve.durationMs);
    expect(Math.abs(sent - city.totals.scaled.arrivals) / city.totals.scaled.arrivals).toBeLessThan(0.005);
    for (const [i, stream] of city.streams.entries()) {
      const mix = city.mix![i]!;
      expect(mix.journey).toBe(stream.journey);
      const own = planExpected(mix.plan, 0, mix.plan.durationMs);
      expect(Math.abs(own - stream.scaled.arrivals)).toBeLessThan(Math.max(1, 0.005 * stream.scaled.arrivals));
      // Scaled = city × scale: arrivals do not depend on the compression.
      expect(stream.scaled.arrivals).toBeCloseTo(stream.city!.arrivals * 0.001, 0);
    }
  });

  it('scale rates by population and compression, and say both', () => {
    const city = compileScenario(CITY(), 'city.yaml').city!;
    expect(city.population.residents).toBe(Math.round(CITY_POPULATION * 0.001));
    expect(city.population.districts.reduce((s, d) => s + d.residents, 0)).toBe(city.population.residents);
    expect(city.population.districts.reduce((s, d) => s + d.city, 0)).toBe(CITY_POPULATION);
    expect(city.population.ageMix.map((a) => a.share)).toEqual(AGE_MIX.map((b) => b.share));
    expect(city.clock!.realDurationS).toBe(360);
    const open = city.streams.find((s) => s.use === 'resident.open-code')!;
    expect(open.scaled.peakRps).toBeCloseTo(open.city!.peakRps * 0.001 * 60, 0);
    expect(open.city!.peakAt).toBe('09:00:00');
  });

  it('are the same bytes for the same seed, and differ in their residents for another', async () => {
    const file = path.join(SCENARIOS, 'xian-2022-01-04.yaml');
    const a = JSON.stringify(scenarioPlan(await loadScenario(file), undefined));
    const b = JSON.stringify(scenarioPlan(await loadScenario(file), undefined));
    const c = JSON.stringify(scenarioPlan(await loadScenario(file), 99));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    const plan = JSON.parse(a);
    const other = JSON.parse(c);
    expect(plan.city.curve).toEqual(other.city.curve); // the curve does not depend on the seed
    expect(plan.city.sample).not.toEqual(other.city.sample);
    expect(a).not.toMatch(/20\d\d-\d\d-\d\dT/); // no timestamps
  });

  it('draw sample residents who are valid Xi’an residents of the seeded population', async () => {
    const plan = scenarioPlan(await loadScenario(path.join(SCENARIOS, 'xian-2022-01-04.yaml')), undefined);
    const people = createIdentityGenerator({ seed: plan.seed, population: plan.city!.population.residents });
    for (const r of plan.city!.sample) {
      expect(checkIdNumber(r.idNumber).ok).toBe(true);
      expect(people.identity(r.index).idNumber).toBe(r.idNumber);
    }
  });

  it('let load give the rate while the city gives the people', async () => {
    const loaded = await loadScenario(path.join(SCENARIOS, 'capacity-ramp.yaml'));
    expect(loaded.load.executor).toBe('ramping-arrival-rate');
    expect(loaded.city!.clock).toBeNull();
    expect(loaded.city!.mix).toBeUndefined();
    expect(loaded.city!.totals.scaled.arrivals).toBeCloseTo(planExpected(planOf(loaded.load as Parameters<typeof planOf>[0]), 0, 120_000), 0);
  });
});

describe('small populations', () => {
  it('spread birth dates over each whole age band', () => {
    const people = createIdentityGenerator({ seed: 3, population: 2_000 });
    const years = new Map<number, Set<number>>();
    for (let i = 0; i < 2_000; i++) {
      const who = people.identity(i);
      const set = years.get(who.ageBand) ?? new Set<number>();
      set.add(Number(who.birthDate.slice(0, 4)));
      years.set(who.ageBand, set);
    }
    // Band 0 spans 15 birth years, band 1 45, band 2 36: most of them appear.
    expect(years.get(0)!.size).toBeGreaterThanOrEqual(12);
    expect(years.get(1)!.size).toBeGreaterThanOrEqual(40);
    expect(years.get(2)!.size).toBeGreaterThanOrEqual(30);
  });
});

describe('scenario files', () => {
  it('every shipped scenario is valid', async () => {
    for (const name of ['smoke.yaml', 'steady-morning.yaml', 'capacity-ramp.yaml', 'xian-2022-01-04.yaml']) {
      await expect(loadScenario(path.join(SCENARIOS, name))).resolves.toBeDefined();
    }
  });

  it('smoke.yaml lasts 15 s at most', async () => {
    const plan = scenarioPlan(await loadScenario(path.join(SCENARIOS, 'smoke.yaml')), undefined);
    expect(plan.load.durationS).toBeLessThanOrEqual(15);
  });

  it('xian-2022-01-04.yaml plays 08:00–10:30 in under two minutes, with only the operators\' restore at 10:00', async () => {
    const plan = scenarioPlan(await loadScenario(path.join(SCENARIOS, 'xian-2022-01-04.yaml')), undefined);
    // Two profiles back to back, with their stacks, in the demo's five minutes.
    expect(plan.load.durationS).toBeLessThanOrEqual(120);
    expect(plan.city!.clock).toMatchObject({ start: '08:00:00', end: '10:30:00' });
    expect(plan.city!.totals.city!.peakAt).toBe('09:00:00');
    // 09:59 is +89.25 s of real time at ×80 from 08:00; one city minute is 0.75 s.
    expect(plan.faults.map((f) => [f.name, f.kind, f.startS, f.endS, f.clock?.start])).toEqual([
      ['restore', 'process', 89.25, 90, '09:59:00'],
      ['restore-cache', 'cache-corruption', 89.25, 90, '09:59:00'],
    ]);
    // The load rises from 08:00 (people queueing early for the round) until the surge.
    const at = (clock: string) => plan.city!.curve.find((c) => c.clock >= clock)!;
    const residents = (clock: string) => at(clock).byJourney['residents'] ?? 0;
    expect(residents('08:30:00')).toBeGreaterThan(residents('08:00:00'));
    expect(residents('08:55:00')).toBeGreaterThan(residents('08:30:00'));
    expect(plan.city!.prior.sessions).toBe(0.9);
    expect(plan.city!.prior.cacheSource).toBe('derived');
  });

  it('scenarios/schema.json is generated from the zod schema (npm run schema)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(scenarioJsonSchema());
  });

  const bad: readonly [string, string, RegExp][] = [
    ['unknown key in city', CITY('  crowd: 3').replace('\n  crowd', '\n  crowd'), /^bad\.yaml:\d+: city\.crowd: unknown field$/m],
    ['a bad clock time', CITY().replace('"12:00"', '"25:00"'), /^bad\.yaml:\d+: city\.clock\.end: expected a time of day/m],
    ['a clock that ends before it starts', CITY().replace('"12:00"', '"05:00"'), /city\.clock\.end: expected a time after clock\.start/m],
    ['an unknown built-in journey', CITY().replace('use: lab.result', 'use: lab.results'), /journeys\[3\]\.use: /m],
    ['a built-in journey without a city', 'name: x\ntarget: reference\nload: { executor: constant-arrival-rate, rate: 1, duration: 1s }\njourneys:\n  - { name: r, use: resident.open-code }\n', /journeys\[0\]\.use: built-in journeys need a city/m],
    ['a city with neither clock nor load', CITY().replace('  clock: { start: "06:00", end: "12:00", compress: 60 }\n', ''), /city\.clock: missing/m],
    ['a scale above one', CITY().replace('scale: 0.001', 'scale: 2'), /city\.population\.scale: /m],
  ];
  for (const [what, text, want] of bad) {
    it(`refuses ${what}, naming the file and the field`, () => {
      let message = '';
      try {
        compileScenario(text, 'bad.yaml');
      } catch (err) {
        message = (err as Error).message;
        expect((err as { exitCode?: number }).exitCode).toBe(2);
      }
      expect(message).toMatch(want);
    });
  }
});
