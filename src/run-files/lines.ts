import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type { z } from 'zod';
import { invalidInput, type InvalidInputCode } from '../errors.js';

/**
 * What every NDJSON file of a run directory shares: lines numbered for error messages, JSON
 * parsed, zod issues turned into "FILE:LINE: field: problem" lines, and appends. Each file's own
 * module (metrics, events, server) holds its schema; nothing here knows a field.
 */
export interface NumberedLine {
  readonly text: string;
  /** "FILE:LINE", the prefix of every problem found on it. */
  readonly where: string;
}

/** The non-blank lines of an NDJSON file, numbered from 1 as an editor does. */
export function numberedLines(file: string): NumberedLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ text, where: `${file}:${i + 1}` }))
    .filter((l) => l.text.trim() !== '');
}

/**
 * A file's complete lines as they are appended, for a reader that follows a run while it is
 * written (the dashboard): each read() returns the lines finished since the last, numbered as
 * numberedLines numbers them, and holds a last line without its newline until the newline comes.
 * It reads only the bytes added since the last call. A file that shrank was written anew (the
 * writers create their file empty): it is read again from its start.
 */
export class LineTail {
  readonly #file: string;
  #offset = 0;
  #lineNo = 0;
  #partial: Buffer = Buffer.alloc(0);
  #settled = false;

  constructor(file: string) {
    this.#file = file;
  }

  /**
   * True when the last read found nothing new and no line half written: the writer is between
   * two writes. A writer that appends each second's lines in one write has finished that second.
   */
  get settled(): boolean {
    return this.#settled;
  }

  read(): NumberedLine[] {
    const added = this.#added();
    this.#settled = added.length === 0 && this.#partial.length === 0;
    if (added.length === 0) return [];
    const bytes = this.#partial.length === 0 ? added : Buffer.concat([this.#partial, added]);
    // A newline byte never occurs inside a multi-byte UTF-8 character: splitting bytes is safe.
    const end = bytes.lastIndexOf(0x0a);
    this.#partial = end === -1 ? bytes : bytes.subarray(end + 1);
    if (end === -1) return [];
    const out: NumberedLine[] = [];
    for (const text of bytes.toString('utf8', 0, end).split('\n')) {
      this.#lineNo++;
      if (text.trim() !== '') out.push({ text, where: `${this.#file}:${this.#lineNo}` });
    }
    return out;
  }

  /** The bytes appended since the last read; none while the file does not exist. */
  #added(): Buffer {
    let fd: number;
    try {
      fd = openSync(this.#file, 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.#offset) {
        this.#offset = 0;
        this.#lineNo = 0;
        this.#partial = Buffer.alloc(0);
      }
      const length = Math.min(size - this.#offset, MAX_READ_BYTES);
      if (length <= 0) return Buffer.alloc(0);
      const buffer = Buffer.allocUnsafe(length);
      const got = readSync(fd, buffer, 0, length, this.#offset);
      this.#offset += got;
      return buffer.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }
}

/** What one read takes at most; the rest comes at the next. */
const MAX_READ_BYTES = 8 * 1024 * 1024;

/** A LineTail whose lines are parsed by `parse` (each file's own line reader). */
export function tailOf<T>(file: string, parse: (line: NumberedLine) => T): { read(): T[] } {
  const tail = new LineTail(file);
  return { read: () => tail.read().map(parse) };
}

/** numberedLines, or none when the file is absent (a run without scrapes has no server.ndjson). */
export function optionalLines(file: string): NumberedLine[] {
  return existsSync(file) ? numberedLines(file) : [];
}

/** One line parsed as a JSON object; `code` is the file's error code (exit 2). */
export function jsonObject(text: string, where: string, code: InvalidInputCode): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badLine(code, where, [`not JSON (${err instanceof Error ? err.message : String(err)})`]);
  }
  if (!isRecord(raw)) throw badLine(code, where, ['(line): expected a JSON object']);
  return raw;
}

/** Checks `raw` against `schema`, throwing every issue at once, each naming its field. */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string, code: InvalidInputCode): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw badLine(code, where, issuesOf(parsed.error));
  return parsed.data;
}

/** "field.path: message" per issue; "(line)" for an issue with the whole line. */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? '(line)' : path}: ${issue.message}`;
  });
}

/** One error for every problem of a line, one problem a line, each prefixed by `where`. */
export function badLine(code: InvalidInputCode, where: string, problems: readonly string[]): Error {
  return invalidInput(code, problems.map((p) => `${where}: ${p}`).join('\n'));
}

export function appendLine(file: string, record: object): void {
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
