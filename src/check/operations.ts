import type { HistoryKeys, HistoryRecord } from '../engine/history.js';

/**
 * A history's records paired into operations, as Jepsen's checkers read them: each invoke with
 * the completion that names it. An invoke with no completion (the run ended, or was cut, while
 * it was in flight) is indeterminate, `info`, and may have taken effect at any time after it began
 * (`endT` null: it never ended). A completion whose invoke is absent is counted, not guessed at.
 */
export type Status = 'ok' | 'fail' | 'info';

export interface Operation {
  readonly id: number;
  readonly f: string;
  readonly worker: number;
  readonly keys: HistoryKeys;
  readonly invokeT: number;
  /** When its completion came; null for an operation that never completed. */
  readonly endT: number | null;
  readonly status: Status;
  /** What the invoke carried (a write's value). */
  readonly input: unknown;
  /** What the completion carried (a read's value). */
  readonly value: unknown;
}

export interface Paired {
  /** In order of invocation. */
  readonly operations: readonly Operation[];
  /** Completions whose invoke is not in the history. */
  readonly orphans: number;
}

export function pairOperations(records: readonly HistoryRecord[]): Paired {
  const invokes = new Map<number, HistoryRecord>();
  const ends = new Map<number, HistoryRecord>();
  let orphans = 0;
  for (const r of records) {
    if (r.type === 'invoke') invokes.set(r.id, r);
    else if (!ends.has(r.id)) ends.set(r.id, r);
  }
  for (const id of ends.keys()) if (!invokes.has(id)) orphans++;
  const operations: Operation[] = [];
  for (const inv of invokes.values()) {
    const end = ends.get(inv.id);
    operations.push({
      id: inv.id,
      f: inv.f ?? '',
      worker: inv.worker,
      keys: inv.keys ?? {},
      invokeT: inv.t,
      endT: end === undefined ? null : end.t,
      status: end === undefined || end.type === 'invoke' ? 'info' : end.type,
      input: inv.value,
      value: end?.value,
    });
  }
  operations.sort((a, b) => a.invokeT - b.invokeT || a.id - b.id);
  return { operations, orphans };
}

/** The operations named `f`. */
export function named(ops: readonly Operation[], f: string): Operation[] {
  return ops.filter((o) => o.f === f);
}
