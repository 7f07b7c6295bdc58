/**
 * Request coalescing ("single flight"): concurrent loads of the same key share one promise, so
 * a thousand misses for one resident cost one database read, not a thousand.
 */
export class Coalescer<K, V> {
  readonly #inFlight = new Map<K, Promise<V>>();

  get size(): number {
    return this.#inFlight.size;
  }

  run(key: K, load: () => Promise<V>): Promise<V> {
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) return pending;
    const started = load().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }
}
