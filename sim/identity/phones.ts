import { writeDecimal } from './ascii.js';
import { mix32 } from './hash.js';

/**
 * Mobile prefixes in use in 2022 (China Mobile, Unicom, Telecom). Exactly 43 of them: a phone
 * number is a bijective 32-bit hash h of the index, split as prefix h / 10^8 and suffix
 * h mod 10^8, and 2^32 / 10^8 needs 43 prefixes. Phones are therefore unique too.
 */
const MOBILE_PREFIXES = [
  130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156, 157, 158,
  159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 193,
  195, 196, 197, 198, 199,
] as const;

const PREFIX_TEXT = MOBILE_PREFIXES.map(String);
const FOUR_DIGITS = Array.from({ length: 10_000 }, (_, k) => String(k).padStart(4, '0'));

/** The resident's mobile number: unique per index for one `phoneKey`. */
export function phoneOf(index: number, phoneKey: number): string {
  const h = phoneHash(index, phoneKey);
  const prefix = Math.floor(h / 100_000_000);
  const rest = h - prefix * 100_000_000;
  const high = Math.floor(rest / 10_000);
  return `${PREFIX_TEXT[prefix]}${FOUR_DIGITS[high]}${FOUR_DIGITS[rest - high * 10_000]}`;
}

/** The same number's 11 digits as ASCII written into `out` at `at`, with no string made; returns the offset after them. */
export function writePhone(index: number, phoneKey: number, out: Uint8Array, at: number): number {
  const h = phoneHash(index, phoneKey);
  const prefix = Math.floor(h / 100_000_000);
  return writeDecimal(h - prefix * 100_000_000, out, writeDecimal(MOBILE_PREFIXES[prefix] ?? 0, out, at, 3), 8);
}

/** mix32 and multiplying by an odd constant are bijections on 32-bit integers. */
function phoneHash(index: number, phoneKey: number): number {
  return mix32(Math.imul(index, 0x2545f491) ^ phoneKey);
}
