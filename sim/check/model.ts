import type { Anomaly, Findings } from '../../src/check/report.js';
import { named, type Operation } from '../../src/check/operations.js';
import { setFull, type SetFullResult } from '../../src/check/set-full.js';
import { loweredReads, staleReads, type Write } from '../../src/check/stale.js';
import { OP, type CodeSeen } from '../journeys/operations.js';

/**
 * The health-code model: what the domain's operations (sim/journeys/operations.ts) must satisfy,
 * judged over the paired history and the state the system settled in (FinalState, read from
 * Postgres and through the API after the run, faults undone).
 *
 * The staleness contract (the profile's; `staleBoundMs`): a code read that began more than the
 * bound after a positive result for the person (their tube, or their compound) was acknowledged
 * must not be green. `hardened` answers a code from a worker's near cache for nearCacheMs after
 * it read it, so another worker may show a changed code that much later; `fragile` has none, so
 * its bound is 0. A gate gets no such allowance: it must never admit a colour that forbids entry
 * once the result that set it was acknowledged.
 */
export const KINDS = [
  'lost-write',
  'failed-write-applied',
  'unexpected-write',
  'duplicate-write',
  'wrong-person',
  'corrupted-served',
  'stale-green',
  'checkpoint-forbidden',
  'red-lowered',
  'settled-disagreement',
] as const;
export type Kind = (typeof KINDS)[number];

export interface ResidentState {
  readonly name: string;
  readonly compound: number;
  /** The code in the database: a resident with no row holds the default (green, version 0). */
  readonly colour: string;
  readonly version: number;
}

/** An API read after the run: what it showed, or the status it failed with. */
export type Probe = { readonly resident: number } & ({ readonly seen: CodeSeen } | { readonly failed: string });

export interface FinalState {
  /** Tubes the history names, with their result (null: none). */
  readonly tubes: ReadonlyMap<string, string | null>;
  /** Every person bound to those tubes. */
  readonly samples: readonly { readonly tube: string; readonly resident: number }[];
  /** The residents the history names and those sharing a compound with a tube's members. */
  readonly residents: ReadonlyMap<number, ResidentState>;
  readonly probes: readonly Probe[];
}

/** "张三丰" → "张**", as the server masks a name (src/server/context.ts maskName; sim may not import the server). */
export function maskName(name: string): string {
  const chars = Array.from(name);
  return chars.length <= 1 ? name : (chars[0] ?? '') + '*'.repeat(chars.length - 1);
}

const num = (op: Operation, key: string): number => Number(op.keys[key]);
const str = (op: Operation, key: string): string => String(op.keys[key]);
const seenOf = (op: Operation): CodeSeen => op.value as CodeSeen;

function anomaly(kind: Kind, op: Operation, detail: string): Anomaly {
  return { kind, t: op.invokeT, keys: op.keys, detail, id: op.id };
}

export function judge(ops: readonly Operation[], final: FinalState, staleBoundMs: number, notKept: number | null): Findings {
  const binds = named(ops, OP.bind);
  const results = named(ops, OP.result);
  const bindings = setFull(binds, (op) => `${str(op, 'tube')}:${num(op, 'resident')}`, final.samples.map((s) => `${s.tube}:${s.resident}`));
  const outcomes = setFull(
    results,
    (op) => `${str(op, 'tube')}=${(op.input as { result: string }).result}`,
    [...final.tubes].filter(([, r]) => r !== null).map(([t, r]) => `${t}=${r}`),
  );
  const shown = [...named(ops, OP.read), ...named(ops, OP.verify)].filter((o) => o.status === 'ok' && o.value !== undefined);
  const wrong = shown.flatMap((op) => wrongPerson(op, final));
  const wrongIds = new Set(wrong.map((w) => w.id));
  const right = shown.filter((op) => !wrongIds.has(op.id));
  const corrupted = right.flatMap((op) => corruptedServed(op, final));
  const corruptedIds = new Set(corrupted.map((c) => c.id));
  const clean = right.filter((op) => !corruptedIds.has(op.id));
  const writes = codeWrites(results, final);
  const anomalies: Anomaly[] = [
    ...setAnomalies('sample binding', bindings),
    ...setAnomalies('lab result', outcomes),
    ...wrong,
    ...corrupted,
    ...staleReads(clean.filter((o) => o.f === OP.read && !seenOf(o).stale), (o) => String(num(o, 'resident')), writes, staleBoundMs / 1000, shows).map(({ read, write }) =>
      anomaly('stale-green', read, `green at +${read.invokeT.toFixed(3)} s, ${(read.invokeT - write.ackT!).toFixed(3)} s after a positive result turning them yellow was acknowledged (bound ${staleBoundMs} ms)`),
    ),
    ...staleReads(clean.filter((o) => o.f === OP.verify && seenOf(o).admitted === true), (o) => String(num(o, 'resident')), writes, 0, shows).map(({ read, write }) =>
      anomaly('checkpoint-forbidden', read, `${str(read, 'checkpoint')} admitted a green ${(read.invokeT - write.ackT!).toFixed(3)} s after a positive result turning them yellow was acknowledged`),
    ),
    ...loweredReads(right, (o) => String(num(o, 'resident')), (o) => (seenOf(o).colour === 'red' ? 1 : 0)).map(({ read, after }) =>
      anomaly('red-lowered', read, `${seenOf(read).colour} after red was shown at +${after.invokeT.toFixed(3)} s`),
    ),
    ...final.probes.flatMap((p) => settled(p, final)),
  ];
  return {
    kinds: KINDS,
    anomalies,
    recovered: { 'sample binding': bindings.recovered.length, 'lab result': outcomes.recovered.length },
    judged: shown.length + bindings.attempted + outcomes.attempted + final.probes.length,
    operations: ops.length,
    notKept,
    staleBoundMs,
  };
}

function setAnomalies(what: string, r: SetFullResult): Anomaly[] {
  const none = { kind: 'unexpected-write' as const, t: 0 };
  return [
    ...r.lost.map((op) => anomaly('lost-write', op, `${what} acknowledged at +${op.endT?.toFixed(3)} s, absent after the run`)),
    ...r.failedApplied.map((op) => anomaly('failed-write-applied', op, `${what} answered as failed, present after the run`)),
    ...r.unexpected.map((e) => ({ ...none, keys: { element: e }, detail: `${what} ${e} present after the run, never attempted` })),
    ...r.duplicates.map((e) => ({ ...none, kind: 'duplicate-write' as const, keys: { element: e }, detail: `${what} ${e} present more than once` })),
  ];
}

/** The code shown is another resident's: the signed QR names them, or the name is not this person's. */
function wrongPerson(op: Operation, final: FinalState): Anomaly[] {
  const resident = num(op, 'resident');
  const seen = seenOf(op);
  const own = final.residents.get(resident);
  if (seen.qrResident !== undefined && seen.qrResident !== resident) {
    return [anomaly('wrong-person', op, `resident ${resident} was shown resident ${seen.qrResident}'s code (${seen.colour}, "${seen.name}")`)];
  }
  if (own !== undefined && seen.name !== maskName(own.name)) {
    return [anomaly('wrong-person', op, `resident ${resident} ("${maskName(own.name)}") was shown "${seen.name}"'s code (${seen.colour})`)];
  }
  return [];
}

/**
 * A version and colour the database never held together: the final version with another colour,
 * a version beyond the final one, or version 0 (the default code) not green. Versions only grow,
 * and each is written once with one colour.
 */
function corruptedServed(op: Operation, final: FinalState): Anomaly[] {
  const resident = num(op, 'resident');
  const own = final.residents.get(resident);
  const { colour, version } = seenOf(op);
  if (own === undefined) return [];
  const wrong = version > own.version || (version === own.version && colour !== own.colour) || (version === 0 && colour !== 'green');
  return wrong ? [anomaly('corrupted-served', op, `${colour} at version ${version}; the database holds ${own.colour} at version ${own.version}`)] : [];
}

function shows(read: Operation, write: Write): boolean {
  return write.value !== 'yellow' || seenOf(read).colour !== 'green';
}

/**
 * Each lab result as writes to the codes it changes (keyed by resident): a positive turns its
 * tube's members and everyone sharing their compounds yellow, a negative turns its members green.
 * Members are the tube's bindings after the run (a tube takes none once it has a result).
 */
function codeWrites(results: readonly Operation[], final: FinalState): Write[] {
  const members = groupBy(final.samples.map((s) => [s.tube, s.resident] as const));
  const byCompound = groupBy([...final.residents].map(([id, r]) => [r.compound, id] as const));
  const out: Write[] = [];
  for (const op of results) {
    const positive = (op.input as { result: string }).result === 'positive';
    const inTube = members.get(str(op, 'tube')) ?? [];
    const touched = new Set(inTube);
    if (positive) for (const m of inTube) for (const id of byCompound.get(final.residents.get(m)?.compound ?? -1) ?? []) touched.add(id);
    const ackT = op.status === 'ok' ? op.endT : null;
    for (const id of touched) out.push({ key: String(id), invokeT: op.invokeT, ackT, value: positive ? 'yellow' : 'green' });
  }
  return out;
}

/** After the run, the API and the database agree on each probed resident's code. */
function settled(p: Probe, final: FinalState): Anomaly[] {
  const at = { kind: 'settled-disagreement' as const, t: 0, keys: { resident: p.resident } };
  if ('failed' in p) return [{ ...at, detail: `the API did not answer resident ${p.resident}'s code after the run: ${p.failed}` }];
  const own = final.residents.get(p.resident);
  if (own === undefined) return [];
  const s = p.seen;
  const agree = s.colour === own.colour && s.version === own.version && s.name === maskName(own.name) && (s.qrResident ?? p.resident) === p.resident;
  return agree ? [] : [{ ...at, detail: `API: ${s.colour} v${s.version} "${s.name}"; database: ${own.colour} v${own.version} "${maskName(own.name)}"` }];
}

function groupBy<K>(pairs: readonly (readonly [K, number])[]): Map<K, number[]> {
  const out = new Map<K, number[]>();
  for (const [k, v] of pairs) {
    const list = out.get(k);
    if (list === undefined) out.set(k, [v]);
    else list.push(v);
  }
  return out;
}
