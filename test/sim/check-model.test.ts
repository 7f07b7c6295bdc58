import { describe, expect, it } from 'vitest';
import { pairOperations, type Operation } from '../../src/check/operations.js';
import { correctnessReport } from '../../src/check/report.js';
import type { HistoryRecord } from '../../src/engine/history.js';
import { judge, KINDS, maskName, type FinalState, type Kind, type ResidentState } from '../../sim/check/index.js';

/**
 * The health-code model, one anomaly at a time, on small synthetic histories: each kind found
 * where it happened (positive) and not where it did not (negative). Resident 1 and 2 share
 * compound 10; resident 3 lives in compound 30.
 */
const ZHANG: ResidentState = { name: '张三丰', compound: 10, colour: 'green', version: 0 };
const LI: ResidentState = { name: '李四', compound: 10, colour: 'green', version: 0 };
const WANG: ResidentState = { name: '王五', compound: 30, colour: 'green', version: 0 };

let nextId = 0;
/** One operation as its invoke and completion records (status null: never completed). */
function op(f: string, keys: Record<string, string | number>, at: number, end: number | null, status: 'ok' | 'fail' | 'info' | null, io: { input?: unknown; value?: unknown } = {}): HistoryRecord[] {
  const id = nextId++;
  const invoke: HistoryRecord = { id, type: 'invoke', t: at, worker: 0, f, keys, ...(io.input === undefined ? {} : { value: io.input }) };
  if (status === null || end === null) return [invoke];
  return [invoke, { id, type: status, t: end, worker: 0, ...(io.value === undefined ? {} : { value: io.value }) }];
}

const read = (resident: number, at: number, colour: string, version: number, name: string, extra: object = {}) =>
  op('code.read', { resident }, at, at + 0.05, 'ok', { value: { colour, version, name, stale: false, qrResident: resident, ...extra } });
const verify = (resident: number, at: number, colour: string, version: number, name: string) =>
  op('checkpoint.verify', { resident, checkpoint: 'metro-1' }, at, at + 0.05, 'ok', { value: { colour, version, name, stale: false, admitted: colour === 'green' } });
const bind = (tube: string, resident: number, at: number, status: 'ok' | 'fail' | 'info' | null) => op('sample.bind', { tube, resident, idem: `${tube}:${resident}` }, at, at + 0.1, status);
const result = (tube: string, r: 'positive' | 'negative', at: number, status: 'ok' | 'fail' | 'info' | null) => op('lab.result', { tube, idem: tube }, at, at + 0.1, status, { input: { result: r } });

function state(over: Partial<FinalState> & { codes?: Record<number, Partial<ResidentState>> } = {}): FinalState {
  const residents = new Map<number, ResidentState>([
    [1, { ...ZHANG, ...over.codes?.[1] }],
    [2, { ...LI, ...over.codes?.[2] }],
    [3, { ...WANG, ...over.codes?.[3] }],
  ]);
  return { tubes: over.tubes ?? new Map(), samples: over.samples ?? [], residents, probes: over.probes ?? [] };
}

function kinds(records: readonly HistoryRecord[][], final: FinalState, boundMs = 0): Record<Kind, number> & { recovered: Record<string, number> } {
  const { operations } = pairOperations(records.flat());
  const report = correctnessReport(judge(operations as Operation[], final, boundMs, 0));
  return { ...(report.byKind as Record<Kind, number>), recovered: { ...report.recovered } };
}

/** A tube T1 holding residents 1 (and, where given, 3), its positive result acknowledged at 10.1 s. */
const positiveT1 = [bind('T1', 1, 1, 'ok'), result('T1', 'positive', 10, 'ok')];
const afterPositive = state({ tubes: new Map([['T1', 'positive']]), samples: [{ tube: 'T1', resident: 1 }], codes: { 1: { colour: 'yellow', version: 1 }, 2: { colour: 'yellow', version: 1 } } });

describe('the health-code model', () => {
  it('judges every kind, and a clean history has none of them', () => {
    const clean = kinds([...positiveT1, read(1, 12, 'yellow', 1, '张**'), read(3, 12, 'green', 0, '王*')], afterPositive);
    for (const k of KINDS) expect(clean[k], k).toBe(0);
  });

  it('lost-write: an acknowledged binding or result absent after the run; present is not lost', () => {
    expect(kinds([bind('T1', 1, 1, 'ok')], state({ tubes: new Map([['T1', null]]) }))['lost-write']).toBe(1);
    expect(kinds([bind('T1', 1, 1, 'ok')], state({ tubes: new Map([['T1', null]]), samples: [{ tube: 'T1', resident: 1 }] }))['lost-write']).toBe(0);
    expect(kinds([result('T1', 'positive', 1, 'ok')], state({ tubes: new Map([['T1', null]]) }))['lost-write']).toBe(1);
    expect(kinds([result('T1', 'positive', 1, 'ok')], state({ tubes: new Map([['T1', 'negative']]) }))['lost-write']).toBe(1);
  });

  it('an indeterminate (info) write that did apply counts as recovered, not as a violation; one that did not is neither', () => {
    const applied = kinds([bind('T1', 1, 1, 'info'), result('T1', 'negative', 5, null)], state({ tubes: new Map([['T1', 'negative']]), samples: [{ tube: 'T1', resident: 1 }] }));
    expect(applied.recovered).toEqual({ 'sample binding': 1, 'lab result': 1 });
    expect(applied['lost-write'] + applied['failed-write-applied'] + applied['unexpected-write']).toBe(0);
    const notApplied = kinds([bind('T1', 1, 1, 'info')], state({ tubes: new Map([['T1', null]]) }));
    expect(notApplied.recovered['sample binding']).toBe(0);
    expect(notApplied['lost-write']).toBe(0);
  });

  it('failed-write-applied: a write answered as failed that is there after all', () => {
    expect(kinds([bind('T1', 1, 1, 'fail')], state({ samples: [{ tube: 'T1', resident: 1 }] }))['failed-write-applied']).toBe(1);
    expect(kinds([bind('T1', 1, 1, 'fail')], state())['failed-write-applied']).toBe(0);
  });

  it('unexpected-write: a binding in a tube of the run that nobody attempted', () => {
    const samples = [{ tube: 'T1', resident: 1 }, { tube: 'T1', resident: 2 }];
    expect(kinds([bind('T1', 1, 1, 'ok')], state({ samples }))['unexpected-write']).toBe(1);
    expect(kinds([bind('T1', 1, 1, 'ok'), bind('T1', 2, 2, 'ok')], state({ samples }))['unexpected-write']).toBe(0);
  });

  it('duplicate-write: the same binding twice after the run', () => {
    expect(kinds([bind('T1', 1, 1, 'ok')], state({ samples: [{ tube: 'T1', resident: 1 }, { tube: 'T1', resident: 1 }] }))['duplicate-write']).toBe(1);
    expect(kinds([bind('T1', 1, 1, 'ok'), bind('T1', 1, 2, 'ok')], state({ samples: [{ tube: 'T1', resident: 1 }] }))['duplicate-write']).toBe(0);
  });

  it("wrong-person: another resident's code, by the QR or by the name", () => {
    expect(kinds([read(1, 1, 'green', 0, '李*', { qrResident: 2 })], state())['wrong-person']).toBe(1);
    expect(kinds([read(1, 1, 'green', 0, '李*')], state())['wrong-person']).toBe(1);
    expect(kinds([verify(3, 1, 'green', 0, '张**')], state())['wrong-person']).toBe(1);
    expect(kinds([read(1, 1, 'green', 0, '张**'), verify(3, 1, 'green', 0, '王*')], state())['wrong-person']).toBe(0);
  });

  it('corrupted-served: a colour and version the database never held together', () => {
    expect(kinds([read(1, 1, 'green', 1, '张**')], state({ codes: { 1: { colour: 'yellow', version: 1 } } }))['corrupted-served']).toBe(1);
    expect(kinds([read(1, 1, 'yellow', 0, '张**')], state({ codes: { 1: { colour: 'yellow', version: 1 } } }))['corrupted-served']).toBe(1);
    expect(kinds([read(1, 1, 'yellow', 3, '张**')], state({ codes: { 1: { colour: 'yellow', version: 1 } } }))['corrupted-served']).toBe(1);
    expect(kinds([read(1, 1, 'green', 0, '张**'), read(1, 2, 'yellow', 1, '张**')], state({ codes: { 1: { colour: 'yellow', version: 1 } } }))['corrupted-served']).toBe(0);
  });

  it('stale-green: green beyond the bound after a positive result for the person or their compound was acknowledged', () => {
    // Resident 1 was in the tube, resident 2 shares the compound; both read green 1 s after the ack.
    const stale = kinds([...positiveT1, read(1, 11.2, 'green', 0, '张**'), read(2, 11.2, 'green', 0, '李*')], afterPositive, 500);
    expect(stale['stale-green']).toBe(2);
    // Within the bound, before the ack, yellow, or in another compound: none.
    const fine = kinds([...positiveT1, read(1, 10.4, 'green', 0, '张**'), read(1, 9, 'green', 0, '张**'), read(2, 12, 'yellow', 1, '李*'), read(3, 12, 'green', 0, '王*')], afterPositive, 500);
    expect(fine['stale-green']).toBe(0);
    // A negative result for the person invoked after the positive one: green may be the newer truth.
    const retested = kinds([...positiveT1, bind('T2', 1, 10.5, 'ok'), result('T2', 'negative', 10.6, 'info'), read(1, 12, 'green', 0, '张**')], state({ ...afterPositive, tubes: new Map([['T1', 'positive'], ['T2', 'negative']]), samples: [{ tube: 'T1', resident: 1 }, { tube: 'T2', resident: 1 }] }), 500);
    expect(retested['stale-green']).toBe(0);
  });

  it('checkpoint-forbidden: a gate admits a green after a positive result was acknowledged, with no allowance', () => {
    expect(kinds([...positiveT1, verify(2, 10.3, 'green', 0, '李*')], afterPositive, 1_000)['checkpoint-forbidden']).toBe(1);
    expect(kinds([...positiveT1, verify(2, 10.3, 'yellow', 1, '李*'), verify(3, 10.3, 'green', 0, '王*')], afterPositive, 1_000)['checkpoint-forbidden']).toBe(0);
  });

  it('red-lowered: a code shown lower than red after red was shown', () => {
    const red = { codes: { 1: { colour: 'red', version: 2 } } };
    expect(kinds([read(1, 1, 'red', 2, '张**'), read(1, 2, 'yellow', 1, '张**')], state(red))['red-lowered']).toBe(1);
    // Overlapping reads are not ordered; a red after a yellow is not a lowering.
    expect(kinds([read(1, 1, 'red', 2, '张**'), read(1, 1.01, 'yellow', 1, '张**'), read(1, 3, 'red', 2, '张**')], state(red))['red-lowered']).toBe(0);
  });

  it('settled-disagreement: after the run, the API and the database differ, or the API does not answer', () => {
    const db = { codes: { 1: { colour: 'yellow', version: 1 } } };
    const seen = (colour: string, version: number) => ({ resident: 1, seen: { colour, version, name: '张**', stale: false, qrResident: 1 } });
    expect(kinds([], state({ ...db, probes: [seen('green', 0)] }))['settled-disagreement']).toBe(1);
    expect(kinds([], state({ ...db, probes: [{ resident: 1, failed: 'GET /api/v1/code: 503' }] }))['settled-disagreement']).toBe(1);
    expect(kinds([], state({ ...db, probes: [seen('yellow', 1)] }))['settled-disagreement']).toBe(0);
  });

  it('masks a name as the server does', () => {
    expect(maskName('张三丰')).toBe('张**');
    expect(maskName('李')).toBe('李');
  });
});
