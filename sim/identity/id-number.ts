import { invalidInput } from '../../src/errors.js';
import { AGE_MIX, DISTRICTS } from '../city/districts.js';
import { CHECK_CHARACTERS, CHECK_WEIGHTS, daysInMonth } from './gb11643.js';
import { coprimeMultiplier, mix32, mod } from './hash.js';
import type { Layout } from './layout.js';

/**
 * GB 11643 ID numbers, unique by construction. The residents of one (district, age band) group, j in
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
export interface IdNumber {
  readonly idNumber: string;
  readonly birthDate: string;
  readonly isMale: boolean;
}

export interface IdNumbers {
  (d: number, band: 0 | 1 | 2, j: number): IdNumber;
  /**
   * The same ID number's first 17 digits (the check character left off, as the database keys
   * it) written as ASCII into `out` at `at`, with no string made; returns whether the resident
   * is male. For the seeder, which writes 13 million of them.
   */
  writeDigits(d: number, band: 0 | 1 | 2, j: number, out: Uint8Array, at: number): boolean;
}

const DAY_MS = 86_400_000;
const SEQUENCES = 1000;
// Odd, so that consecutive birth dates alternate the sex; otherwise arbitrary.
const DAY_SPREAD = 389;
const ZERO = 48;
const BAND_IDS = [0, 1, 2] as const;

/** One (district, band) group's permutation and date range. */
interface Group {
  readonly size: number;
  readonly a: number;
  readonly c: number;
  readonly days: number;
  /** Sequences used per birth date (ceil(n / days)) and birth dates used (ceil(n / perDay)). */
  readonly perDay: number;
  readonly datesUsed: number;
  readonly firstDay: number;
  readonly seqA: number;
  readonly seqC: number;
}

/** The ID numbers of a layout for one seed's `groupKey`, counted on `asOf`. */
export function createIdNumbers(layout: Layout, asOf: string, groupKey: number): IdNumbers {
  const dates = birthDateTable(asOf);
  const regionSum = DISTRICTS.map((district) => weightedSum(district.code, 0));
  const groups: Group[] = [];
  DISTRICTS.forEach((district, d) => {
    for (const band of BAND_IDS) groups.push(groupOf(3 * d + band, layout.bandSizes[d]?.[band] ?? 0, band, dates, groupKey, district.name));
  });
  const { iso, compact, sum: dateSum } = dates;
  const { seq3, seqSum } = SEQUENCE_TABLES;
  /** The resident's birth day (from the table's first) and printed sequence, as day · 1000 + seq. */
  const daySeq = (d: number, band: 0 | 1 | 2, j: number): number => {
    const g = groups[3 * d + band] as Group;
    const p = mod(g.a * j + g.c, g.size);
    // p → (s, date): s = p mod perDay, the date slot floor(p / perDay) spread evenly over the
    // band's days (slots <= days, so distinct slots get distinct days): a small population's
    // birth dates still span the whole band, and (date, s) stays unique.
    const slot = Math.floor(p / g.perDay);
    const s = p - slot * g.perDay;
    const dayInBand = Math.floor((slot * g.days) / g.datesUsed);
    return (g.firstDay + dayInBand) * SEQUENCES + mod(g.seqA * s + g.seqC + DAY_SPREAD * dayInBand, SEQUENCES);
  };
  const idNumberOf = (d: number, band: 0 | 1 | 2, j: number): IdNumber => {
    const ds = daySeq(d, band, j);
    const day = Math.floor(ds / SEQUENCES);
    const seq = ds - day * SEQUENCES;
    const check = CHECK_CHARACTERS[((regionSum[d] ?? 0) + (dateSum[day] ?? 0) + (seqSum[seq] ?? 0)) % 11];
    const code = DISTRICTS[d]?.code ?? '';
    return { idNumber: `${code}${compact[day]}${seq3[seq]}${check}`, birthDate: iso[day] ?? '', isMale: (seq & 1) === 1 };
  };
  const codeBytes = asciiTable(DISTRICTS.map((district) => district.code), 6);
  const dayBytes = asciiTable(compact, 8);
  const seqBytes = asciiTable(seq3, 3);
  const writeDigits = (d: number, band: 0 | 1 | 2, j: number, out: Uint8Array, at: number): boolean => {
    const ds = daySeq(d, band, j);
    const day = Math.floor(ds / SEQUENCES);
    const seq = ds - day * SEQUENCES;
    // Byte by byte: a subarray per field costs more than the copy.
    for (let i = 0; i < 6; i++) out[at + i] = codeBytes[6 * d + i] ?? 0;
    for (let i = 0; i < 8; i++) out[at + 6 + i] = dayBytes[8 * day + i] ?? 0;
    for (let i = 0; i < 3; i++) out[at + 14 + i] = seqBytes[3 * seq + i] ?? 0;
    return (seq & 1) === 1;
  };
  return Object.assign(idNumberOf, { writeDigits });
}

/** Strings of one length as one block of their ASCII bytes, the k-th at k · width. */
function asciiTable(texts: readonly string[], width: number): Uint8Array {
  const out = new Uint8Array(texts.length * width);
  texts.forEach((text, k) => {
    for (let i = 0; i < width; i++) out[k * width + i] = text.charCodeAt(i);
  });
  return out;
}

function groupOf(g: number, n: number, band: 0 | 1 | 2, dates: BirthDates, groupKey: number, districtName: string): Group {
  const days = dates.bandDays[band] ?? 0;
  if (n > days * SEQUENCES) {
    throw invalidInput(
      'IDENTITY_BLOCK_TOO_LARGE',
      `${n} residents of ${districtName} in age band ${band} need more than ${SEQUENCES} ID sequence numbers per birth date`,
      'lower the population (or its scale); at most about 17 times the census fits',
    );
  }
  const h1 = mix32(groupKey ^ Math.imul(g + 1, 0x9e3779b1));
  const h2 = mix32(h1 ^ 0x85ebca6b);
  const h3 = mix32(h2 ^ 0xc2b2ae35);
  const h4 = mix32(h3 ^ 0x27d4eb2f);
  const perDay = Math.max(1, Math.ceil(n / days));
  return {
    size: n,
    a: coprimeMultiplier(h1, n),
    c: n === 0 ? 0 : h2 % n,
    days,
    perDay,
    datesUsed: Math.max(1, Math.ceil(n / perDay)),
    firstDay: dates.bandFirstDay[band] ?? 0,
    seqA: coprimeMultiplier(h3, SEQUENCES),
    seqC: h4 % SEQUENCES,
  };
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
export function birthDateTable(asOf: string): BirthDates {
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

