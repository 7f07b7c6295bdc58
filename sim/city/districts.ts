/**
 * The city as the census counted it: Xi'an's districts, their resident-ID region codes and
 * populations, and the age mix. Sources and model choices are in /work/shared/DOMAIN.md; every
 * number here that no source gave is marked as a model choice.
 */

/** Xi'an, 2020 census (7th national census). */
export const CITY_POPULATION = 12_952_907;

export interface District {
  /** Administrative division code: the first six digits of a resident ID number. */
  readonly code: string;
  readonly name: string;
  readonly population: number;
  readonly source: 'census-2020' | 'weak-source' | 'remainder-share';
}

const FOUND: readonly District[] = [
  { code: '610102', name: 'Xincheng', population: 644_702, source: 'census-2020' },
  { code: '610103', name: 'Beilin', population: 756_840, source: 'census-2020' },
  { code: '610104', name: 'Lianhu', population: 1_019_102, source: 'census-2020' },
  // By management area; the legal boundary gives 2,046,737, which would overfill the city total.
  { code: '610113', name: 'Yanta', population: 1_202_038, source: 'census-2020' },
  { code: '610115', name: 'Lintong', population: 675_961, source: 'census-2020' },
  { code: '610116', name: "Chang'an", population: 1_090_000, source: 'weak-source' },
  { code: '610117', name: 'Gaoling', population: 416_996, source: 'census-2020' },
  { code: '610118', name: 'Huyi', population: 609_181, source: 'census-2020' },
  { code: '610124', name: 'Zhouzhi', population: 504_144, source: 'census-2020' },
];

/**
 * No 2020 figure was found for these four. Model choice: they share what the found districts
 * leave of CITY_POPULATION in equal parts, and the remainder of that division goes to the first
 * (Weiyang), so the districts sum to CITY_POPULATION exactly.
 */
const REMAINDER_SHARERS: readonly { code: string; name: string }[] = [
  { code: '610112', name: 'Weiyang' },
  { code: '610111', name: 'Baqiao' },
  { code: '610114', name: 'Yanliang' },
  { code: '610122', name: 'Lantian' },
];

function remainderShares(): District[] {
  const found = FOUND.reduce((sum, d) => sum + d.population, 0);
  const left = CITY_POPULATION - found;
  const share = Math.floor(left / REMAINDER_SHARERS.length);
  const extra = left - share * REMAINDER_SHARERS.length;
  return REMAINDER_SHARERS.map((d, i) => ({
    ...d,
    population: share + (i === 0 ? extra : 0),
    source: 'remainder-share' as const,
  }));
}

/** The 13 districts, ordered by code. Resident indices are laid out in this order. */
export const DISTRICTS: readonly District[] = Object.freeze(
  [...FOUND, ...remainderShares()]
    .sort((a, b) => (a.code < b.code ? -1 : 1))
    .map((d) => Object.freeze(d)),
);

/** Codes no longer in use that older ID cards still carry: Huxian county, now Huyi district. */
export const RETIRED_REGION_CODES: readonly string[] = Object.freeze(['610125']);

/** Every region code an ID number of a Xi'an resident may start with. */
export const KNOWN_REGION_CODES: ReadonlySet<string> = new Set([
  ...DISTRICTS.map((d) => d.code),
  ...RETIRED_REGION_CODES,
]);

export interface AgeBand {
  readonly band: 0 | 1 | 2;
  /** Youngest age in the band, in completed years on the reference day. */
  readonly minAge: number;
  /** Oldest age in the band, inclusive. */
  readonly maxAge: number;
  /** Share of the population, 0..1. */
  readonly share: number;
}

/**
 * Oldest age the model gives anyone (inclusive). A model parameter, not a census figure: the
 * census's 60+ band is open-ended, and birth dates need a finite range to draw from.
 */
export const OLDEST_AGE = 95;

/** Age mix, Shaanxi province, 2020 census: 0–14 17.3 %, 15–59 63.5 %, 60+ 19.2 %. */
export function ageMix(oldestAge: number = OLDEST_AGE): readonly AgeBand[] {
  if (!Number.isInteger(oldestAge) || oldestAge < 60) {
    throw new RangeError(`oldest age must be an integer of at least 60, got ${oldestAge}`);
  }
  return Object.freeze([
    Object.freeze({ band: 0, minAge: 0, maxAge: 14, share: 0.173 } as const),
    Object.freeze({ band: 1, minAge: 15, maxAge: 59, share: 0.635 } as const),
    Object.freeze({ band: 2, minAge: 60, maxAge: oldestAge, share: 0.192 } as const),
  ]);
}

export const AGE_MIX: readonly AgeBand[] = ageMix();

/**
 * Largest-remainder (Hamilton) apportionment: splits `total` into integer parts proportional to
 * `weights` that sum to `total` exactly. Each part is its quota rounded down or up; the units
 * left after rounding down go to the largest fractional remainders, ties to the lower index.
 * A zero weight always gets zero.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(`total must be a non-negative integer, got ${total}`);
  }
  let sum = 0;
  for (const w of weights) {
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weights must be finite and >= 0, got ${w}`);
    sum += w;
  }
  if (weights.length === 0 || sum === 0) {
    if (total === 0) return weights.map(() => 0);
    throw new RangeError('cannot allocate a positive total over weights that sum to zero');
  }

  const parts = new Array<number>(weights.length);
  const fractions = new Array<number>(weights.length);
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const quota = (total * (weights[i] ?? 0)) / sum;
    const floor = Math.floor(quota);
    parts[i] = floor;
    fractions[i] = quota - floor;
    given += floor;
  }

  // Float rounding can leave `given` a unit off the exact floor sum either way; hand out or
  // take back whole units in remainder order until the parts sum to total.
  const order = weights
    .map((_, i) => i)
    .filter((i) => (weights[i] ?? 0) > 0)
    .sort((a, b) => (fractions[b] ?? 0) - (fractions[a] ?? 0) || a - b);
  for (let k = 0; given < total; k = (k + 1) % order.length) {
    const i = order[k] ?? 0;
    parts[i] = (parts[i] ?? 0) + 1;
    given++;
  }
  for (let k = order.length - 1; given > total; k = (k - 1 + order.length) % order.length) {
    const i = order[k] ?? 0;
    if ((parts[i] ?? 0) > 0) {
      parts[i] = (parts[i] ?? 0) - 1;
      given--;
    }
  }
  return parts;
}
