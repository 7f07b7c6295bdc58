import { AGE_MIX, DISTRICTS, allocate } from '../city/districts.js';

/**
 * The index space's layout (generator.ts has the contract): district blocks in DISTRICTS order,
 * age bands interleaved within a district, compounds as contiguous runs within a district.
 */
export interface Layout {
  readonly population: number;
  readonly compoundCount: number;
  /** Residents per district, and per district the sizes of its age bands. */
  readonly districtSizes: readonly number[];
  readonly bandSizes: readonly (readonly number[])[];
  /** The district holding `index`, by position in DISTRICTS. */
  districtIndex(index: number): number;
  /** `index`'s position within its district. */
  offsetInDistrict(index: number, d: number): number;
  compoundOf(index: number, d: number): number;
  /** The age band of the k-th resident of district d, and its position j within that band. */
  bandOf(d: number, k: number): { readonly band: 0 | 1 | 2; readonly j: number };
}

export function createLayout(population: number, compoundSize: number): Layout {
  const districtCount = DISTRICTS.length;
  const districtSizes = allocate(population, DISTRICTS.map((d) => d.population));
  const districtStart = new Float64Array(districtCount + 1);
  const compoundBase = new Float64Array(districtCount + 1);
  for (let d = 0; d < districtCount; d++) {
    const size = districtSizes[d] ?? 0;
    districtStart[d + 1] = (districtStart[d] ?? 0) + size;
    compoundBase[d + 1] = (compoundBase[d] ?? 0) + Math.ceil(size / compoundSize);
  }
  const bandSizes = districtSizes.map((size) => allocate(size, AGE_MIX.map((b) => b.share)));
  return {
    population,
    compoundCount: compoundBase[districtCount] ?? 0,
    districtSizes,
    bandSizes,
    districtIndex(index) {
      let d = 0;
      while (index >= (districtStart[d + 1] ?? Infinity)) d++;
      return d;
    },
    offsetInDistrict: (index, d) => index - (districtStart[d] ?? 0),
    compoundOf: (index, d) => (compoundBase[d] ?? 0) + Math.floor((index - (districtStart[d] ?? 0)) / compoundSize),
    bandOf: (d, k) => interleave(k, districtSizes[d] ?? 0, bandSizes[d]?.[0] ?? 0, bandSizes[d]?.[1] ?? 0),
  };
}

/**
 * Bresenham-style interleave of a district of `size`: band 0 (n0) against the rest, then band 1
 * (n1) against band 2. Products stay far below 2^53, so floor(x / n) is exact.
 */
export function interleave(k: number, size: number, n0: number, n1: number): { band: 0 | 1 | 2; j: number } {
  const before0 = Math.floor((k * n0) / size);
  if (Math.floor(((k + 1) * n0) / size) > before0) return { band: 0, j: before0 };
  const rest = size - n0;
  const kr = k - before0;
  const before1 = Math.floor((kr * n1) / rest);
  if (Math.floor(((kr + 1) * n1) / rest) > before1) return { band: 1, j: before1 };
  return { band: 2, j: kr - before1 };
}
