import { faker as fakerZhCN } from '@faker-js/faker/locale/zh_CN';
import { mix32, mod } from './hash.js';

/** Name tables built once per process: every surname + given name, by sex. */
const NAMES = buildNameTables();

/** A surname and a given name of the resident's sex, picked by a hash of the index. */
export function nameOf(index: number, nameKey: number, isMale: boolean): string {
  return (isMale ? NAMES.male : NAMES.female)[nameAt(index, nameKey, isMale)] ?? '';
}

/** The same name as UTF-8 bytes written into `out` at `at`, with no string made; returns the offset after it. */
export function writeName(index: number, nameKey: number, isMale: boolean, out: Uint8Array, at: number): number {
  const { bytes, ends } = isMale ? NAME_BYTES.male : NAME_BYTES.female;
  const k = nameAt(index, nameKey, isMale);
  const start = k === 0 ? 0 : (ends[k - 1] ?? 0);
  const end = ends[k] ?? 0;
  for (let i = start; i < end; i++) out[at + i - start] = bytes[i] ?? 0;
  return at + end - start;
}

/** Where the resident's name is in its sex's table. */
function nameAt(index: number, nameKey: number, isMale: boolean): number {
  const { surnames, femaleGiven, maleGiven } = NAMES;
  const hn = mix32(Math.imul(index, 0x9e3779b1) ^ nameKey);
  const hs = Math.floor(hn / surnames);
  const surname = hn - hs * surnames;
  const givenCount = isMale ? maleGiven : femaleGiven;
  return surname * givenCount + mod(hs, givenCount);
}

/** Each table's names as UTF-8, one after another, and where each ends. */
const NAME_BYTES = { female: utf8Table(NAMES.female), male: utf8Table(NAMES.male) };

function utf8Table(names: readonly string[]): { bytes: Uint8Array; ends: Uint32Array } {
  const utf8 = new TextEncoder();
  const encoded = names.map((name) => utf8.encode(name));
  const ends = new Uint32Array(encoded.length);
  let end = 0;
  encoded.forEach((b, k) => {
    end += b.length;
    ends[k] = end;
  });
  const bytes = new Uint8Array(end);
  encoded.forEach((b, k) => bytes.set(b, k === 0 ? 0 : (ends[k - 1] ?? 0)));
  return { bytes, ends };
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
