import { faker as fakerZhCN } from '@faker-js/faker/locale/zh_CN';
import { mix32, mod } from './hash.js';

/** Name tables built once per process: every surname + given name, by sex. */
const NAMES = buildNameTables();

/** A surname and a given name of the resident's sex, picked by a hash of the index. */
export function nameOf(index: number, nameKey: number, isMale: boolean): string {
  const { surnames, female, male, femaleGiven, maleGiven } = NAMES;
  const hn = mix32(Math.imul(index, 0x9e3779b1) ^ nameKey);
  const hs = Math.floor(hn / surnames);
  const surname = hn - hs * surnames;
  const givenCount = isMale ? maleGiven : femaleGiven;
  const given = mod(hs, givenCount);
  return (isMale ? male : female)[surname * givenCount + given] ?? '';
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
