import { describe, expect, it } from 'vitest';
import { coprimeMultiplier, mix32, mod, seedKeyOf } from '../../../sim/identity/hash.js';
import { createLayout, interleave } from '../../../sim/identity/layout.js';
import { phoneOf } from '../../../sim/identity/phones.js';

describe('interleave', () => {
  it.each([
    // k, size, n0, n1 → band, j
    [0, 10, 2, 5, 2, 0],
    [4, 10, 2, 5, 0, 0],
    [9, 10, 2, 5, 0, 1],
    [1, 10, 2, 5, 1, 0],
    [0, 3, 3, 0, 0, 0],
    [2, 3, 0, 0, 2, 2],
  ])('resident %d of %d (bands %d, %d) is band %d, #%d', (k, size, n0, n1, band, j) => {
    expect(interleave(k, size, n0, n1)).toStrictEqual({ band, j });
  });

  it.each([
    [10, 2, 5],
    [1_000, 187, 612],
    [7, 0, 7],
  ])('gives each band of a district of %d exactly its size, positions 0..n-1 in order', (size, n0, n1) => {
    const seen: number[][] = [[], [], []];
    for (let k = 0; k < size; k++) {
      const { band, j } = interleave(k, size, n0, n1);
      seen[band]!.push(j);
    }
    for (const [band, n] of [n0, n1, size - n0 - n1].entries()) {
      expect(seen[band]).toStrictEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});

describe('createLayout', () => {
  it('numbers compounds contiguously within each district', () => {
    const layout = createLayout(1_000, 30);
    let previous = { d: 0, compound: 0 };
    for (let index = 0; index < 1_000; index++) {
      const d = layout.districtIndex(index);
      const compound = layout.compoundOf(index, d);
      expect(d).toBeGreaterThanOrEqual(previous.d);
      expect(compound - previous.compound).toBeLessThanOrEqual(1);
      if (d !== previous.d) expect(compound).toBe(previous.compound + 1);
      previous = { d, compound };
    }
    expect(layout.compoundCount).toBe(previous.compound + 1);
    expect(layout.districtSizes.reduce((a, b) => a + b, 0)).toBe(1_000);
  });
});

describe('hash', () => {
  it.each([
    [10, 3, 1],
    [2 ** 40 + 7, 1_000, (2 ** 40 + 7) % 1_000],
    [0, 5, 0],
  ])('mod(%d, %d) is %d', (x, n, r) => {
    expect(mod(x, n)).toBe(r);
  });

  it('mix32 is a bijection on a sample of 32-bit integers', () => {
    const out = new Set<number>();
    for (let x = 0; x < 100_000; x++) out.add(mix32(x * 42_947 + 11));
    expect(out.size).toBe(100_000);
    for (const v of out) expect(v >>> 0).toBe(v);
  });

  it.each([
    [0, 2, 1],
    [12345, 1000, undefined],
    [99, 97, undefined],
  ])('coprimeMultiplier(%d, %d) is in [1, n) and coprime with n', (hash, n, exact) => {
    const a = coprimeMultiplier(hash, n);
    if (exact !== undefined) expect(a).toBe(exact);
    expect(a).toBeGreaterThanOrEqual(1);
    expect(a).toBeLessThan(Math.max(n, 2));
    let [x, y] = [a, n];
    while (y !== 0) [x, y] = [y, x % y];
    expect(x).toBe(1);
  });

  it('tells apart seeds that differ only above 32 bits, and negatives', () => {
    const keys = [1, 1 + 2 ** 32, -1, 2 ** 40].map(seedKeyOf);
    expect(new Set(keys).size).toBe(4);
  });
});

describe('phoneOf', () => {
  it('gives 11-digit mobile numbers, distinct per index', () => {
    const phones = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const phone = phoneOf(i, 0x1234_5678);
      expect(phone).toMatch(/^1[3-9]\d{9}$/);
      phones.add(phone);
    }
    expect(phones.size).toBe(50_000);
  });
});
