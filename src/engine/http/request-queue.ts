import { DeadlineHeap } from './deadline-heap.js';
import type { Exchange } from './exchange.js';

/**
 * Requests waiting for a free socket, in two orders over the same entries.
 *
 * Service order, first in first out (a request being retried goes back in front): an array with
 * a moving head, no shift() per request. An entry that timed out while waiting stays where it is
 * and is skipped when the head reaches it; once such entries outnumber the waiting ones (and
 * there are more than COMPACT_AFTER) the array is compacted. Against a server that stops
 * answering, every socket is busy, requests time out in this queue and people tap again: the
 * array then holds what waits, not every request made since the sockets filled.
 *
 * Deadline order, a min-heap (deadline-heap.ts): a sweep settles what is due in O(due · log n),
 * not by walking every waiting request. At 200,000 people waiting and a sweep every 10 ms, that
 * walk (with the timed-out entries kept behind the head) stalled the generator for seconds at a
 * time. An entry that left for a socket stays in the heap until its deadline and is skipped then.
 */
const COMPACT_AFTER = 1_024;

export class RequestQueue {
  #items: (Exchange | undefined)[] = [];
  #head = 0;
  /** Entries in #items still waiting: queued and not settled. */
  #waiting = 0;
  readonly #byDeadline = new DeadlineHeap<Exchange>();

  /** Nothing in it, not even settled entries. */
  get empty(): boolean {
    return this.#head === this.#items.length;
  }

  /** Requests in it that have not settled. */
  get pending(): number {
    return this.#waiting;
  }

  /** Entries the service order holds: the waiting, and the timed-out not yet dropped. */
  get held(): number {
    return this.#items.length - this.#head;
  }

  push(exchange: Exchange): void {
    this.#enqueue(exchange);
    this.#items.push(exchange);
  }

  /** Puts a request back in front of all others (one being retried). */
  unshift(exchange: Exchange): void {
    this.#enqueue(exchange);
    if (this.#head > 0) this.#items[--this.#head] = exchange;
    else this.#items.unshift(exchange);
  }

  /** Takes the first request that has not settled; empties the array when none is left. */
  shift(): Exchange | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const exchange = items[this.#head];
      items[this.#head++] = undefined;
      if (exchange === undefined || !exchange.queued) continue;
      exchange.queued = false;
      this.#waiting--;
      if (!exchange.settled) return exchange;
    }
    if (this.#head > 0) {
      items.length = 0;
      this.#head = 0;
    }
    return undefined;
  }

  /** Times out every request past its deadline; returns the earliest deadline left (or Infinity). */
  expire(now: number): number {
    const heap = this.#byDeadline;
    for (let top = heap.peek(); top !== undefined && (top.deadline <= now || !top.queued || top.settled); top = heap.peek()) {
      heap.pop();
      if (!top.queued) continue; // left for a socket, or already timed out (pushed twice)
      top.queued = false;
      this.#waiting--;
      top.settle(now, 0, 'timeout', 0, undefined, 'no free socket in time');
    }
    const garbage = this.#items.length - this.#head - this.#waiting;
    if (garbage > COMPACT_AFTER && garbage > this.#waiting) this.#compact();
    return heap.peek()?.deadline ?? Number.POSITIVE_INFINITY;
  }

  /** Settles every request in it as `other` (`detail` says why) and empties it. */
  clear(now: number, detail: string): void {
    for (let i = this.#head; i < this.#items.length; i++) {
      const exchange = this.#items[i];
      if (exchange === undefined || !exchange.queued) continue;
      exchange.queued = false;
      exchange.settle(now, 0, 'other', 0, undefined, detail);
    }
    this.#items.length = 0;
    this.#head = 0;
    this.#waiting = 0;
    this.#byDeadline.clear();
  }

  #enqueue(exchange: Exchange): void {
    exchange.queued = true;
    this.#waiting++;
    this.#byDeadline.push(exchange);
  }

  /** Drops the entries that no longer wait, keeping the order of those that do. */
  #compact(): void {
    const kept: Exchange[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const exchange = this.#items[i];
      if (exchange !== undefined && exchange.queued) kept.push(exchange);
    }
    this.#items = kept;
    this.#head = 0;
  }
}
