/**
 * A history of operations as Jepsen keeps one: a journey records `invoke` when it begins an
 * operation and `ok`, `fail` or `info` when it learns how it ended (`info`: it cannot know — a
 * time-out, an ambiguous 5xx — and it issues nothing more on that operation). The engine knows
 * nothing of what an operation means: `f` names it, `keys` say what it touches, `value` what it
 * wrote or read; the domain (sim/) gives them their meaning and the checker (src/check/) judges them.
 */
export type HistoryType = 'invoke' | 'ok' | 'fail' | 'info';
export type HistoryKeys = Readonly<Record<string, string | number>>;

/** What a journey records through `ctx.record`. A completion names its invoke's `id`. */
export type HistoryOp =
  | { readonly type: 'invoke'; readonly f: string; readonly keys: HistoryKeys; readonly value?: unknown }
  | { readonly type: 'ok' | 'fail' | 'info'; readonly id: number; readonly value?: unknown };

/** One line of the history as the engine hands it on: the op with its id, time and worker. */
export interface HistoryRecord {
  /** Unique over the run: an invoke's id, which its completion repeats. */
  readonly id: number;
  readonly type: HistoryType;
  /** Seconds from the run's second 0, to the microsecond. */
  readonly t: number;
  readonly worker: number;
  /** The operation's name and keys, on invokes only. */
  readonly f?: string;
  readonly keys?: HistoryKeys;
  readonly value?: unknown;
}

/** What the history's writer is to the engine (src/run-files/history.ts's HistoryWriter). */
export interface HistorySink {
  write(records: readonly HistoryRecord[]): void;
  /** `notKept`: operations over the cap, counted but not written. */
  close(notKept: number): Promise<void>;
}

/**
 * One worker's history until its next flush: records appended to an array that the flush takes
 * whole (nothing else per operation, no I/O). Ids are `seq * of + worker`, unique over the run
 * without any coordination. At most `cap` operations are kept; a later invoke gets an id but is
 * not kept, and nor is its completion: it is counted in `notKept`. The completion of a kept invoke
 * is always kept, so that no kept operation is left looking indeterminate by the cap.
 */
export class HistoryBuffer {
  readonly #worker: number;
  readonly #of: number;
  readonly #cap: number;
  #seq = 0;
  #records: HistoryRecord[] = [];
  #notKept = 0;

  constructor(worker: number, of: number, cap: number) {
    this.#worker = worker;
    this.#of = of;
    this.#cap = cap;
  }

  /** Records `op` at `elapsedMs` (since second 0); returns the operation's id. */
  record(op: HistoryOp, elapsedMs: number): number {
    const t = Math.round(elapsedMs * 1000) / 1e6;
    if (op.type === 'invoke') {
      const seq = this.#seq++;
      const id = seq * this.#of + this.#worker;
      if (seq >= this.#cap) {
        this.#notKept++;
        return id;
      }
      this.#records.push(op.value === undefined ? { id, type: 'invoke', t, worker: this.#worker, f: op.f, keys: op.keys } : { id, type: 'invoke', t, worker: this.#worker, f: op.f, keys: op.keys, value: op.value });
      return id;
    }
    const seq = (op.id - this.#worker) / this.#of;
    // Not this worker's, never invoked, or its invoke was over the cap: nothing to complete.
    if (!Number.isInteger(seq) || seq < 0 || seq >= Math.min(this.#seq, this.#cap)) return op.id;
    this.#records.push(op.value === undefined ? { id: op.id, type: op.type, t, worker: this.#worker } : { id: op.id, type: op.type, t, worker: this.#worker, value: op.value });
    return op.id;
  }

  /** The records since the last drain. */
  drain(): HistoryRecord[] {
    const out = this.#records;
    this.#records = [];
    return out;
  }

  get notKept(): number {
    return this.#notKept;
  }
}
