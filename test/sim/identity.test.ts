// Long because: the identity contract's tables (layout, ID number, names, phones) over one generator of the whole city, built once.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { zh_CN } from '@faker-js/faker';
import {
  AGE_MIX,
  CITY_POPULATION,
  DISTRICTS,
  OLDEST_AGE,
  allocate,
} from '../../sim/city/districts.js';
import { checkIdNumber } from '../../sim/identity/gb11643.js';
import {
  DEFAULT_COMPOUND_SIZE,
  createIdentityGenerator,
  identities,
  type Identity,
  type IdentityGenerator,
} from '../../sim/identity/generator.js';

const AS_OF = '2022-01-04';
const city = createIdentityGenerator({ seed: 20220104, population: CITY_POPULATION });

/** First index of each district's block, and the end, as the layout contract defines them. */
function districtStarts(population: number): number[] {
  const starts = [0];
  for (const size of allocate(population, DISTRICTS.map((d) => d.population))) {
    starts.push((starts[starts.length - 1] ?? 0) + size);
  }
  return starts;
}

/** Age in completed years on `asOf`, both YYYY-MM-DD. */
function ageOn(birthDate: string, asOf: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [y, m, d] = asOf.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

function bandOfAge(age: number): 0 | 1 | 2 | undefined {
  const band = AGE_MIX.find((b) => age >= b.minAge && age <= b.maxAge);
  return band?.band;
}

/**
 * What is wrong with an identity on its own, given the generator that made it; undefined when
 * nothing is. Plain comparisons rather than expect(): the city-wide tests check millions.
 */
function problemOf(gen: IdentityGenerator, person: Identity, asOf = AS_OF): string | undefined {
  const at = `#${person.index} ${person.idNumber}`;
  const check = checkIdNumber(person.idNumber, undefined, { asOf });
  if (!check.ok) return `${at}: ${check.message}`;
  if (check.region !== person.districtCode) return `${at}: region ${check.region} vs ${person.districtCode}`;
  if (check.birthDate !== person.birthDate) return `${at}: birth date ${check.birthDate} vs ${person.birthDate}`;
  if (check.sex !== person.sex) return `${at}: sex ${check.sex} vs ${person.sex}`;
  const district = gen.districtOf(person.index);
  if (district.code !== person.districtCode || district.name !== person.districtName) return `${at}: district`;
  if (gen.compoundOf(person.index) !== person.compound) return `${at}: compound`;
  if (!(person.birthDate < asOf)) return `${at}: born on or after ${asOf}`;
  const band = bandOfAge(ageOn(person.birthDate, asOf));
  if (band !== person.ageBand) return `${at}: born ${person.birthDate}, age band ${person.ageBand}, age says ${band}`;
  if (!/^1[3-9]\d{9}$/.test(person.phone)) return `${at}: phone ${person.phone}`;
  return undefined;
}

/** Problems of the identities at `indices`, at most `limit` of them. */
function problemsOf(gen: IdentityGenerator, indices: Iterable<number>, asOf = AS_OF, limit = 5): string[] {
  const problems: string[] = [];
  for (const index of indices) {
    const person = gen.identity(index);
    const problem = person.index === index ? problemOf(gen, person, asOf) : `#${index}: index ${person.index}`;
    if (problem !== undefined && problems.push(problem) >= limit) break;
  }
  return problems;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('districts', () => {
  it('has the 13 districts with their codes, summing to the census population', () => {
    expect(DISTRICTS.map((d) => `${d.code} ${d.name}`)).toEqual([
      '610102 Xincheng',
      '610103 Beilin',
      '610104 Lianhu',
      '610111 Baqiao',
      '610112 Weiyang',
      '610113 Yanta',
      '610114 Yanliang',
      '610115 Lintong',
      "610116 Chang'an",
      '610117 Gaoling',
      '610118 Huyi',
      '610122 Lantian',
      '610124 Zhouzhi',
    ]);
    expect(DISTRICTS.reduce((sum, d) => sum + d.population, 0)).toBe(12_952_907);
    expect(CITY_POPULATION).toBe(12_952_907);
  });

  it('uses the found figures and shares the remainder among the four without one', () => {
    const byName = new Map(DISTRICTS.map((d) => [d.name, d]));
    expect(byName.get('Yanta')).toMatchObject({ population: 1_202_038, source: 'census-2020' });
    expect(byName.get("Chang'an")).toMatchObject({ population: 1_090_000, source: 'weak-source' });
    const shared = ['Weiyang', 'Baqiao', 'Yanliang', 'Lantian'].map((n) => byName.get(n));
    expect(shared.map((d) => d?.source)).toEqual(Array(4).fill('remainder-share'));
    expect(shared.map((d) => d?.population)).toEqual([1_508_488, 1_508_485, 1_508_485, 1_508_485]);
  });

  it('has an age mix that sums to one and reaches OLDEST_AGE', () => {
    expect(AGE_MIX.map((b) => b.share)).toEqual([0.173, 0.635, 0.192]);
    expect(AGE_MIX.reduce((s, b) => s + b.share, 0)).toBeCloseTo(1, 12);
    expect(AGE_MIX[2]?.maxAge).toBe(OLDEST_AGE);
  });
});

describe('allocate', () => {
  it('apportions by largest remainder, ties to the lower index', () => {
    expect(allocate(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(allocate(1000, AGE_MIX.map((b) => b.share))).toEqual([173, 635, 192]);
    expect(allocate(7, [0, 5, 0, 5])).toEqual([0, 4, 0, 3]);
    expect(allocate(0, [1, 2])).toEqual([0, 0]);
  });

  it('sums exactly to the total, each part its quota rounded down or up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50_000_000 }),
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e7, noNaN: true })), {
          minLength: 1,
          maxLength: 40,
        }),
        (total, weights) => {
          fc.pre(weights.some((w) => w > 0));
          const parts = allocate(total, weights);
          const sum = weights.reduce((s, w) => s + w, 0);
          expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
          parts.forEach((part, i) => {
            const quota = (total * (weights[i] ?? 0)) / sum;
            expect(Number.isInteger(part)).toBe(true);
            expect(part).toBeGreaterThanOrEqual(Math.floor(quota - 1e-6));
            expect(part).toBeLessThanOrEqual(Math.ceil(quota + 1e-6));
            if (weights[i] === 0) expect(part).toBe(0);
          });
        },
      ),
      { numRuns: 2000, seed: 11643 },
    );
  });

  it('sums exactly for integer weights such as district populations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000_000 }), (total) => {
        const parts = allocate(total, DISTRICTS.map((d) => d.population));
        expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
      }),
      { numRuns: 1000, seed: 1999 },
    );
  });

  it('refuses impossible inputs', () => {
    expect(() => allocate(5, [0, 0])).toThrow(RangeError);
    expect(() => allocate(5, [])).toThrow(RangeError);
    expect(() => allocate(-1, [1])).toThrow(RangeError);
    expect(() => allocate(1.5, [1])).toThrow(RangeError);
    expect(() => allocate(5, [1, -1])).toThrow(RangeError);
    expect(() => allocate(5, [1, Number.NaN])).toThrow(RangeError);
  });
});

describe('identities of the whole city', () => {
  const starts = districtStarts(CITY_POPULATION);

  it('lays districts out as contiguous blocks in DISTRICTS order', () => {
    expect(starts[starts.length - 1]).toBe(CITY_POPULATION);
    DISTRICTS.forEach((district, d) => {
      const first = starts[d] ?? 0;
      const last = (starts[d + 1] ?? 0) - 1;
      expect(city.districtOf(first)).toBe(district);
      expect(city.districtOf(last)).toBe(district);
      if (d > 0) expect(city.districtOf(first - 1)).toBe(DISTRICTS[d - 1]);
    });
  });

  it('gives 200,000 sampled residents valid, consistent identities', () => {
    const samples = new Set<number>();
    for (let d = 0; d < DISTRICTS.length; d++) {
      const first = starts[d] ?? 0;
      const end = starts[d + 1] ?? 0;
      for (let k = 0; k < 20; k++) samples.add(first + k).add(end - 1 - k);
    }
    // The rest spread over the whole range by the golden-ratio sequence.
    for (let k = 1; samples.size < 200_000; k++) {
      samples.add(Math.floor(((k * 0.618_033_988_749_895) % 1) * CITY_POPULATION));
    }
    expect(problemsOf(city, samples)).toEqual([]);

    const surnames = zh_CN.person?.last_name?.generic ?? [];
    const given = { female: zh_CN.person?.first_name?.female ?? [], male: zh_CN.person?.first_name?.male ?? [] };
    const badNames: string[] = [];
    for (const index of [...samples].slice(0, 20_000)) {
      const { name, sex } = city.identity(index);
      const ok = surnames.some((s) => name.startsWith(s) && given[sex].includes(name.slice(s.length)));
      if (!ok) badNames.push(`${name} (${sex})`);
    }
    expect(badNames).toEqual([]);
  });

  it('matches the census age mix within one percentage point', () => {
    const counts = [0, 0, 0];
    const n = 1_000_000;
    const stride = CITY_POPULATION / n;
    for (let k = 0; k < n; k++) {
      const band = city.identity(Math.floor(k * stride)).ageBand;
      counts[band] = (counts[band] ?? 0) + 1;
    }
    AGE_MIX.forEach((b) => expect(Math.abs((counts[b.band] ?? 0) / n - b.share)).toBeLessThan(0.01));
  });

  it('mixes ages within a compound', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < DEFAULT_COMPOUND_SIZE; i++) {
      const band = city.identity(i).ageBand;
      counts[band] = (counts[band] ?? 0) + 1;
    }
    AGE_MIX.forEach((b) => expect(Math.abs((counts[b.band] ?? 0) / DEFAULT_COMPOUND_SIZE - b.share)).toBeLessThan(0.01));
  });

  it('balances the sexes in every age band', () => {
    const men = [0, 0, 0];
    const all = [0, 0, 0];
    for (let i = 0; i < 200_000; i++) {
      const person = city.identity(i * 64);
      all[person.ageBand] = (all[person.ageBand] ?? 0) + 1;
      if (person.sex === 'male') men[person.ageBand] = (men[person.ageBand] ?? 0) + 1;
    }
    AGE_MIX.forEach((b) => expect(Math.abs((men[b.band] ?? 0) / (all[b.band] ?? 1) - 0.5)).toBeLessThan(0.01));
  });

  it('gives all 12,952,907 residents distinct ID numbers', () => {
    // Key = (region, birth day, sequence): the first 17 digits fix the check character, so
    // distinct keys mean distinct ID numbers. Birth days 1920–2025 as (y, m, d) on a 372-day
    // grid; one bit per key, 64 MB in all.
    const regions = new Map(DISTRICTS.map((d, i) => [d.code, i]));
    const firstYear = 1920;
    const days = (2026 - firstYear) * 372;
    const bitmap = new Uint8Array(Math.ceil((DISTRICTS.length * days * 1000) / 8));
    const digits = (s: string, from: number, count: number): number => {
      let n = 0;
      for (let i = from; i < from + count; i++) n = n * 10 + s.charCodeAt(i) - 48;
      return n;
    };
    let duplicates = 0;
    let outOfGrid = 0;
    for (let i = 0; i < CITY_POPULATION; i++) {
      const id = city.identity(i).idNumber;
      const region = regions.get(id.slice(0, 6)) ?? -1;
      const year = digits(id, 6, 4);
      const day = (year - firstYear) * 372 + (digits(id, 10, 2) - 1) * 31 + digits(id, 12, 2) - 1;
      if (region < 0 || year < firstYear || year >= 2026) outOfGrid++;
      const key = (region * days + day) * 1000 + digits(id, 14, 3);
      const byte = key >>> 3;
      const bit = 1 << (key & 7);
      if ((bitmap[byte] ?? 0) & bit) duplicates++;
      bitmap[byte] = (bitmap[byte] ?? 0) | bit;
    }
    expect(outOfGrid).toBe(0);
    expect(duplicates).toBe(0);
  }, 60_000);

  it('gives distinct phone numbers', () => {
    const phones = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) phones.add(city.identity(i * 12).phone);
    expect(phones.size).toBe(1_000_000);
  });

  it('numbers compounds contiguously within districts, never across them', () => {
    let compounds = 0;
    DISTRICTS.forEach((_district, d) => {
      const first = starts[d] ?? 0;
      const end = starts[d + 1] ?? 0;
      const count = Math.ceil((end - first) / DEFAULT_COMPOUND_SIZE);
      expect(city.compoundOf(first)).toBe(compounds);
      expect(city.compoundOf(first + DEFAULT_COMPOUND_SIZE - 1)).toBe(compounds);
      expect(city.compoundOf(first + DEFAULT_COMPOUND_SIZE)).toBe(compounds + 1);
      expect(city.compoundOf(end - 1)).toBe(compounds + count - 1);
      compounds += count;
    });
    expect(city.compoundCount).toBe(compounds);
  });
});

describe('createIdentityGenerator', () => {
  it('is deterministic in its seed', () => {
    const again = createIdentityGenerator({ seed: 20220104, population: CITY_POPULATION });
    const other = createIdentityGenerator({ seed: 20220105, population: CITY_POPULATION });
    let sameId = 0;
    let sameName = 0;
    let samePhone = 0;
    for (let k = 0; k < 1000; k++) {
      const index = k * 12_953;
      const a = city.identity(index);
      expect(again.identity(index)).toEqual(a);
      const b = other.identity(index);
      expect(b.districtCode).toBe(a.districtCode);
      if (b.idNumber === a.idNumber) sameId++;
      if (b.name === a.name) sameName++;
      if (b.phone === a.phone) samePhone++;
    }
    expect(sameId).toBeLessThan(10);
    expect(sameName).toBeLessThan(10);
    expect(samePhone).toBe(0);
  });

  it('accepts seeds beyond 32 bits and tells them apart', () => {
    const a = createIdentityGenerator({ seed: 2 ** 40 + 1, population: 1000 });
    const b = createIdentityGenerator({ seed: 1, population: 1000 });
    const c = createIdentityGenerator({ seed: -1, population: 1000 });
    expect(a.identity(5).idNumber).not.toBe(b.identity(5).idNumber);
    expect(c.identity(5).idNumber).not.toBe(b.identity(5).idNumber);
  });

  it('scales down to 1,000 residents, every district in proportion', () => {
    const small = createIdentityGenerator({ seed: 7, population: 1000, compoundSize: 25 });
    const expected = allocate(1000, DISTRICTS.map((d) => d.population));
    const counts = new Map<string, number>();
    const bands = [0, 0, 0];
    const ids = new Set<string>();
    const sequences = new Set<string>();
    let men = 0;
    expect(problemsOf(small, range(0, 1000))).toEqual([]);
    for (const person of identities(small)) {
      counts.set(person.districtCode, (counts.get(person.districtCode) ?? 0) + 1);
      bands[person.ageBand] = (bands[person.ageBand] ?? 0) + 1;
      ids.add(person.idNumber);
      sequences.add(person.idNumber.slice(14, 17));
      if (person.sex === 'male') men++;
    }
    expect(ids.size).toBe(1000);
    // Most groups are smaller than their number of birth dates here, so every s is 0.
    expect(Math.abs(men / 1000 - 0.5)).toBeLessThan(0.05);
    expect(sequences.size).toBeGreaterThan(500);
    expect(DISTRICTS.map((d) => counts.get(d.code) ?? 0)).toEqual(expected);
    expect(expected.every((n) => n > 0)).toBe(true);
    AGE_MIX.forEach((b) => expect(Math.abs((bands[b.band] ?? 0) / 1000 - b.share)).toBeLessThan(0.02));
    expect(small.compoundCount).toBe(expected.reduce((s, n) => s + Math.ceil(n / 25), 0));
  });

  it('counts ages on asOf, leap days included', () => {
    const asOf = '2024-02-29';
    const gen = createIdentityGenerator({ seed: 3, population: 50_000, asOf });
    expect(problemsOf(gen, range(0, gen.population), asOf)).toEqual([]);
  });

  it('iterates a range with identities()', () => {
    const got = [...identities(city, 100, 105)].map((p) => p.index);
    expect(got).toEqual([100, 101, 102, 103, 104]);
    expect([...identities(city, 100, 105)][2]).toEqual(city.identity(102));
  });

  it('refuses indices outside the population', () => {
    expect(() => city.identity(-1)).toThrow(RangeError);
    expect(() => city.identity(CITY_POPULATION)).toThrow(RangeError);
    expect(() => city.identity(1.5)).toThrow(RangeError);
    expect(() => city.districtOf(CITY_POPULATION)).toThrow(RangeError);
    expect(() => city.compoundOf(Number.NaN)).toThrow(RangeError);
  });

  it.each([
    [{ seed: 1.5, population: 10 }, 'IDENTITY_OPTION_INVALID'],
    [{ seed: 1, population: 0 }, 'IDENTITY_OPTION_INVALID'],
    [{ seed: 1, population: 10, compoundSize: 0 }, 'IDENTITY_OPTION_INVALID'],
    [{ seed: 1, population: 10, asOf: '2022-02-30' }, 'IDENTITY_OPTION_INVALID'],
    [{ seed: 1, population: 10, asOf: '1990-01-01' }, 'IDENTITY_OPTION_INVALID'],
    [{ seed: 1, population: 300_000_000 }, 'IDENTITY_BLOCK_TOO_LARGE'],
  ])('refuses bad options %o', (options, code) => {
    expect(() => createIdentityGenerator(options)).toThrow(expect.objectContaining({ code }));
  });
});
