import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { z } from 'zod';
import type { HistoryRecord, HistorySink } from '../engine/history.js';
import { badLine, jsonObject, optionalLines, parseWith } from './lines.js';

/**
 * history.ndjson: the journeys' operations (src/engine/history.ts), one line each, in the order
 * the main thread received them (each worker's in its own order; not sorted by time), then one
 * closing line:
 *
 *   {"id":7,"type":"invoke","t":3.012345,"worker":1,"f":"lab.result","keys":{"tube":"T…"},"value":{"result":"positive"}}
 *   {"id":7,"type":"ok","t":3.051,"worker":1}
 *   {"type":"end","kept":52113,"notKept":0}
 *
 *   id      unique over the run; a completion repeats its invoke's
 *   type    invoke, then ok (it happened), fail (it did not) or info (cannot know)
 *   t       seconds from the run's second 0 (as metrics.ndjson's seconds)
 *   worker  the engine worker thread that ran it
 *   f, keys the operation and what it touches (invokes only); value what it wrote or read
 *   end     kept: operations written; notKept: operations over the cap, counted only. A file
 *           without it was cut short (the run was killed): what it holds is still judged.
 */
const keys = z.record(z.string(), z.union([z.string(), z.number()]));
const opLine = z.strictObject({
  id: z.number().int().nonnegative(),
  type: z.enum(['invoke', 'ok', 'fail', 'info']),
  t: z.number().refine(Number.isFinite, 'expected a finite number'),
  worker: z.number().int().nonnegative(),
  f: z.string().min(1).optional(),
  keys: keys.optional(),
  value: z.unknown().optional(),
});
const endLine = z.strictObject({ type: z.literal('end'), kept: z.number().int().nonnegative(), notKept: z.number().int().nonnegative() });

export interface History {
  readonly records: readonly HistoryRecord[];
  /** Operations the cap left out; null when the file has no closing line. */
  readonly notKept: number | null;
}

const CODE = 'HISTORY_LINE_INVALID';

/** history.ndjson, every line checked; an empty history when the file is absent. */
export function readHistory(file: string): History {
  const records: HistoryRecord[] = [];
  let notKept: number | null = null;
  for (const { text, where } of optionalLines(file)) {
    const json = jsonObject(text, where, CODE);
    if (json['type'] === 'end') {
      notKept = parseWith(endLine, json, where, CODE).notKept;
      continue;
    }
    const op = parseWith(opLine, json, where, CODE);
    if (op.type === 'invoke' && (op.f === undefined || op.keys === undefined)) throw badLine(CODE, where, ['f: an invoke names its operation and keys']);
    records.push(op as HistoryRecord);
  }
  return { records, notKept };
}

/** history.ndjson's one writer, the engine's HistorySink: one write per batch, through a stream. */
export class HistoryWriter implements HistorySink {
  readonly #file: string;
  #out: WriteStream | undefined;
  #kept = 0;

  /** Creates (or empties) the file. */
  constructor(file: string) {
    this.#file = file;
    writeFileSync(file, '');
  }

  write(records: readonly HistoryRecord[]): void {
    let text = '';
    for (const r of records) text += `${JSON.stringify(r)}\n`;
    this.#kept += records.reduce((n, r) => n + (r.type === 'invoke' ? 1 : 0), 0);
    this.#stream().write(text);
  }

  async close(notKept: number): Promise<void> {
    const out = this.#stream();
    out.end(`${JSON.stringify({ type: 'end', kept: this.#kept, notKept })}\n`);
    await once(out, 'finish');
  }

  #stream(): WriteStream {
    this.#out ??= createWriteStream(this.#file, { flags: 'a' });
    return this.#out;
  }
}
