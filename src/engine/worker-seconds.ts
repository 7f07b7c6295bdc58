import { mergeWire, SecondMetrics, type MergedSecond, type WireSecond } from './second.js';
import type { FromWorker } from './worker-plan.js';

type SecondsMessage = Extract<FromWorker, { type: 'seconds' | 'done' }>;

/**
 * The seconds coming from the workers, merged in order: second t is merged once every worker has
 * said it is complete (its `upTo` passed t), or, once every worker is done, whatever is left. A
 * second no worker had data for merges as an empty one, so the merged seconds have no gaps.
 */
export class WorkerSeconds {
  readonly #pending = new Map<number, WireSecond[]>();
  readonly #upTo: number[];
  readonly #done: boolean[];
  /** Seconds before this one have been merged. */
  #merged = 0;
  readonly #onSecond: (second: MergedSecond, t: number) => void;

  constructor(workers: number, onSecond: (second: MergedSecond, t: number) => void) {
    this.#upTo = new Array<number>(workers).fill(0);
    this.#done = new Array<boolean>(workers).fill(false);
    this.#onSecond = onSecond;
  }

  get allDone(): boolean {
    return this.#done.every(Boolean);
  }

  receive(index: number, message: SecondsMessage): void {
    for (const s of message.seconds) {
      const list = this.#pending.get(s.t) ?? [];
      list.push(s);
      this.#pending.set(s.t, list);
    }
    this.#upTo[index] = message.upTo;
    if (message.type === 'done') this.#done[index] = true;
    this.#mergeUpTo(this.allDone ? Math.max(...this.#pending.keys(), this.#merged - 1) + 1 : Math.min(...this.#upTo));
  }

  /** A worker that failed sends nothing more; the others' seconds still merge as they come. */
  markDone(index: number): void {
    this.#done[index] = true;
  }

  #mergeUpTo(to: number): void {
    for (let t = this.#merged; t < to; t++) {
      const wires = this.#pending.get(t) ?? [new SecondMetrics(t).toWire()];
      this.#pending.delete(t);
      this.#onSecond(mergeWire(wires), t);
    }
    this.#merged = Math.max(this.#merged, to);
  }
}
