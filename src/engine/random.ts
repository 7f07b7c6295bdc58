import { invalidInput } from '../errors.js';

/**
 * The one source of randomness for planning and running: a seeded generator, injected, never
 * global. sfc32 (128-bit state, passes PractRand) seeded through splitmix32, so any integer seed,
 * including 0 and neighbouring seeds, gives a well-mixed, unrelated stream.
 *
 * `fork(label)` derives a child stream from this stream's *identity* (root seed + fork path),
 * not from its position: forking neither advances the parent nor depends on how much the parent
 * has drawn, so `random.fork('worker-2')` is the same stream whatever else the run did first.
 */
export interface Random {
  /** The root seed, the number to write into the run so it can be replayed. */
  readonly seed: number;
  /** The fork path from the root, e.g. 'scenario-a/worker-2'; '' for the root itself. */
  readonly label: string;
  /** Uniform in [0, 1), 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n); n a whole number >= 1. */
  int(n: number): number;
  /** Exponentially distributed with the given rate (> 0), i.e. mean 1 / rate. */
  exponential(rate: number): number;
  /** An independent stream derived deterministically from this one's identity and `label`. */
  fork(label: string): Random;
}

export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) {
    throw invalidInput('SEED_INVALID', `seed: expected a whole number, got ${String(seed)}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return new Sfc32(seed, '', fmix32(lo ^ fmix32(hi ^ 0x5bd1e995)));
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

class Sfc32 implements Random {
  readonly seed: number;
  readonly label: string;
  readonly #key: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, label: string, key: number) {
    this.seed = seed;
    this.label = label;
    this.#key = key;
    // splitmix32 expands the 32-bit key into sfc32's state; the warm-up discards the start.
    let s = key;
    const split = (): number => {
      s = (s + 0x9e3779b9) | 0;
      return fmix32(s);
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.#next32();
  }

  #next32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    const hi = this.#next32() >>> 5; // 27 bits
    const lo = this.#next32() >>> 6; // 26 bits
    return (hi * 67_108_864 + lo) / TWO_POW_53;
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Random.int: expected a whole number from 1 to 2^32, got ${n}`);
    }
    return Math.floor(this.next() * n);
  }

  exponential(rate: number): number {
    if (!(rate > 0) || !Number.isFinite(rate)) {
      throw new RangeError(`Random.exponential: expected a finite rate > 0, got ${rate}`);
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    return -Math.log1p(-this.next()) / rate;
  }

  fork(label: string): Random {
    const path = this.label === '' ? label : `${this.label}/${label}`;
    return new Sfc32(this.seed, path, fmix32(this.#key ^ fmix32(fnv1a(label) + 0x632be5ab)));
  }
}

/** murmur3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}
