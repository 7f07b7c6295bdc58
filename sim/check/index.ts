import { pairOperations } from '../../src/check/operations.js';
import { correctnessReport, type CorrectnessReport } from '../../src/check/report.js';
import type { HistoryRecord } from '../../src/engine/history.js';
import { readFinalState, type FinalStateSource } from './final-state.js';
import { judge } from './model.js';

export { judge, KINDS, maskName, type FinalState, type Kind, type Probe, type ResidentState } from './model.js';
export { readFinalState, type FinalStateSource } from './final-state.js';

/**
 * The health-code system's correctness over a run: its history paired into operations, the
 * state it settled in read back (Postgres and the API), judged by the model (model.ts).
 */
export async function checkHealthCodes(
  history: { readonly records: readonly HistoryRecord[]; readonly notKept: number | null },
  source: FinalStateSource,
  staleBoundMs: number,
): Promise<CorrectnessReport> {
  const { operations } = pairOperations(history.records);
  const final = await readFinalState(operations, source);
  return correctnessReport(judge(operations, final, staleBoundMs, history.notKept));
}
