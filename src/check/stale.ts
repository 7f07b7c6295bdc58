import type { Operation } from './operations.js';

/**
 * Stale reads against a bound: a read that began more than `boundS` after a write to its key was
 * acknowledged, and still does not show it. The write judged is the latest acknowledged before
 * the read began less the bound; the read is not judged when another write to the key (of any
 * status) was invoked after that one and before the read ended, since it may legitimately show
 * that one instead. `shows(read, write)` says whether the read reflects the write.
 */
export interface Write {
  readonly key: string;
  /** When it was invoked and acknowledged (null: not acknowledged). */
  readonly invokeT: number;
  readonly ackT: number | null;
  readonly value: unknown;
}

export interface StaleRead {
  readonly read: Operation;
  readonly write: Write;
}

export function staleReads(
  reads: readonly Operation[],
  keyOf: (read: Operation) => string,
  writes: readonly Write[],
  boundS: number,
  shows: (read: Operation, write: Write) => boolean,
): StaleRead[] {
  const byKey = new Map<string, Write[]>();
  for (const w of writes) {
    const list = byKey.get(w.key);
    if (list === undefined) byKey.set(w.key, [w]);
    else list.push(w);
  }
  const out: StaleRead[] = [];
  for (const read of reads) {
    if (read.status !== 'ok') continue;
    const mine = byKey.get(keyOf(read));
    if (mine === undefined) continue;
    let judged: Write | undefined;
    for (const w of mine) {
      if (w.ackT !== null && w.ackT + boundS < read.invokeT && (judged === undefined || w.ackT > judged.ackT!)) judged = w;
    }
    if (judged === undefined) continue;
    const readEnd = read.endT ?? Infinity;
    const overtaken = mine.some((w) => w !== judged && w.invokeT > judged.invokeT && w.invokeT < readEnd);
    if (!overtaken && !shows(read, judged)) out.push({ read, write: judged });
  }
  return out;
}

/**
 * Reads that went back down a ranking on their key: a read that began after a read ranked higher
 * had ended, ranked lower. For a value
 * that must never go down once reached (a red code).
 */
export function loweredReads(reads: readonly Operation[], keyOf: (read: Operation) => string, rank: (read: Operation) => number): { read: Operation; after: Operation }[] {
  const highest = new Map<string, Operation>();
  const out: { read: Operation; after: Operation }[] = [];
  const ended = reads.filter((r) => r.status === 'ok' && r.endT !== null).sort((a, b) => a.endT! - b.endT!);
  const began = reads.filter((r) => r.status === 'ok').sort((a, b) => a.invokeT - b.invokeT);
  let i = 0;
  for (const read of began) {
    for (; i < ended.length && ended[i]!.endT! < read.invokeT; i++) {
      const e = ended[i]!;
      const top = highest.get(keyOf(e));
      if (top === undefined || rank(e) > rank(top)) highest.set(keyOf(e), e);
    }
    const top = highest.get(keyOf(read));
    if (top !== undefined && rank(read) < rank(top)) out.push({ read, after: top });
  }
  return out;
}
