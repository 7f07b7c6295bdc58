/** The integer hashing the identity generator derives everything from; all bijections or exact. */

/**
 * x mod n for non-negative integers below 2^53. V8 compiles `%` on values outside the int32
 * range to a libc fmod call; floor-divide-and-multiply is exact here and several times faster.
 */
export function mod(x: number, n: number): number {
  return x - Math.floor(x / n) * n;
}

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers with full avalanche. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Folds a safe-integer seed (negative or above 2^32 included) into 32 bits. */
export function seedKeyOf(seed: number): number {
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return mix32(low ^ mix32(high ^ 0x5eed5eed));
}

/** A multiplier in [1, n) coprime with n, picked by `hash`; 1 when n < 2. */
export function coprimeMultiplier(hash: number, n: number): number {
  if (n < 3) return 1;
  let a = 1 + (hash % (n - 1));
  while (gcd(a, n) !== 1) a = a + 1 === n ? 1 : a + 1;
  return a;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
