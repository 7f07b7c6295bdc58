import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdentityGenerator, MAX_ROW_BYTES, type IdentityOptions } from '../../sim/identity/generator.js';

/**
 * Golden identities: what createIdentityGenerator produced for these options before it was split
 * into layout, ID number, names and phones (recorded from the unsplit code, commit 4abe63d). A
 * seeded city must stay the same city: the seeder and the simulator derive residents from it
 * independently, and a run directory names its seed. The digest covers every stride-th identity
 * as JSON lines, so a change anywhere in the index space shows, not only at the pinned indices.
 */
interface Golden {
  readonly options: IdentityOptions;
  readonly compoundCount: number;
  readonly stride: number;
  readonly count: number;
  readonly digest: string;
  readonly pinned: readonly Record<string, unknown>[];
}

const GOLDEN: readonly Golden[] = [
  {
    options: { seed: 20220104, population: 12952907 },
    compoundCount: 8641,
    stride: 647,
    count: 20020,
    digest: '6c4f6e5a8088941b5e0f6f6635b730275749287d783828d591bff9e48e9f4d97',
    pinned: [
      { index: 0, idNumber: '610102192903134693', name: '任梓浩', phone: '13391034493', districtCode: '610102', districtName: 'Xincheng', compound: 0, birthDate: '1929-03-13', sex: 'male', ageBand: 2 },
      { index: 1, idNumber: '610102196309291854', name: '李涛', phone: '13548264826', districtCode: '610102', districtName: 'Xincheng', compound: 0, birthDate: '1963-09-29', sex: 'male', ageBand: 1 },
      { index: 6476453, idNumber: '610113200908249170', name: '武智杰', phone: '18186762509', districtCode: '610113', districtName: 'Yanta', compound: 4319, birthDate: '2009-08-24', sex: 'male', ageBand: 0 },
      { index: 12952906, idNumber: '610124202112245148', name: '刘珈', phone: '17318248705', districtCode: '610124', districtName: 'Zhouzhi', compound: 8640, birthDate: '2021-12-24', sex: 'female', ageBand: 0 },
    ],
  },
  {
    options: { seed: 7, population: 1000 },
    compoundCount: 13,
    stride: 1,
    count: 1000,
    digest: 'f32e361d1cfbf266bbb3cec853486ecabf2aa340e8ddda1f9cdc6805c84f3113',
    pinned: [
      { index: 0, idNumber: '610102195001057565', name: '康国兰', phone: '15345154074', districtCode: '610102', districtName: 'Xincheng', compound: 0, birthDate: '1950-01-05', sex: 'female', ageBand: 2 },
      { index: 1, idNumber: '610102196901166868', name: '方丽芬', phone: '18044457263', districtCode: '610102', districtName: 'Xincheng', compound: 0, birthDate: '1969-01-16', sex: 'female', ageBand: 1 },
      { index: 500, idNumber: '610113198208095633', name: '胡沐宸', phone: '13434120820', districtCode: '610113', districtName: 'Yanta', compound: 5, birthDate: '1982-08-09', sex: 'male', ageBand: 1 },
      { index: 999, idNumber: '610124201104191368', name: '萧思佳', phone: '15387280921', districtCode: '610124', districtName: 'Zhouzhi', compound: 12, birthDate: '2011-04-19', sex: 'female', ageBand: 0 },
    ],
  },
  {
    options: { seed: -3, population: 50000, asOf: '2024-02-29', compoundSize: 700 },
    compoundCount: 79,
    stride: 2,
    count: 25000,
    digest: 'eb40a2ce2341e0b077dc7f3efe2f287bc6a1b1e60b63940c65b456ab221fdbd0',
    pinned: [
      { index: 0, idNumber: '610102193202263198', name: '长孙政君', phone: '13978971633', districtCode: '610102', districtName: 'Xincheng', compound: 0, birthDate: '1932-02-26', sex: 'male', ageBand: 2 },
      { index: 1, idNumber: '610102200011154952', name: '宋浩辰', phone: '18194390065', districtCode: '610102', districtName: 'Xincheng', compound: 0, birthDate: '2000-11-15', sex: 'male', ageBand: 1 },
      { index: 25000, idNumber: '61011320150416890X', name: '包依诺', phone: '17676332393', districtCode: '610113', districtName: 'Yanta', compound: 38, birthDate: '2015-04-16', sex: 'female', ageBand: 0 },
      { index: 49999, idNumber: '610124202301186757', name: '刘超', phone: '19328653999', districtCode: '610124', districtName: 'Zhouzhi', compound: 78, birthDate: '2023-01-18', sex: 'male', ageBand: 0 },
    ],
  },
  {
    options: { seed: 1099511627781, population: 3 },
    compoundCount: 3,
    stride: 1,
    count: 3,
    digest: 'd2128601922f5f2d8335cf87e19a4eafe8e4f7fb46c81444d520c851e07a1912',
    pinned: [
      { index: 0, idNumber: '61011119620105946X', name: '严兰英', phone: '13224736976', districtCode: '610111', districtName: 'Baqiao', compound: 0, birthDate: '1962-01-05', sex: 'female', ageBand: 1 },
      { index: 1, idNumber: '610112196201059263', name: '洪敏', phone: '19547641274', districtCode: '610112', districtName: 'Weiyang', compound: 1, birthDate: '1962-01-05', sex: 'female', ageBand: 1 },
      { index: 2, idNumber: '610114196201051168', name: '岳语桐', phone: '13881615352', districtCode: '610114', districtName: 'Yanliang', compound: 2, birthDate: '1962-01-05', sex: 'female', ageBand: 1 },
    ],
  },
];

function digestOf(options: IdentityOptions, stride: number): { digest: string; count: number } {
  const gen = createIdentityGenerator(options);
  const hash = createHash('sha256');
  let count = 0;
  for (let i = 0; i < gen.population; i += stride) {
    hash.update(`${JSON.stringify(gen.identity(i))}\n`);
    count++;
  }
  return { digest: hash.digest('hex'), count };
}

describe('identities are the same for the same seed', () => {
  it.each(GOLDEN.map((g) => [JSON.stringify(g.options), g] as const))('%s: pinned residents', (_, g) => {
    const gen = createIdentityGenerator(g.options);
    expect(gen.compoundCount).toBe(g.compoundCount);
    for (const person of g.pinned) {
      const index = person['index'] as number;
      expect(gen.identity(index)).toStrictEqual(person);
      expect(gen.compoundOf(index)).toBe(person['compound']);
      expect(gen.districtOf(index).code).toBe(person['districtCode']);
    }
  });

  it.each(GOLDEN.map((g) => [JSON.stringify(g.options), g] as const))('%s: digest of every stride-th resident', (_, g) => {
    expect(digestOf(g.options, g.stride)).toStrictEqual({ digest: g.digest, count: g.count });
  });
});

describe("the seeder's rows are the same residents", () => {
  // writeRow encodes without strings, from the same tables: every stride-th resident of each
  // golden city (and its pinned ones) must read back as identity()'s fields.
  it.each(GOLDEN.map((g) => [JSON.stringify(g.options), g] as const))('%s: writeRow is identity() as COPY text', (_, g) => {
    const gen = createIdentityGenerator(g.options);
    const out = new Uint8Array(MAX_ROW_BYTES + 8).fill(0xff);
    const text = new TextDecoder('utf-8', { fatal: true });
    const indices = [...g.pinned.map((p) => p['index'] as number)];
    for (let i = 0; i < gen.population; i += g.stride) indices.push(i);
    for (const i of indices) {
      const r = gen.identity(i);
      const end = gen.writeRow(i, out, 4);
      expect(end - 4).toBeLessThanOrEqual(MAX_ROW_BYTES);
      expect(text.decode(out.subarray(4, end))).toBe(`${i}\t${r.idNumber.slice(0, 17)}\t${r.name}\t${r.phone}\t${r.compound}\n`);
    }
    // Nothing written before `at`.
    expect([...out.subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
  });
});
