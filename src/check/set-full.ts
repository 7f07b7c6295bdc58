import type { Operation } from './operations.js';

/**
 * Jepsen's set-full, for writes that each add one element (a key) to a set, judged against the
 * set as finally read:
 * - lost: acknowledged (some write of the element was ok) and absent at the end;
 * - recovered: indeterminate (info, never ok) and present: it did apply, which is no violation;
 * - failedApplied: every write of it failed, yet it is present (a fail must mean it did not happen);
 * - unexpected: present and never attempted;
 * - duplicates: present more than once.
 * An element written several times (a retry, another way of writing it) is judged once, by the
 * best its writes learned: ok over info over fail.
 */
export interface SetFullResult {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly lost: readonly Operation[];
  readonly recovered: readonly Operation[];
  readonly failedApplied: readonly Operation[];
  readonly unexpected: readonly string[];
  readonly duplicates: readonly string[];
}

const RANK = { ok: 2, info: 1, fail: 0 } as const;

export function setFull(writes: readonly Operation[], elementOf: (op: Operation) => string, final: readonly string[]): SetFullResult {
  const best = new Map<string, Operation>();
  for (const w of writes) {
    const key = elementOf(w);
    const known = best.get(key);
    if (known === undefined || RANK[w.status] > RANK[known.status]) best.set(key, w);
  }
  const present = new Map<string, number>();
  for (const e of final) present.set(e, (present.get(e) ?? 0) + 1);
  const lost: Operation[] = [];
  const recovered: Operation[] = [];
  const failedApplied: Operation[] = [];
  let acknowledged = 0;
  for (const [key, op] of best) {
    const there = present.has(key);
    if (op.status === 'ok') {
      acknowledged++;
      if (!there) lost.push(op);
    } else if (there) {
      (op.status === 'info' ? recovered : failedApplied).push(op);
    }
  }
  return {
    attempted: best.size,
    acknowledged,
    lost,
    recovered,
    failedApplied,
    unexpected: [...present.keys()].filter((k) => !best.has(k)),
    duplicates: [...present].filter(([, n]) => n > 1).map(([k]) => k),
  };
}
