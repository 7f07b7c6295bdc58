import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { appendLine, jsonObject, optionalLines, parseWith, type NumberedLine } from './lines.js';

/**
 * server.ndjson: the target's Prometheus metrics, scraped every second (src/engine/scrape.ts),
 * one line per scrape:
 *
 *   {"t":3.0,"metrics":{"pg_pool_waiting":4,"http_requests_total{route=\"/code\"}":1200,…}}
 *   {"t":4.0,"error":"This operation was aborted"}
 *
 *   t        seconds from the run's second 0, to a tenth
 *   metrics  sample → value ("name{labels}" as exposed; histogram buckets left out)
 *   error    why the scrape failed instead (a server too busy to answer is itself a finding)
 */
// One object, not a union of two: a union's error would not name the field that is wrong.
const scrapeLine = z
  .strictObject({ t: z.number(), metrics: z.record(z.string(), z.number()).optional(), error: z.string().optional() })
  .refine((s) => (s.metrics === undefined) !== (s.error === undefined), { message: 'expected either metrics or error', path: ['metrics'] });

/** One scrape: `metrics`, or `error` when it failed. */
export interface Scrape {
  readonly t: number;
  readonly metrics?: Readonly<Record<string, number>> | undefined;
  readonly error?: string | undefined;
}

const CODE = 'SERVER_LINE_INVALID';

/** server.ndjson, every line checked; none when the run scraped nothing. */
export function readServer(file: string): Scrape[] {
  return optionalLines(file).map(scrapeOf);
}

/** One line of server.ndjson, checked (readServer; a LineTail's lines while the run writes them). */
export function scrapeOf({ text, where }: NumberedLine): Scrape {
  return parseWith(scrapeLine, jsonObject(text, where, CODE), where, CODE);
}

/** server.ndjson's one writer. */
export class ServerLog {
  readonly #file: string;

  /** Creates (or empties) the file. */
  constructor(file: string) {
    this.#file = file;
    writeFileSync(file, '');
  }

  write(scrape: Scrape): void {
    appendLine(this.#file, scrape.error !== undefined ? { t: scrape.t, error: scrape.error } : { t: scrape.t, metrics: scrape.metrics ?? {} });
  }
}

/** server.ndjson written again with every `t` moved by `bySeconds` (see shiftEvents). */
export function shiftServer(file: string, bySeconds: number): void {
  const scrapes = readServer(file);
  if (scrapes.length === 0) return;
  const log = new ServerLog(file);
  for (const s of scrapes) log.write({ ...s, t: Math.round((s.t + bySeconds) * 10) / 10 });
}
