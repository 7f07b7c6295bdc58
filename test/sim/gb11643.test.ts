import { describe, it, expect } from 'vitest';
import { KNOWN_REGION_CODES } from '../../sim/city/districts.js';
import { checkCharacter, checkIdNumber, type IdCheck } from '../../sim/identity/gb11643.js';

/** A well-formed ID number: region + birth date + sequence + the right check character. */
function id(region: string, yyyymmdd: string, sequence: string): string {
  const first17 = region + yyyymmdd + sequence;
  return first17 + checkCharacter(first17);
}

function reasonOf(result: IdCheck): string | undefined {
  return result.ok ? undefined : result.reason;
}

describe('checkCharacter', () => {
  it('gives X for the worked example of the standard', () => {
    expect(checkCharacter('11010519491231002')).toBe('X');
  });

  it.each([
    ['61010219800101001', '5'],
    ['61010219920221897', '6'],
  ])('computes the MOD 11-2 check character of %s', (first17, expected) => {
    // Independent computation of the same rule, written out longhand.
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = [...first17].reduce((s, ch, i) => s + Number(ch) * (weights[i] ?? 0), 0);
    expect('10X98765432'[sum % 11]).toBe(expected);
    expect(checkCharacter(first17)).toBe(expected);
  });

  it('refuses anything but 17 digits', () => {
    expect(() => checkCharacter('1101051949123100')).toThrow(RangeError);
    expect(() => checkCharacter('1101051949123100A')).toThrow(RangeError);
  });
});

describe('checkIdNumber', () => {
  const beijing = new Set(['110105']);

  it('accepts the worked example and reads birth date and sex', () => {
    expect(checkIdNumber('11010519491231002X', beijing)).toEqual({
      ok: true,
      region: '110105',
      birthDate: '1949-12-31',
      sex: 'female',
    });
  });

  it('accepts a Xi’an number, a man, and a retired region code', () => {
    const man = id('610113', '19920221', '897');
    expect(checkIdNumber(man)).toMatchObject({ ok: true, region: '610113', sex: 'male' });
    expect(checkIdNumber(id('610125', '19700101', '024'))).toMatchObject({ ok: true, region: '610125' });
  });

  it('accepts 29 February in a leap year and a birth on the asOf day', () => {
    expect(checkIdNumber(id('610102', '20000229', '011')).ok).toBe(true);
    expect(checkIdNumber(id('610102', '20220104', '011')).ok).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['a number', 610102198001010019, 'type'],
    ['null', null, 'type'],
    ['undefined', undefined, 'type'],
    ['an object', { id: '11010519491231002X' }, 'type'],
    ['17 characters', '11010519491231002', 'length'],
    ['19 characters', '11010519491231002X1', 'length'],
    ['an empty string', '', 'length'],
    ['a letter among the digits', '1101051949A231002X', 'format'],
    ['a lowercase x', '11010519491231002x', 'format'],
    ['a letter other than X at the end', '11010519491231002Y', 'format'],
    ['an unknown region', id('999999', '19800101', '001'), 'region'],
    ['a region outside Xi’an', '11010519491231002X', 'region'],
    ['30 February', id('610102', '19490230', '002'), 'date'],
    ['29 February in a common year', id('610102', '19000229', '002'), 'date'],
    ['month 13', id('610102', '19801301', '002'), 'date'],
    ['day 00', id('610102', '19800100', '002'), 'date'],
    ['a year before 1900', id('610102', '18991231', '002'), 'date'],
    ['a birth after the asOf day', id('610102', '20220105', '002'), 'date'],
    ['a wrong check character', id('610102', '19800101', '001').slice(0, 17) + 'X', 'check'],
  ])('rejects %s', (_label, input, reason) => {
    const result = checkIdNumber(input);
    expect(reasonOf(result)).toBe(reason);
    if (!result.ok) {
      expect(result.message).not.toContain('\n');
      expect(result.message.length).toBeLessThan(100);
    }
  });

  it('rejects a wrong check character of the worked example', () => {
    const result = checkIdNumber('110105194912310021', beijing);
    expect(result).toEqual({ ok: false, reason: 'check', message: 'wrong check character: expected X, got 1' });
  });

  it('says why a lowercase x is rejected', () => {
    const result = checkIdNumber('11010519491231002x', beijing);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/uppercase X/);
  });

  it('judges future births against the asOf option', () => {
    const born = id('610102', '20230601', '002');
    expect(reasonOf(checkIdNumber(born))).toBe('date');
    expect(checkIdNumber(born, KNOWN_REGION_CODES, { asOf: '2023-06-01' }).ok).toBe(true);
    expect(reasonOf(checkIdNumber(born, KNOWN_REGION_CODES, { asOf: '2023-05-31' }))).toBe('date');
  });

  it('uses the region set it is given', () => {
    expect(checkIdNumber('11010519491231002X', beijing).ok).toBe(true);
    expect(reasonOf(checkIdNumber(id('610102', '19800101', '001'), beijing))).toBe('region');
  });

  it('knows all 13 district codes and the retired Huxian code', () => {
    expect(KNOWN_REGION_CODES.size).toBe(14);
    expect(KNOWN_REGION_CODES.has('610125')).toBe(true);
  });
});
