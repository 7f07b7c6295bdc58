import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { appendLine, jsonObject, optionalLines, parseWith, type NumberedLine } from './lines.js';

/**
 * events.ndjson, one JSON object per line, in the order things happened:
 *
 *   {"t":-1.234,"time":"2026-01-04T08:00:00.000Z","event":"server-start","pid":4242}
 *   {"t":12.5,"time":"…","event":"fault-begin","fault":"slow-db","kind":"network","target":"link postgres",…}
 *
 *   t       seconds from the run's second 0 (the first second of metrics.ndjson), so events line
 *           up with the metrics; what happened before it (the stack starting) has a negative t
 *   time    the wall-clock time (ISO 8601, UTC)
 *   event   what happened: run-start, run-end, interrupted, prior-state, stack-died,
 *           server-<event>, fault-begin, fault-end, fault-failed, fault-undo-failed
 *   …       the event's own fields; the fault events name the fault, its kind and target,
 *           which is how the analysis finds the faults' windows (analyze.ts, faultsFromEvents)
 */
const FAULT_EVENTS = ['fault-begin', 'fault-end', 'fault-failed', 'fault-undo-failed'] as const;

const eventLine = z
  .looseObject({
    t: z.number().refine(Number.isFinite, 'expected a finite number'),
    // Optional: a run directory written by hand (or by an older codestorm) may lack it. Not
    // checked further: the reference server's events bring their own time, and an older
    // codestorm also recorded its workers' log lines, whose time is epoch ms.
    time: z.union([z.string().min(1), z.number()]).optional(),
    event: z.string().min(1),
  })
  .superRefine((e, ctx) => {
    if (!(FAULT_EVENTS as readonly string[]).includes(e.event)) return;
    for (const key of ['fault', 'kind', 'target']) {
      if (typeof e[key] !== 'string') ctx.addIssue({ code: 'custom', path: [key], message: `expected a string: a ${e.event} event names its ${key}` });
    }
  });

export interface RunEvent {
  readonly t: number;
  readonly event: string;
  readonly [field: string]: unknown;
}

const CODE = 'EVENTS_LINE_INVALID';

/** events.ndjson, every line checked; none when the file is absent. */
export function readEvents(file: string): RunEvent[] {
  return optionalLines(file).map(eventOf);
}

/** One line of events.ndjson, checked (readEvents; a LineTail's lines while the run writes them). */
export function eventOf({ text, where }: NumberedLine): RunEvent {
  return parseWith(eventLine, jsonObject(text, where, CODE), where, CODE);
}

/**
 * events.ndjson's one writer. Until second 0 is known (start), events are held and then
 * written with their `t` from it; what never saw a second 0 is written at close.
 */
export class EventLog {
  readonly #file: string;
  #t0: number | undefined;
  readonly #held: { epoch: number; name: string; fields: Record<string, unknown> }[] = [];

  /** Creates (or empties) the file. */
  constructor(file: string) {
    this.#file = file;
    writeFileSync(file, '');
  }

  write(name: string, fields: Record<string, unknown> = {}): void {
    const epoch = Date.now();
    if (this.#t0 === undefined) this.#held.push({ epoch, name, fields });
    else this.#append(epoch, name, fields);
  }

  /** `t0`: the epoch ms of second 0. */
  start(t0: number): void {
    this.#t0 = t0;
    this.#flush();
  }

  /** Writes what is held even if second 0 never came (a run that failed to start). */
  close(): void {
    this.#t0 ??= this.#held[0]?.epoch ?? Date.now();
    this.#flush();
  }

  #flush(): void {
    for (const e of this.#held.splice(0)) this.#append(e.epoch, e.name, e.fields);
  }

  #append(epoch: number, name: string, fields: Record<string, unknown>): void {
    const t = Math.round(epoch - (this.#t0 ?? epoch)) / 1000;
    appendLine(this.#file, { t, time: new Date(epoch).toISOString(), event: name, ...fields });
  }
}

/**
 * The wall-clock epoch ms of the run's second 0, from any event that carries its ISO time (each
 * event's `time` less its `t`); undefined when none does.
 */
export function secondZeroOf(events: readonly RunEvent[]): number | undefined {
  for (const e of events) {
    const time = e['time'];
    if (typeof time === 'string' && Number.isFinite(Date.parse(time))) return Math.round(Date.parse(time) - e.t * 1000);
  }
  return undefined;
}

/**
 * events.ndjson written again with every `t` moved by `bySeconds`: for a run whose second 0 moves,
 * as when k6's results are joined to a `faults` run (src/k6/import.ts). Wall-clock times stay.
 */
export function shiftEvents(file: string, bySeconds: number): void {
  const events = readEvents(file);
  writeFileSync(file, '');
  for (const e of events) appendLine(file, { ...e, t: Math.round((e.t + bySeconds) * 1000) / 1000 });
}
