import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pairOperations } from '../../src/check/operations.js';
import { correctnessReport, withCorrectness } from '../../src/check/report.js';
import { HistoryBuffer } from '../../src/engine/history.js';
import { evaluate, parseThresholds } from '../../src/engine/thresholds.js';
import type { MetricSource } from '../../src/engine/thresholds.js';
import { HistoryWriter, readHistory } from '../../src/run-files/index.js';

/** The history from a worker's buffer to history.ndjson and back, paired, and the checker's metrics in thresholds. */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'codestorm-history-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a worker\'s history buffer', () => {
  it('gives ids unique over the workers, keeps at most its cap, and drops a dropped invoke\'s completion too', () => {
    const a = new HistoryBuffer(0, 2, 2);
    const b = new HistoryBuffer(1, 2, 2);
    const ids = [a, b].flatMap((buf) => [0, 1, 2].map((i) => buf.record({ type: 'invoke', f: 'x', keys: { i } }, 1000 + i)));
    expect(new Set(ids).size).toBe(6);
    for (const id of ids.slice(0, 3)) a.record({ type: 'ok', id }, 2000);
    const kept = a.drain();
    expect(kept.map((r) => r.type)).toEqual(['invoke', 'invoke', 'ok', 'ok']);
    expect(kept[0]).toMatchObject({ t: 1, worker: 0, f: 'x', keys: { i: 0 } });
    expect(a.notKept).toBe(1);
    expect(a.drain()).toEqual([]);
  });
});

describe('history.ndjson', () => {
  it('reads back what its writer wrote, with the count the cap left out', async () => {
    const file = path.join(scratch, 'history.ndjson');
    const w = new HistoryWriter(file);
    w.write([{ id: 3, type: 'invoke', t: 0.5, worker: 1, f: 'lab.result', keys: { tube: 'T1' }, value: { result: 'positive' } }]);
    w.write([{ id: 3, type: 'info', t: 3.5, worker: 1 }, { id: 5, type: 'invoke', t: 4, worker: 1, f: 'code.read', keys: { resident: 7 } }]);
    await w.close(12);
    const h = readHistory(file);
    expect(h.notKept).toBe(12);
    const { operations } = pairOperations(h.records);
    expect(operations.map((o) => [o.f, o.status, o.endT])).toEqual([['lab.result', 'info', 3.5], ['code.read', 'info', null]]);
  });

  it('names the file, line and field of a bad line', () => {
    const file = path.join(scratch, 'bad.ndjson');
    writeFileSync(file, '{"id":1,"type":"invoke","t":0,"worker":0,"f":"x","keys":{}}\n{"id":1,"type":"done","t":1,"worker":0}\n');
    expect(() => readHistory(file)).toThrow(`${file}:2: type`);
  });
});

describe('the checker\'s metrics', () => {
  const none: MetricSource = { trend: () => undefined, rate: () => undefined, counter: () => undefined, gauge: () => undefined };
  const report = correctnessReport({
    kinds: ['wrong-person', 'lost-write'],
    anomalies: [{ kind: 'wrong-person', t: 1, keys: { resident: 1 }, detail: 'x', id: 4 }],
    recovered: {},
    judged: 50,
    operations: 100,
    notKept: 0,
    staleBoundMs: 0,
  });

  it('gate thresholds: correctness_violations by kind, and checks as a rate', () => {
    const set = parseThresholds({ correctness_violations: ['count==0'], 'correctness_violations{kind:lost-write}': ['count==0'], checks: ['rate>0.99'] }, 'scenario.yaml');
    const results = evaluate(set, withCorrectness(none, report, 10), 10_000);
    expect(results.map((r) => [r.threshold.key, r.ok, r.value])).toEqual([
      ['correctness_violations', false, 1],
      ['correctness_violations{kind:lost-write}', true, 0],
      ['checks', false, 0.98],
    ]);
  });
});
