/**
 * A binary min-heap of items by their `deadline`: the earliest is at the top. Pushing and
 * popping cost O(log n), so settling k requests that are due among n waiting costs O(k log n),
 * where a walk over the waiting ones costs O(n) at every sweep.
 */
export class DeadlineHeap<T extends { readonly deadline: number }> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** The item with the earliest deadline, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent]!;
      if (above.deadline <= item.deadline) break;
      items[i] = above;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the item with the earliest deadline; undefined when empty. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right]!.deadline < items[left]!.deadline ? right : left;
      if (items[child]!.deadline >= last.deadline) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  clear(): void {
    this.#items.length = 0;
  }
}
