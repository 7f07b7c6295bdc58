/**
 * Read batching (DataLoader's idea): the keys asked for within one turn of the event loop go to
 * the source together, up to `max` a call, so a storm of cache misses for different residents
 * costs one database round trip per batch instead of one per resident. Under load a turn of the
 * loop takes longer and gathers more keys: the batching grows exactly when it is needed.
 *
 * Each call takes the earliest deadline among its keys (the oldest request's). A key the source
 * has no value for resolves to undefined; a failed call rejects every key in it.
 */
export class Batcher<K, V> {
  #pending: { key: K; deadline: number; resolve: (v: V | undefined) => void; reject: (err: unknown) => void }[] = [];
  #scheduled = false;

  constructor(
    private readonly max: number,
    private readonly loadMany: (keys: readonly K[], deadline: number) => Promise<ReadonlyMap<K, V>>,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a batch holds at least one key (got ${max})`);
  }

  /** Keys waiting for the next batch. */
  get waiting(): number {
    return this.#pending.length;
  }

  load(key: K, deadline: number): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ key, deadline, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const all = this.#pending;
    this.#pending = [];
    for (let at = 0; at < all.length; at += this.max) {
      const batch = all.slice(at, at + this.max);
      const deadline = batch.reduce((d, p) => (p.deadline > 0 && (d === 0 || p.deadline < d) ? p.deadline : d), 0);
      this.loadMany(
        batch.map((p) => p.key),
        deadline,
      ).then(
        (values) => {
          for (const p of batch) p.resolve(values.get(p.key));
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      );
    }
  }
}
