/**
 * GB 11643-1999 resident ID numbers: 6-digit region code, 8-digit birth date YYYYMMDD,
 * 3-digit sequence (odd last digit for men, even for women), 1 check character computed with
 * ISO 7064 MOD 11-2. The checker runs on the reference server's manual-entry path, so it works
 * on char codes and allocates nothing but its result.
 */
import { KNOWN_REGION_CODES } from '../city/districts.js';

/** Weight of digit i (0-based) of the first 17 in the check sum. */
export const CHECK_WEIGHTS: readonly number[] = Object.freeze([
  7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2,
]);

// The same weights as a typed array: the checker's inner loop reads it 17 times per call.
const WEIGHTS = Int32Array.from(CHECK_WEIGHTS);

/** Check character for each value of S mod 11. */
export const CHECK_CHARACTERS = '10X98765432';

/** The day the simulated morning happens; "born in the future" is judged against it. */
export const DEFAULT_AS_OF = '2022-01-04';

const EARLIEST_YEAR = 1900;
const ZERO = 48;
const UPPER_X = 88;
const LOWER_X = 120;

/** Check character for the first 17 digits of an ID number. Throws on anything but 17 digits. */
export function checkCharacter(first17: string): string {
  if (first17.length !== 17) {
    throw new RangeError(`expected the first 17 digits of an ID number, got ${first17.length} characters`);
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const digit = first17.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) throw new RangeError(`expected digits only, got ${JSON.stringify(first17)}`);
    sum += digit * (WEIGHTS[i] ?? 0);
  }
  return CHECK_CHARACTERS.charAt(sum % 11);
}

export type IdCheck =
  | { ok: true; region: string; birthDate: string /* YYYY-MM-DD */; sex: 'male' | 'female' }
  | {
      ok: false;
      reason: 'type' | 'length' | 'format' | 'region' | 'date' | 'check';
      message: string;
    };

export interface IdCheckOptions {
  /** Birth dates after this day (YYYY-MM-DD) are rejected. Default DEFAULT_AS_OF. */
  readonly asOf?: string;
}

const DEFAULT_AS_OF_KEY = dateKey(DEFAULT_AS_OF);

/**
 * Checks an ID number as typed by sampling staff: type, length, characters, region, birth date
 * (a real day, not before 1900, not after `asOf`) and check character, in that order; the first
 * failure is reported.
 */
export function checkIdNumber(
  id: unknown,
  regions: ReadonlySet<string> = KNOWN_REGION_CODES,
  options: IdCheckOptions = {},
): IdCheck {
  if (typeof id !== 'string') return fail('type', `ID number must be a string, got ${typeName(id)}`);
  if (id.length !== 18) return fail('length', `ID number must be 18 characters, got ${id.length}`);

  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const digit = id.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) {
      return fail('format', `ID number must be 17 digits and a digit or X; character ${i + 1} is not a digit`);
    }
    sum += digit * (WEIGHTS[i] ?? 0);
  }
  const last = id.charCodeAt(17);
  if (last === LOWER_X) return fail('format', 'check character must be an uppercase X, not x');
  if (last !== UPPER_X && (last < ZERO || last > ZERO + 9)) {
    return fail('format', 'ID number must be 17 digits and a digit or X; character 18 is neither');
  }

  const region = id.slice(0, 6);
  if (!regions.has(region)) return fail('region', `unknown region code ${region}`);

  const year = digits(id, 6, 4);
  const month = digits(id, 10, 2);
  const day = digits(id, 12, 2);
  const birthDate = isoDate(id);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return fail('date', `impossible birth date ${birthDate}`);
  }
  if (year < EARLIEST_YEAR) return fail('date', `birth date ${birthDate} is before ${EARLIEST_YEAR}`);
  const asOfKey = options.asOf === undefined ? DEFAULT_AS_OF_KEY : dateKey(options.asOf);
  if (year * 10_000 + month * 100 + day > asOfKey) {
    return fail('date', `birth date ${birthDate} is after ${options.asOf ?? DEFAULT_AS_OF}`);
  }

  const expected = CHECK_CHARACTERS.charCodeAt(sum % 11);
  if (last !== expected) {
    return fail('check', `wrong check character: expected ${String.fromCharCode(expected)}, got ${id.charAt(17)}`);
  }
  return { ok: true, region, birthDate, sex: (id.charCodeAt(16) - ZERO) % 2 === 1 ? 'male' : 'female' };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** YYYY-MM-DD → YYYYMMDD as an integer, for ordering; throws on anything but a real day. */
export function dateKey(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const year = Number(m?.[1]);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (m === null || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`expected a date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
  return year * 10_000 + month * 100 + day;
}

/** Characters 7–14 of an ID number as YYYY-MM-DD, in one allocation. */
function isoDate(id: string): string {
  const c = (i: number): number => id.charCodeAt(i);
  return String.fromCharCode(c(6), c(7), c(8), c(9), 45, c(10), c(11), 45, c(12), c(13));
}

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) n = n * 10 + (s.charCodeAt(i) - ZERO);
  return n;
}

function fail(reason: Extract<IdCheck, { ok: false }>['reason'], message: string): IdCheck {
  return { ok: false, reason, message };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
