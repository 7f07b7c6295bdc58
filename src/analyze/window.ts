import { inflateSync } from 'node:zlib';
import { decodeFromCompressedBase64, JsHistogram } from 'hdr-histogram-js';
import { createHistogram, LATENCY_LAYOUT, VALUE_LAYOUT, type LatencyHistogram } from '../engine/histogram.js';
import { invalidInput } from '../errors.js';

/**
 * Latency histograms for analysis over windows of seconds, fast enough for an hour of a run:
 * each second's encoded HDR histogram is decoded once into a sparse list of (bucket, count),
 * straight from HDR's V2 wire format (base64 → zlib → ZigZag LEB128 counts with zero runs), and
 * a window is a dense array of bucket counts that seconds are added to and taken from. A
 * percentile reads the dense counts exactly as hdr-histogram-js's getValueAtPercentile does, so
 * a window's p(99) is the p(99) of one histogram of all its samples.
 *
 * The engine writes two layouts (src/engine/histogram.ts): latency (µs) and custom trends'
 * values (thousandths of their unit); both read back in thousandths as ms or units. A histogram
 * of another layout (another tool's) is decoded by the library and its values re-bucketed.
 */
export type LayoutKind = 'latency' | 'value';
const COMPRESSED_COOKIE_BASE = 0x1c849304;
const ENCODING_COOKIE_BASE = 0x1c849303;

export interface Sparse {
  readonly index: Int32Array;
  readonly count: Float64Array;
  readonly total: number;
}

/** Bucket index → value (µs) tables of the engine's histogram layout, built once. */
class Layout {
  readonly length: number;
  readonly lowest: Float64Array;
  readonly highest: Float64Array;
  readonly median: Float64Array;
  readonly template: LatencyHistogram;

  constructor(kind: LayoutKind) {
    const h = createHistogram(kind === 'latency' ? LATENCY_LAYOUT : VALUE_LAYOUT);
    this.template = h;
    this.length = h.countsArrayLength;
    this.lowest = new Float64Array(this.length);
    this.highest = new Float64Array(this.length);
    this.median = new Float64Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const v = h.valueFromIndex(i);
      this.lowest[i] = h.lowestEquivalentValue(v);
      this.highest[i] = h.highestEquivalentValue(v);
      this.median[i] = h.medianEquivalentValue(v);
    }
  }
}

const layouts: Partial<Record<LayoutKind, Layout>> = {};
const layoutOf = (kind: LayoutKind = 'latency'): Layout => (layouts[kind] ??= new Layout(kind));

export function decodeSparse(encoded: string, kind: LayoutKind = 'latency'): Sparse {
  const fast = tryDecodeWire(encoded, layoutOf(kind));
  if (fast !== undefined) return fast;
  // Another layout: decode with the library and re-bucket each value into ours.
  let decoded: unknown;
  try {
    decoded = decodeFromCompressedBase64(encoded, 32, false);
  } catch (err) {
    throw invalidInput('METRICS_HISTOGRAM_INVALID', `not an encoded HDR histogram: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!(decoded instanceof JsHistogram)) throw invalidInput('METRICS_HISTOGRAM_INVALID', 'not an encoded HDR histogram of integers');
  const h = decoded;
  const l = layoutOf(kind);
  const byIndex = new Map<number, number>();
  for (let i = 0; i < h.countsArrayLength; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    const j = l.template.countsArrayIndex(Math.min(h.highestEquivalentValue(h.valueFromIndex(i)), l.template.highestTrackableValue));
    byIndex.set(j, (byIndex.get(j) ?? 0) + c);
  }
  return toSparse(byIndex);
}

function toSparse(byIndex: Map<number, number>): Sparse {
  const keys = [...byIndex.keys()].sort((a, b) => a - b);
  const index = Int32Array.from(keys);
  const count = Float64Array.from(keys.map((k) => byIndex.get(k) ?? 0));
  return { index, count, total: count.reduce((s, c) => s + c, 0) };
}

function tryDecodeWire(encoded: string, layout: Layout): Sparse | undefined {
  const outer = Buffer.from(encoded, 'base64');
  if (outer.length < 8 || (outer.readInt32BE(0) & ~0xf0) !== COMPRESSED_COOKIE_BASE) return undefined;
  const length = outer.readInt32BE(4);
  let b: Buffer;
  try {
    b = inflateSync(outer.subarray(8, 8 + length));
  } catch {
    return undefined;
  }
  const t = layout.template;
  if (
    b.length < 40 ||
    (b.readInt32BE(0) & ~0xf0) !== ENCODING_COOKIE_BASE ||
    b.readInt32BE(12) !== t.numberOfSignificantValueDigits ||
    Number(b.readBigInt64BE(16)) !== t.lowestDiscernibleValue ||
    Number(b.readBigInt64BE(24)) !== t.highestTrackableValue
  ) {
    return undefined;
  }
  const payload = b.readInt32BE(4);
  const end = Math.min(b.length, 40 + payload);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, end);
  // At most one entry per byte of payload.
  const index = new Int32Array(end - 40);
  const count = new Float64Array(end - 40);
  let n = 0;
  let total = 0;
  let at = 40;
  let dst = 0;
  while (at < end) {
    // ZigZag LEB128 (up to 9 bytes); a negative value is a run of that many zero buckets.
    let v = bytes[at++]!;
    let value = v & 0x7f;
    let scale = 128;
    while (v >= 0x80 && at < end) {
      v = bytes[at++]!;
      value += (v & 0x7f) * scale;
      scale *= 128;
    }
    if (value % 2 === 1) {
      dst += (value + 1) / 2; // a run of zero buckets (normalizingIndexOffset is not used, as in hdr-histogram-js)
    } else {
      const c = value / 2;
      if (c > 0) {
        index[n] = dst;
        count[n] = c;
        n++;
        total += c;
      }
      dst++;
    }
  }
  if (dst > t.countsArrayLength) return undefined;
  return { index: index.slice(0, n), count: count.slice(0, n), total };
}

/**
 * How many of a histogram's samples were at most `ms`: those in buckets wholly at or below it
 * (a bucket's highest equivalent value), so a sample is never counted as faster than it was.
 */
export function countAtMost(s: Sparse, ms: number, kind: LayoutKind = 'latency'): number {
  const highest = layoutOf(kind).highest;
  const limit = ms * 1000;
  let n = 0;
  for (let k = 0; k < s.index.length; k++) if (highest[s.index[k]!]! <= limit) n += s.count[k]!;
  return n;
}

/** The samples of a window of seconds: add a second's histograms, take them away again. */
export class LatencyWindow {
  readonly #counts: Float64Array;
  readonly #layout: Layout;
  #total = 0;

  constructor(kind: LayoutKind = 'latency') {
    this.#layout = layoutOf(kind);
    this.#counts = new Float64Array(this.#layout.length);
  }

  get count(): number {
    return this.#total;
  }

  add(s: Sparse, sign: 1 | -1 = 1): void {
    const counts = this.#counts;
    for (let k = 0; k < s.index.length; k++) counts[s.index[k]!]! += sign * s.count[k]!;
    this.#total += sign * s.total;
  }

  /** Several percentiles (ascending) in one pass over the buckets; ms each. */
  percentiles(ps: readonly number[]): number[] {
    const out = ps.map(() => 0);
    if (this.#total <= 0 || ps.length === 0) return out;
    const l = this.#layout;
    const targets = ps.map((p) => {
      const fp = (Math.min(p, 100) / 100) * this.#total;
      return Math.max(Math.ceil(fp - ulp(fp)), 1);
    });
    let k = 0;
    let running = 0;
    for (let i = 0; i < l.length && k < ps.length; i++) {
      running += this.#counts[i]!;
      while (k < ps.length && running >= targets[k]!) {
        out[k] = Math.round(ps[k] === 0 ? l.lowest[i]! : l.highest[i]!) / 1000;
        k++;
      }
    }
    return out;
  }

  /** In ms, as hdr-histogram-js's getValueAtPercentile (and src/engine/histogram.ts) give it. */
  percentile(p: number): number {
    if (this.#total <= 0) return 0;
    const l = this.#layout;
    const requested = Math.min(p, 100);
    const fp = (requested / 100) * this.#total;
    const target = Math.max(Math.ceil(fp - ulp(fp)), 1);
    let running = 0;
    for (let i = 0; i < l.length; i++) {
      running += this.#counts[i]!;
      if (running >= target) return Math.round(p === 0 ? l.lowest[i]! : l.highest[i]!) / 1000;
    }
    return 0;
  }

  get avg(): number {
    if (this.#total <= 0) return 0;
    const l = this.#layout;
    let sum = 0;
    for (let i = 0; i < l.length; i++) {
      const c = this.#counts[i]!;
      if (c !== 0) sum += l.median[i]! * c;
    }
    return Math.round(sum / this.#total) / 1000;
  }
}

function ulp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  return 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}
