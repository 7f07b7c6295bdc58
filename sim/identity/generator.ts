/**
 * Resident index → identity, deterministic in (seed, index), without materialising the city.
 *
 * Layout of the index space (a contract the seeder and the simulator share; layout.ts):
 * - Residents are split among DISTRICTS in proportion to their populations (`allocate`), one
 *   contiguous block of indices per district, in DISTRICTS order.
 * - Within a district, residents are split into the AGE_MIX bands (`allocate`), interleaved
 *   evenly rather than in three sub-blocks, so that every compound has the city's age mix.
 * - Compounds are contiguous runs of `compoundSize` residents within a district (the last one
 *   of a district may be smaller); compound ids are global, counted in district order.
 *
 * ID numbers are unique by construction (id-number.ts), phones too (phones.ts); names come from
 * faker's zh_CN tables (names.ts). Each draws on its own key derived from the seed (hash.ts).
 */
import { invalidInput } from '../../src/errors.js';
import { AGE_MIX, DISTRICTS, type District } from '../city/districts.js';
import { DEFAULT_AS_OF, dateKey } from './gb11643.js';
import { mix32, seedKeyOf } from './hash.js';
import { writeDecimal } from './ascii.js';
import { createIdNumbers } from './id-number.js';
import { createLayout } from './layout.js';
import { nameOf, writeName } from './names.js';
import { phoneOf, writePhone } from './phones.js';

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
  /**
   * What the seeder stores of one resident, as one line of Postgres COPY text (UTF-8) written
   * into `out` at `at`: index, the ID number's first 17 digits, name, phone and compound,
   * tab-separated, then a newline. The same values identity() gives, without making strings;
   * returns the offset after the line. `out` needs MAX_ROW_BYTES from `at`.
   */
  writeRow(index: number, out: Uint8Array, at: number): number;
  districtOf(index: number): District;
  compoundOf(index: number): number;
  readonly compoundCount: number;
}

export function createIdentityGenerator(options: IdentityOptions): IdentityGenerator {
  const { seed, population } = options;
  const asOf = options.asOf ?? DEFAULT_AS_OF;
  const compoundSize = options.compoundSize ?? DEFAULT_COMPOUND_SIZE;
  validate(seed, population, asOf, compoundSize);

  const seedKey = seedKeyOf(seed);
  const nameKey = mix32(seedKey ^ 0x6e616d65);
  const phoneKey = mix32(seedKey ^ 0x70686f6e);
  const groupKey = mix32(seedKey ^ 0x67727570);
  const layout = createLayout(population, compoundSize);
  const idNumberOf = createIdNumbers(layout, asOf, groupKey);

  function checkIndex(index: number): void {
    if (!(index >= 0 && index < population && Math.floor(index) === index)) {
      throw new RangeError(`resident index must be an integer in [0, ${population}), got ${index}`);
    }
  }

  function identity(index: number): Identity {
    checkIndex(index);
    const d = layout.districtIndex(index);
    const { band, j } = layout.bandOf(d, layout.offsetInDistrict(index, d));
    const { idNumber, birthDate, isMale } = idNumberOf(d, band, j);
    const district = DISTRICTS[d] as District;
    return {
      index,
      idNumber,
      name: nameOf(index, nameKey, isMale),
      phone: phoneOf(index, phoneKey),
      districtCode: district.code,
      districtName: district.name,
      compound: layout.compoundOf(index, d),
      birthDate,
      sex: isMale ? 'male' : 'female',
      ageBand: band,
    };
  }

  function writeRow(index: number, out: Uint8Array, at: number): number {
    checkIndex(index);
    const d = layout.districtIndex(index);
    const { band, j } = layout.bandOf(d, layout.offsetInDistrict(index, d));
    let i = writeDecimal(index, out, at);
    out[i++] = TAB;
    const isMale = idNumberOf.writeDigits(d, band, j, out, i);
    i += 17;
    out[i++] = TAB;
    i = writeName(index, nameKey, isMale, out, i);
    out[i++] = TAB;
    i = writePhone(index, phoneKey, out, i);
    out[i++] = TAB;
    i = writeDecimal(layout.compoundOf(index, d), out, i);
    out[i++] = NEWLINE;
    return i;
  }

  return Object.freeze({
    population,
    seed,
    compoundCount: layout.compoundCount,
    identity,
    writeRow,
    districtOf(index: number): District {
      checkIndex(index);
      return DISTRICTS[layout.districtIndex(index)] as District;
    },
    compoundOf(index: number): number {
      checkIndex(index);
      return layout.compoundOf(index, layout.districtIndex(index));
    },
  });
}

/** Longest row writeRow writes: an index, 17 digits, a name of at most 4 CJK characters, a phone, a compound, tabs. */
export const MAX_ROW_BYTES = 96;
const TAB = 9;
const NEWLINE = 10;

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
    throw invalidInput('IDENTITY_OPTION_INVALID', `seed must be an integer, got ${seed}`);
  }
  if (!Number.isSafeInteger(population) || population < 1) {
    throw invalidInput('IDENTITY_OPTION_INVALID', `population must be a positive integer, got ${population}`);
  }
  if (!Number.isSafeInteger(compoundSize) || compoundSize < 1) {
    throw invalidInput('IDENTITY_OPTION_INVALID', `compound size must be a positive integer, got ${compoundSize}`);
  }
  try {
    dateKey(asOf);
  } catch {
    throw invalidInput('IDENTITY_OPTION_INVALID', `asOf must be a date as YYYY-MM-DD, got ${JSON.stringify(asOf)}`);
  }
  const year = Number(asOf.slice(0, 4));
  const oldest = AGE_MIX[AGE_MIX.length - 1]?.maxAge ?? 0;
  if (year - oldest - 1 < 1900) {
    throw invalidInput(
      'IDENTITY_OPTION_INVALID',
      `asOf ${asOf} puts the oldest residents' births before 1900, which ID numbers cannot hold`,
    );
  }
}

