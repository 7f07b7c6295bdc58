import type { Exchange } from './exchange.js';

/**
 * Requests waiting for a free socket, first in first out. An array with a moving head (no
 * shift() per request); an entry that settled while waiting (timed out) stays until the head
 * reaches it and is skipped then, so a timeout needs no search.
 */
export class RequestQueue {
  readonly #items: (Exchange | undefined)[] = [];
  #head = 0;

  /** Nothing in it, not even settled entries. */
  get empty(): boolean {
    return this.#head === this.#items.length;
  }

  /** Requests in it that have not settled. */
  get pending(): number {
    let pending = 0;
    for (let i = this.#head; i < this.#items.length; i++) if (this.#items[i]?.settled === false) pending++;
    return pending;
  }

  push(exchange: Exchange): void {
    this.#items.push(exchange);
  }

  /** Puts a request back in front of all others (one being retried). */
  unshift(exchange: Exchange): void {
    if (this.#head > 0) this.#items[--this.#head] = exchange;
    else this.#items.unshift(exchange);
  }

  /** Takes the first request that has not settled; empties the array when none is left. */
  shift(): Exchange | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const exchange = items[this.#head];
      items[this.#head++] = undefined;
      if (exchange !== undefined && !exchange.settled) return exchange;
    }
    if (this.#head > 0) {
      items.length = 0;
      this.#head = 0;
    }
    return undefined;
  }

  /** Times out every request past its deadline; returns the earliest deadline left (or Infinity). */
  expire(now: number): number {
    let earliest = Number.POSITIVE_INFINITY;
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const exchange = items[i];
      if (exchange !== undefined && !exchange.settled && exchange.deadline <= now) {
        exchange.settle(now, 0, 'timeout', 0, undefined, 'no free socket in time');
      } else if (exchange !== undefined && !exchange.settled && exchange.deadline < earliest) {
        earliest = exchange.deadline;
      }
    }
    return earliest;
  }

  /** Settles every request in it as `other` (`detail` says why) and empties it. */
  clear(now: number, detail: string): void {
    for (let i = this.#head; i < this.#items.length; i++) {
      const exchange = this.#items[i];
      if (exchange !== undefined) exchange.settle(now, 0, 'other', 0, undefined, detail);
    }
    this.#items.length = 0;
    this.#head = 0;
  }
}
