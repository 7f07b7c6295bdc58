/**
 * A bounded map for memoising pure, repeatable work on the hot path (verifying a MAC that was
 * verified a moment ago), bounded in count and, when given `maxAgeMs`, in age.
 *
 * It keeps two generations: entries are written to the young one, read from either, and when
 * the young one is full (half the limit) or older than `maxAgeMs`, the old one is dropped whole
 * and the young one takes its place. An entry is therefore kept between `maxAgeMs` and twice
 * that (at most `limit` in all), at no cost per entry: no timestamp, no wrapper, no list. The
 * clock is read on writes only, so after a quiet spell a read may still find an entry older
 * than that: callers whose entries expire (the near cache) keep their own deadline.
 *
 * The age bound is what keeps a worker small under a storm of different residents. A count
 * alone let every memo fill to its limit over a capacity search across 1.3 million residents
 * (the worker's heap grew by hundreds of MB), holding entries that could no longer be asked
 * for (a near-cache entry is useless after a second, a rendered body after its QR step), which
 * every major collection then had to mark.
 */
export class Memo<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  #rotateAt: number;
  readonly #half: number;

  constructor(
    readonly limit: number,
    readonly maxAgeMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.#half = Math.max(1, Math.ceil(limit / 2));
    this.#rotateAt = maxAgeMs > 0 ? now() + maxAgeMs : Infinity;
  }

  get(key: K): V | undefined {
    return this.#young.get(key) ?? this.#old.get(key);
  }

  set(key: K, value: V): void {
    if (this.maxAgeMs > 0) {
      const now = this.now();
      if (now >= this.#rotateAt + this.maxAgeMs) {
        // Quiet for so long that two rotations are due: both generations are past it.
        this.#young = new Map();
        this.#rotate();
      } else if (now >= this.#rotateAt) this.#rotate();
    }
    if (this.#young.size >= this.#half && !this.#young.has(key)) this.#rotate();
    this.#young.set(key, value);
    this.#old.delete(key);
  }

  delete(key: K): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #rotate(): void {
    this.#old = this.#young;
    this.#young = new Map();
    if (this.maxAgeMs > 0) this.#rotateAt = this.now() + this.maxAgeMs;
  }
}
