import type { JourneyContext, StepResponse } from '../../src/engine/journey.js';
import type { Attempted } from './retry.js';

/**
 * The domain's operations in the run's history (ctx.record; history.ndjson), what each means,
 * and how a client knows how it ended. The checker's health-code model (sim/check/) reads them.
 *
 * - `code.read` {resident}: a resident's app shows their code. ok value: what the screen said
 *   (CodeSeen: colour, version, masked name, stale flag) and the resident the QR payload names.
 * - `checkpoint.verify` {resident, checkpoint}: a gate checks a code. ok value: CodeSeen of the
 *   colour the server gave, and `admitted` (the gate lets green through, nothing else).
 * - `sample.bind` {tube, resident, idem}: a table binds a person to a tube (scan, or the ID number
 *   typed by hand when the scan fails). The binding is the tube and the person: a retry or the
 *   manual fallback after an ambiguous scan cannot bind twice (the server's key is the pair).
 * - `lab.result` {tube, idem}: a lab reports a tube; value {result}. The tube takes one result:
 *   a retry answered RESULT_EXISTS after an ambiguous attempt means the first one applied.
 *
 * A write's completion (writeEnd): ok when an attempt was acknowledged (or a retry was told the
 * write already holds); fail when every attempt was definitely refused (a 4xx, a refused
 * connection) and none was ambiguous; info otherwise (a time-out, a 5xx, a shed request, a reset:
 * the write may or may not have applied).
 */
export const OP = Object.freeze({
  read: 'code.read',
  verify: 'checkpoint.verify',
  bind: 'sample.bind',
  result: 'lab.result',
} as const);

export type Colour = 'green' | 'yellow' | 'red';

/** What a code on a screen (or a gate's answer) said. */
export interface CodeSeen {
  readonly colour: string;
  readonly version: number;
  /** The masked name shown ("张**"). */
  readonly name: string;
  /** The server marked the answer as possibly out of date. */
  readonly stale: boolean;
  /** The resident the signed QR payload names (code.read only). */
  readonly qrResident?: number;
  /** checkpoint.verify only: the gate let the person through. */
  readonly admitted?: boolean;
}

export type Completion = 'ok' | 'fail' | 'info';

/** A request's outcome leaves it unknown whether the server acted on it. */
export function ambiguous(r: StepResponse): boolean {
  return r.outcome !== 'ok' && r.outcome !== '4xx' && r.outcome !== 'refused';
}

/** How a write that was attempted (once or more, perhaps in two ways) ended, as its client knows it. */
export function writeEnd(tries: readonly Attempted[], alreadyApplied: (r: StepResponse) => boolean = (_r) => false): Completion {
  if (tries.some((a) => a.response.outcome === 'ok')) return 'ok';
  const unsure = tries.some((a) => a.ambiguous || ambiguous(a.response));
  const last = tries[tries.length - 1];
  if (unsure && last !== undefined && alreadyApplied(last.response)) return 'ok';
  return unsure ? 'info' : 'fail';
}

/** A 409 whose error code is `code`. */
export function conflict(code: string): (r: StepResponse) => boolean {
  return (r) => r.status === 409 && r.body !== undefined && r.body.includes(`"${code}"`);
}

/** The code as a response body shows it, or undefined when the body is not one. */
export function codeSeen(body: string | undefined, qr?: string): CodeSeen | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof json['colour'] !== 'string' || typeof json['version'] !== 'number') return undefined;
  const seen: CodeSeen = { colour: json['colour'], version: json['version'], name: String(json['name'] ?? ''), stale: json['stale'] === true };
  const resident = qr === undefined ? undefined : qrResident(qr);
  return resident === undefined ? seen : { ...seen, qrResident: resident };
}

/** The resident a QR payload names: `q1.<resident>.<colour>.<version>.<expiry>.<mac>` (src/server/signing.ts), readable without the key. */
export function qrResident(payload: string): number | undefined {
  const fields = payload.split('.');
  if (fields[0] !== 'q1' || fields.length !== 6) return undefined;
  const n = Number(fields[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Records an invoke; the returned function records its completion. */
export function invoke(ctx: JourneyContext, f: string, keys: Readonly<Record<string, string | number>>, value?: unknown): (end: Completion, value?: unknown) => void {
  const id = ctx.record(value === undefined ? { type: 'invoke', f, keys } : { type: 'invoke', f, keys, value });
  return (end, v) => void ctx.record(v === undefined ? { type: end, id } : { type: end, id, value: v });
}
