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
  nameBytes ??= { female: utf8Table(NAMES.female), male: utf8Table(NAMES.male) };
  const { bytes, ends } = isMale ? nameBytes.male : nameBytes.female;
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

/**
 * Each table's names as UTF-8, one after another, and where each ends; made on the first
 * writeName (the seeder's), so that the simulator and the k6 script never pay for it.
 */
let nameBytes: { female: NameBytes; male: NameBytes } | undefined;
interface NameBytes {
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
}

function utf8Table(names: readonly string[]): NameBytes {
  const encoded = names.map(utf8);
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

/** UTF-8 by hand: this module also runs inside the exported k6 script, where there is no TextEncoder. */
function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
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
