/**
 * Byte-level pieces shared by the response parsers (response-parser.ts, response-head.ts,
 * chunked-body.ts): the ASCII codes they look for, scanners that read numbers and names
 * straight from a Buffer (no strings), and the two results of an incremental parse that are
 * not an offset.
 */

/** More bytes are needed; everything given so far was consumed. */
export const NEED_MORE = -1;
/** The response is malformed; the parser's `error` says why. */
export const PARSE_ERROR = -2;

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;
export const COLON = 58;
export const COMMA = 44;
export const SEMICOLON = 59;

/** The status line plus headers, and a trailer section, may not exceed this. */
export const MAX_HEAD_BYTES = 64 * 1024;

export function isDigit(d: number): boolean {
  return d >= 0 && d <= 9;
}

export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** ASCII case-insensitive comparison of `lower.length` bytes at `start` with `lower`. */
export function nameIs(b: Buffer, start: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    let c = b[start + k]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** A run of decimal digits as a number (at most 9 of them), or -1 when it is anything else. */
export function digitsValue(b: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 9) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = b[i] ?? 0;
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}
