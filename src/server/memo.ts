/**
 * A bounded map for memoising pure, repeatable work on the hot path (verifying a MAC that was
 * verified a moment ago). When full, the oldest entry goes: insertion order is a good enough
 * proxy for age here, and it costs nothing to keep.
 */
export class Memo<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly limit: number) {}

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.#entries.size >= this.limit && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
