/** ASCII digits written straight into a byte buffer: the seeder's rows are made without strings. */
export const ZERO = 48;

/**
 * A whole number >= 0 in decimal at `at`, left-padded with zeros to `width` digits (0: as many
 * as it needs); returns the offset after it.
 */
export function writeDecimal(n: number, out: Uint8Array, at: number, width = 0): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  const end = at + Math.max(digits, width);
  let rest = n;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(rest / 10);
    out[i] = ZERO + rest - q * 10;
    rest = q;
  }
  return end;
}
