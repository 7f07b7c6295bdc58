import { appendFileSync, existsSync, readFileSync } from 'node:fs';
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
