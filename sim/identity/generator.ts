/**
 * Resident index → identity, deterministic in (seed, index), without materialising the city.
 *
 * Layout of the index space (a contract the seeder and the simulator share):
 * - Residents are split among DISTRICTS in proportion to their populations (`allocate`), one
 *   contiguous block of indices per district, in DISTRICTS order.
 * - Within a district, residents are split into the AGE_MIX bands (`allocate`), interleaved
 *   evenly rather than in three sub-blocks, so that every compound has the city's age mix.
 * - Compounds are contiguous runs of `compoundSize` residents within a district (the last one
 *   of a district may be smaller); compound ids are global, counted in district order.
 *
 * ID numbers are unique by construction. The residents of one (district, age band) group, j in
 * [0, n), are permuted by p = (a·j + c) mod n with gcd(a, n) = 1; with m = ceil(n / D) sequences
 * per date (D = days the band spans) and u = ceil(n / m) dates in use, p picks the sequence
 * s = p mod m and the birth date bandStart + floor(floor(p / m) · D / u), which spreads even a
 * small group's dates over the whole band and is injective (D / u >= 1). The printed
 * sequence is (a'·s + c' + 389·dayOffset) mod 1000 with a' odd and coprime with 1000: for a
 * fixed birth date that is a bijection of s, so uniqueness holds, and the day term varies the
 * sequence, and with it the sex (its last digit's parity), even where every s is 0, as in a
 * small population. Groups differ in region code or in birth-date range, so no two residents
 * share the first 17 digits.
 */
import { faker as fakerZhCN } from '@faker-js/faker/locale/zh_CN';
import { invalidInput } from '../../src/errors.js';
import { AGE_MIX, DISTRICTS, allocate, type District } from '../city/districts.js';
import { CHECK_CHARACTERS, CHECK_WEIGHTS, DEFAULT_AS_OF, dateKey, daysInMonth } from './gb11643.js';

/**
 * Residents per compound (a walled residential estate, called down to the sampling site
 * building by building). A model parameter: no source gave a typical size.
 */
export const DEFAULT_COMPOUND_SIZE = 1500;

export interface IdentityOptions {
  seed: number;
  population: number;
  /** The simulated day, YYYY-MM-DD; ages are counted on it. Default '2022-01-04'. */
  asOf?: string;
  /** Residents per compound. Default DEFAULT_COMPOUND_SIZE. */
  compoundSize?: number;
}

export interface Identity {
  index: number;
  idNumber: string;
  name: string;
  phone: string;
  districtCode: string;
  districtName: string;
  compound: number;
  birthDate: string;
  sex: 'male' | 'female';
  ageBand: 0 | 1 | 2;
}

export interface IdentityGenerator {
  readonly population: number;
  readonly seed: number;
  identity(index: number): Identity;
  districtOf(index: number): District;
  compoundOf(index: number): number;
  readonly compoundCount: number;
}

/**
 * Mobile prefixes in use in 2022 (China Mobile, Unicom, Telecom). Exactly 43 of them: a phone
 * number is a bijective 32-bit hash h of the index, split as prefix h / 10^8 and suffix
 * h mod 10^8, and 2^32 / 10^8 needs 43 prefixes. Phones are therefore unique too.
 */
const MOBILE_PREFIXES = [
  130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156, 157, 158,
  159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 193,
  195, 196, 197, 198, 199,
] as const;

const DAY_MS = 86_400_000;
const SEQUENCES = 1000;
// Odd, so that consecutive birth dates alternate the sex; otherwise arbitrary.
const DAY_SPREAD = 389;
const ZERO = 48;
const BAND_IDS = [0, 1, 2] as const;

/** Name tables built once per process: every surname + given name, by sex. */
const NAMES = buildNameTables();

export function createIdentityGenerator(options: IdentityOptions): IdentityGenerator {
  const { seed, population } = options;
  const asOf = options.asOf ?? DEFAULT_AS_OF;
  const compoundSize = options.compoundSize ?? DEFAULT_COMPOUND_SIZE;
  validate(seed, population, asOf, compoundSize);

  const seedKey = seedKeyOf(seed);
  const nameKey = mix32(seedKey ^ 0x6e616d65);
  const phoneKey = mix32(seedKey ^ 0x70686f6e);
  const groupKey = mix32(seedKey ^ 0x67727570);

  const dates = birthDateTable(asOf);

  const districtCount = DISTRICTS.length;
  const districtSizes = allocate(population, DISTRICTS.map((d) => d.population));
  const districtStart = new Float64Array(districtCount + 1);
  const compoundBase = new Float64Array(districtCount + 1);
  for (let d = 0; d < districtCount; d++) {
    const size = districtSizes[d] ?? 0;
    districtStart[d + 1] = (districtStart[d] ?? 0) + size;
    compoundBase[d + 1] = (compoundBase[d] ?? 0) + Math.ceil(size / compoundSize);
  }
  const compoundCount = compoundBase[districtCount] ?? 0;

  // Per district: band sizes n0, n1 (n2 = size − n0 − n1) and the region's part of the check sum.
  const band0Size = new Float64Array(districtCount);
  const band1Size = new Float64Array(districtCount);
  const regionSum = new Float64Array(districtCount);
  // Per (district, band) group g = 3·d + band: the permutation and its date range.
  const groups = districtCount * 3;
  const groupSize = new Float64Array(groups);
  const groupA = new Float64Array(groups);
  const groupC = new Float64Array(groups);
  const groupDays = new Float64Array(groups);
  // Sequences used per birth date (ceil(n / days)) and birth dates used (ceil(n / perDay)).
  const groupPerDay = new Float64Array(groups);
  const groupDatesUsed = new Float64Array(groups);
  const groupFirstDay = new Float64Array(groups);
  const groupSeqA = new Float64Array(groups);
  const groupSeqC = new Float64Array(groups);
  for (let d = 0; d < districtCount; d++) {
    const district = DISTRICTS[d];
    if (district === undefined) continue;
    regionSum[d] = weightedSum(district.code, 0);
    const bands = allocate(districtSizes[d] ?? 0, AGE_MIX.map((b) => b.share));
    band0Size[d] = bands[0] ?? 0;
    band1Size[d] = bands[1] ?? 0;
    for (const band of BAND_IDS) {
      const g = 3 * d + band;
      const n = bands[band] ?? 0;
      const days = dates.bandDays[band] ?? 0;
      if (n > days * SEQUENCES) {
        throw invalidInput(
          'IDENTITY_BLOCK_TOO_LARGE',
          `${n} residents of ${district.name} in age band ${band} need more than ${SEQUENCES} ID sequence numbers per birth date`,
          'lower the population (or its scale); at most about 17 times the census fits',
        );
      }
      const h1 = mix32(groupKey ^ Math.imul(g + 1, 0x9e3779b1));
      const h2 = mix32(h1 ^ 0x85ebca6b);
      const h3 = mix32(h2 ^ 0xc2b2ae35);
      const h4 = mix32(h3 ^ 0x27d4eb2f);
      groupSize[g] = n;
      groupA[g] = coprimeMultiplier(h1, n);
      groupC[g] = n === 0 ? 0 : h2 % n;
      groupDays[g] = days;
      groupPerDay[g] = Math.max(1, Math.ceil(n / days));
      groupDatesUsed[g] = Math.max(1, Math.ceil(n / (groupPerDay[g] ?? 1)));
      groupFirstDay[g] = dates.bandFirstDay[band] ?? 0;
      groupSeqA[g] = coprimeMultiplier(h3, SEQUENCES);
      groupSeqC[g] = h4 % SEQUENCES;
    }
  }

  const { iso, compact, sum: dateSum } = dates;
  const { seq3, seqSum } = SEQUENCE_TABLES;
  const { surnames, female, male, femaleGiven, maleGiven } = NAMES;

  function checkIndex(index: number): void {
    if (!(index >= 0 && index < population && Math.floor(index) === index)) {
      throw new RangeError(`resident index must be an integer in [0, ${population}), got ${index}`);
    }
  }

  function districtIndex(index: number): number {
    let d = 0;
    while (index >= (districtStart[d + 1] ?? Infinity)) d++;
    return d;
  }

  function identity(index: number): Identity {
    checkIndex(index);
    const d = districtIndex(index);
    const size = districtSizes[d] ?? 0;
    const k = index - (districtStart[d] ?? 0);

    // Bresenham-style interleave: band 0 against the rest, then band 1 against band 2. Products
    // stay far below 2^53, so floor(x / n) is exact.
    const n0 = band0Size[d] ?? 0;
    const before0 = Math.floor((k * n0) / size);
    let band: 0 | 1 | 2;
    let j: number;
    if (Math.floor(((k + 1) * n0) / size) > before0) {
      band = 0;
      j = before0;
    } else {
      const rest = size - n0;
      const kr = k - before0;
      const n1 = band1Size[d] ?? 0;
      const before1 = Math.floor((kr * n1) / rest);
      if (Math.floor(((kr + 1) * n1) / rest) > before1) {
        band = 1;
        j = before1;
      } else {
        band = 2;
        j = kr - before1;
      }
    }

    const g = 3 * d + band;
    const p = mod((groupA[g] ?? 1) * j + (groupC[g] ?? 0), groupSize[g] ?? 1);
    // p → (s, date): s = p mod perDay, the date slot floor(p / perDay) spread evenly over the
    // band's days (slots <= days, so distinct slots get distinct days): a small population's
    // birth dates still span the whole band, and (date, s) stays unique.
    const perDay = groupPerDay[g] ?? 1;
    const slot = Math.floor(p / perDay);
    const s = p - slot * perDay;
    const dayInBand = Math.floor((slot * (groupDays[g] ?? 1)) / (groupDatesUsed[g] ?? 1));
    const seq = mod((groupSeqA[g] ?? 1) * s + (groupSeqC[g] ?? 0) + DAY_SPREAD * dayInBand, SEQUENCES);
    const day = (groupFirstDay[g] ?? 0) + dayInBand;
    const check = CHECK_CHARACTERS[((regionSum[d] ?? 0) + (dateSum[day] ?? 0) + (seqSum[seq] ?? 0)) % 11];
    const district = DISTRICTS[d] as District;
    const isMale = (seq & 1) === 1;

    const hn = mix32(Math.imul(index, 0x9e3779b1) ^ nameKey);
    const hs = Math.floor(hn / surnames);
    const surname = hn - hs * surnames;
    const givenCount = isMale ? maleGiven : femaleGiven;
    const given = mod(hs, givenCount);
    const name = (isMale ? male : female)[surname * givenCount + given] ?? '';

    return {
      index,
      idNumber: `${district.code}${compact[day]}${seq3[seq]}${check}`,
      name,
      phone: phoneOf(index, phoneKey),
      districtCode: district.code,
      districtName: district.name,
      compound: (compoundBase[d] ?? 0) + Math.floor(k / compoundSize),
      birthDate: iso[day] ?? '',
      sex: isMale ? 'male' : 'female',
      ageBand: band,
    };
  }

  return Object.freeze({
    population,
    seed,
    compoundCount,
    identity,
    districtOf(index: number): District {
      checkIndex(index);
      return DISTRICTS[districtIndex(index)] as District;
    },
    compoundOf(index: number): number {
      checkIndex(index);
      const d = districtIndex(index);
      return (compoundBase[d] ?? 0) + Math.floor((index - (districtStart[d] ?? 0)) / compoundSize);
    },
  });
}

/** Identities from index `from` (inclusive) to `to` (exclusive), in index order. */
export function* identities(
  gen: IdentityGenerator,
  from = 0,
  to: number = gen.population,
): Generator<Identity, void, undefined> {
  for (let i = from; i < to; i++) yield gen.identity(i);
}

function validate(seed: number, population: number, asOf: string, compoundSize: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw invalidInput('IDENTITY_INVALID_OPTION', `seed must be an integer, got ${seed}`);
  }
  if (!Number.isSafeInteger(population) || population < 1) {
    throw invalidInput('IDENTITY_INVALID_OPTION', `population must be a positive integer, got ${population}`);
  }
  if (!Number.isSafeInteger(compoundSize) || compoundSize < 1) {
    throw invalidInput('IDENTITY_INVALID_OPTION', `compound size must be a positive integer, got ${compoundSize}`);
  }
  try {
    dateKey(asOf);
  } catch {
    throw invalidInput('IDENTITY_INVALID_OPTION', `asOf must be a date as YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  }
  const year = Number(asOf.slice(0, 4));
  const oldest = AGE_MIX[AGE_MIX.length - 1]?.maxAge ?? 0;
  if (year - oldest - 1 < 1900) {
    throw invalidInput(
      'IDENTITY_INVALID_OPTION',
      `asOf ${asOf} puts the oldest residents' births before 1900, which ID numbers cannot hold`,
    );
  }
}

interface BirthDates {
  /** Per day t from the earliest birth date any band allows: YYYY-MM-DD, YYYYMMDD, check-sum part. */
  iso: string[];
  compact: string[];
  sum: Float64Array;
  /** Per band: first day t and number of days. */
  bandFirstDay: number[];
  bandDays: number[];
}

/**
 * Birth dates per band: age in completed years on asOf within [minAge, maxAge]. Band 0 stops the
 * day before asOf: nobody in the city is born on the simulated morning.
 */
function birthDateTable(asOf: string): BirthDates {
  const y = Number(asOf.slice(0, 4));
  const m = Number(asOf.slice(5, 7));
  const d = Number(asOf.slice(8, 10));
  const asOfDay = Date.UTC(y, m - 1, d) / DAY_MS;
  // The day `years` years before asOf; 29 February falls back to the 28th in common years.
  const yearsBefore = (years: number): number =>
    Date.UTC(y - years, m - 1, Math.min(d, daysInMonth(y - years, m))) / DAY_MS;

  const first: number[] = [];
  const last: number[] = [];
  for (const band of AGE_MIX) {
    first.push(yearsBefore(band.maxAge + 1) + 1);
    last.push(band.minAge === 0 ? asOfDay - 1 : yearsBefore(band.minAge));
  }
  const origin = Math.min(...first);
  const end = Math.max(...last);

  const count = end - origin + 1;
  const iso = new Array<string>(count);
  const compact = new Array<string>(count);
  const sum = new Float64Array(count);
  const date = new Date(0);
  for (let t = 0; t < count; t++) {
    date.setTime((origin + t) * DAY_MS);
    const text = date.toISOString().slice(0, 10);
    iso[t] = text;
    const digits = text.slice(0, 4) + text.slice(5, 7) + text.slice(8, 10);
    compact[t] = digits;
    sum[t] = weightedSum(digits, 6);
  }
  return {
    iso,
    compact,
    sum,
    bandFirstDay: first.map((f) => f - origin),
    bandDays: first.map((f, i) => (last[i] ?? f) - f + 1),
  };
}

const SEQUENCE_TABLES = (() => {
  const seq3: string[] = [];
  const seqSum = new Float64Array(SEQUENCES);
  for (let s = 0; s < SEQUENCES; s++) {
    const text = String(s).padStart(3, '0');
    seq3.push(text);
    seqSum[s] = weightedSum(text, 14);
  }
  return { seq3, seqSum };
})();

/** Sum of digit × weight for `text` placed at `position` of an ID number. */
function weightedSum(text: string, position: number): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    sum += (text.charCodeAt(i) - ZERO) * (CHECK_WEIGHTS[position + i] ?? 0);
  }
  return sum;
}

const PREFIX_TEXT = MOBILE_PREFIXES.map(String);
const FOUR_DIGITS = Array.from({ length: 10_000 }, (_, k) => String(k).padStart(4, '0'));

function phoneOf(index: number, phoneKey: number): string {
  // mix32 and multiplying by an odd constant are bijections on 32-bit integers.
  const h = mix32(Math.imul(index, 0x2545f491) ^ phoneKey);
  const prefix = Math.floor(h / 100_000_000);
  const rest = h - prefix * 100_000_000;
  const high = Math.floor(rest / 10_000);
  return `${PREFIX_TEXT[prefix]}${FOUR_DIGITS[high]}${FOUR_DIGITS[rest - high * 10_000]}`;
}

function buildNameTables() {
  const person = fakerZhCN.rawDefinitions.person;
  const last = person?.last_name?.generic ?? [];
  const femaleGivenNames = person?.first_name?.female ?? [];
  const maleGivenNames = person?.first_name?.male ?? [];
  if (last.length === 0 || femaleGivenNames.length === 0 || maleGivenNames.length === 0) {
    throw new Error('faker zh_CN locale has no surnames or sexed given names');
  }
  const combine = (given: readonly string[]): string[] => last.flatMap((s) => given.map((g) => s + g));
  return {
    surnames: last.length,
    femaleGiven: femaleGivenNames.length,
    maleGiven: maleGivenNames.length,
    female: combine(femaleGivenNames),
    male: combine(maleGivenNames),
  };
}

/**
 * x mod n for non-negative integers below 2^53. V8 compiles `%` on values outside the int32
 * range to a libc fmod call; floor-divide-and-multiply is exact here and several times faster.
 */
function mod(x: number, n: number): number {
  return x - Math.floor(x / n) * n;
}

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers with full avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Folds a safe-integer seed (negative or above 2^32 included) into 32 bits. */
function seedKeyOf(seed: number): number {
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return mix32(low ^ mix32(high ^ 0x5eed5eed));
}

/** A multiplier in [1, n) coprime with n, picked by `hash`; 1 when n < 2. */
function coprimeMultiplier(hash: number, n: number): number {
  if (n < 3) return 1;
  let a = 1 + (hash % (n - 1));
  while (gcd(a, n) !== 1) a = a + 1 === n ? 1 : a + 1;
  return a;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
