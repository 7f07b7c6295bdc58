import { ApiError } from '../errors.js';

/**
 * A counting semaphore with a bounded wait queue. When the queue is full the caller is shed at
 * once (503 + Retry-After) instead of waiting behind work nobody will read; a waiter whose
 * deadline passes leaves the queue. With maxQueue = 0 the queue is unbounded and waits forever:
 * the fragile behaviour.
 */
interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class Bulkhead {
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
    private readonly retryAfterS: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves when a slot is free; `deadline` is an absolute time in ms (0: none). */
  acquire(deadline: number): Promise<void> {
    if (this.#active < this.capacity) {
      this.#active++;
      return Promise.resolve();
    }
    if (this.maxQueue > 0 && this.#queue.length >= this.maxQueue) {
      return Promise.reject(new ApiError('OVERLOADED', 'too many requests waiting for the database', this.retryAfterS));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (deadline > 0) {
        const left = deadline - Date.now();
        waiter.timer = setTimeout(() => {
          const at = this.#queue.indexOf(waiter);
          if (at !== -1) this.#queue.splice(at, 1);
          reject(new ApiError('DEADLINE_EXCEEDED', 'gave up waiting for the database', this.retryAfterS));
        }, Math.max(0, left));
      }
      this.#queue.push(waiter);
    });
  }

  release(): void {
    const next = this.#queue.shift();
    if (next === undefined) {
      this.#active--;
      return;
    }
    if (next.timer !== undefined) clearTimeout(next.timer);
    next.resolve();
  }
}
