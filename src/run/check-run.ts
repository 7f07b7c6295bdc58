import { setTimeout as sleep } from 'node:timers/promises';
import { checkHealthCodes } from '../../sim/check/index.js';
import { withCorrectness, type CorrectnessReport } from '../check/report.js';
import type { EngineResult } from '../engine/engine.js';
import { evaluate, type ThresholdResult } from '../engine/thresholds.js';
import { errorMessage } from '../errors.js';
import { readHistory } from '../run-files/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { ScenarioStack } from './stack.js';

/** Beyond the staleness bound, how long the system is given to settle before it is read back. */
const SETTLE_MS = 1_000;

/**
 * The correctness check of a city run against the reference stack, after the load with its faults
 * undone: the history as written (history.ndjson), the final state from Postgres and through the
 * API, judged by the health-code model (sim/check/) against the profile's staleness contract
 * (nearCacheMs). Then the thresholds again, with `correctness_violations` and `checks` answered.
 * Undefined when there is nothing to check (another target, or a scenario without a city).
 */
export async function checkRun(
  loaded: LoadedScenario,
  seed: number,
  stack: ScenarioStack | undefined,
  historyFile: string,
  result: EngineResult,
  say: (line: string) => void,
): Promise<{ report: CorrectnessReport; thresholds: readonly ThresholdResult[] } | undefined> {
  if (stack === undefined || loaded.city === undefined) return undefined;
  const staleBoundMs = stack.server.config.resilience.nearCacheMs;
  await sleep(staleBoundMs + SETTLE_MS);
  let report: CorrectnessReport;
  try {
    const source = { databaseUrl: stack.postgres.url, origin: stack.url, seed, residents: loaded.city.population.residents };
    report = await checkHealthCodes(readHistory(historyFile), source, staleBoundMs);
  } catch (err) {
    say(`codestorm: the correctness check could not read the final state: ${errorMessage(err)}`);
    return undefined;
  }
  const thresholds = evaluate(loaded.thresholds, withCorrectness(result.aggregate, report, result.durationS), result.durationS * 1000);
  return { report, thresholds };
}
