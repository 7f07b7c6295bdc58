/**
 * Request slots: how many requests a worker works on at once, as a thread-per-request server's
 * thread pool does (a servlet container's 200 threads). A request holds its slot from the moment
 * it is taken up until its answer is handed over — through every wait on the database or Redis —
 * and requests that find no free slot wait in one FIFO queue. So when the slots are all held by
 * requests waiting on a slow database, a request that would be a cache hit waits behind them.
 *
 * A waiting request can leave the queue (its client hung up, or it waited too long): what to do
 * then is the caller's business; this only keeps the order and the counts.
 */
export interface SlotGrant {
  /** Milliseconds spent waiting in the queue (0 when a slot was free). */
  readonly waitedMs: number;
}

/** A request waiting in the queue. */
export interface SlotTicket {
  /** Leaves the queue; false when it already holds a slot (or left before). */
  leave(): boolean;
}

class Waiter implements SlotTicket {
  waiting = true;
  constructor(
    readonly since: number,
    readonly grant: (grant: SlotGrant) => void,
    private readonly slots: RequestSlots,
  ) {}

  leave(): boolean {
    if (!this.waiting) return false;
    this.waiting = false;
    this.slots.left();
    return true;
  }
}

export class RequestSlots {
  #busy = 0;
  #waiting = 0;
  /** FIFO, consumed from #head so that a long queue costs no shifting; left waiters are skipped. */
  #queue: (Waiter | undefined)[] = [];
  #head = 0;

  constructor(
    /** Slots; 0 means no limit (every request is taken up at once). */
    readonly size: number,
    private readonly now: () => number = Date.now,
  ) {}

  get busy(): number {
    return this.#busy;
  }

  get waiting(): number {
    return this.#waiting;
  }

  /**
   * `grant` is called when the request holds a slot: at once (and undefined is returned), or
   * later in arrival order (and the ticket to leave the queue is returned).
   */
  take(grant: (grant: SlotGrant) => void): SlotTicket | undefined {
    if (this.size === 0 || this.#busy < this.size) {
      this.#busy++;
      grant({ waitedMs: 0 });
      return undefined;
    }
    const waiter = new Waiter(this.now(), grant, this);
    this.#queue.push(waiter);
    this.#waiting++;
    return waiter;
  }

  /** A slot is free again: the longest waiter still there gets it. */
  give(): void {
    for (;;) {
      const next = this.#next();
      if (next === undefined) {
        this.#busy = Math.max(0, this.#busy - 1);
        return;
      }
      if (!next.waiting) continue;
      next.waiting = false;
      this.#waiting--;
      next.grant({ waitedMs: this.now() - next.since });
      return;
    }
  }

  /** @internal A waiter left the queue. */
  left(): void {
    this.#waiting--;
  }

  #next(): Waiter | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const next = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined;
    if (this.#head > 1_024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }
}
