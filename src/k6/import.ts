import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { analyze, type Analysis } from '../analyze/analyze.js';
import { faultOutcomesOf, measuredSummary, withAnalysis } from '../analyze/summary.js';
import { RunAggregate } from '../engine/aggregate.js';
import { evaluate } from '../engine/thresholds.js';
import { invalidInput } from '../errors.js';
import { writeReports } from '../report/render.js';
import { EventLog, MetricsWriter, readEvents, readRunDir, RUN_FILES, runFilesOf, secondZeroOf, shiftEvents, shiftServer, writeSummary, type Summary } from '../run-files/index.js';
import { loadScenario } from '../scenario/load.js';
import { readK6Results, type K6Results } from './results.js';

/**
 * `codestorm report --from-k6 FILE… --scenario SCENARIO`: the runners' k6 results made into a run
 * directory, then analysed and rendered as any run is. metrics.ndjson comes from the merged
 * runners (src/k6/results.ts); the scenario — the one exported with `export k6` — gives the
 * thresholds and the SLO, judged over the whole test, every runner together: what the
 * k6-operator cannot do, since each of its runners judges only its own share.
 */
export interface K6Import {
  readonly summary: Summary;
  readonly analysis: Analysis;
  readonly results: K6Results;
  /** The renderings written beside summary.json. */
  readonly written: readonly string[];
}

/** Where the import goes: a new run directory, or (join) the run directory of `codestorm faults`. */
export interface K6ImportTarget {
  readonly dir: string;
  /** The exported scenario; with join, the faults run's own scenario.yaml when not given. */
  readonly scenarioFile: string | undefined;
  /** The directory holds a `faults` run (events.ndjson, server.ndjson): join the load to it. */
  readonly join: boolean;
}

export async function importK6Run(files: readonly string[], target: K6ImportTarget): Promise<K6Import> {
  const { dir, join } = target;
  const paths = runFilesOf(dir);
  const scenarioFile = target.scenarioFile ?? (join ? paths.scenario : undefined);
  if (scenarioFile === undefined) throw invalidInput('FLAG_INVALID', '--scenario: missing; --from-k6 needs the scenario that was exported, for its thresholds and SLO');
  if (!existsSync(scenarioFile)) throw invalidInput('FLAG_INVALID', `--scenario: ${scenarioFile}: no such file`);
  // Checked before the run directory is written: a typo leaves no half-made folder behind.
  for (const file of files) if (!existsSync(file)) throw invalidInput('K6_RESULTS_INVALID', `--from-k6: ${file}: no such file`);
  if (join) checkFaultsRun(dir);
  mkdirSync(dir, { recursive: true });
  const metrics = new MetricsWriter(paths.metrics);
  const aggregate = new RunAggregate();
  const results = await readK6Results(files, {
    declare: (declared) => metrics.declare(declared),
    second: (second) => {
      metrics.second(second);
      aggregate.add(second);
    },
  });
  await metrics.close();
  const loaded = await loadScenario(scenarioFile, { metrics: results.declarations, metricsFrom: files[0]! });
  if (join) alignFaultsRun(dir, results.startEpochMs);
  else writeOwnRunFiles(dir, scenarioFile, results.startEpochMs);
  const scenario = loaded.scenario;
  const run = readRunDir(dir);
  const measured = measuredSummary({
    scenario: scenario.name,
    seed: scenario.seed ?? 0,
    profile: null,
    target: `k6 (${results.files} runner${results.files === 1 ? '' : 's'})`,
    startedAt: new Date(results.startEpochMs),
    aggregate,
    thresholds: evaluate(loaded.thresholds, aggregate, aggregate.seconds * 1000),
    stopped: undefined,
    faults: faultOutcomesOf(run.events),
    metrics: results.declarations,
    settings: {},
  });
  const analysis = analyze(run, loaded.slo);
  const summary = withAnalysis(measured, analysis);
  writeSummary(paths.summary, summary);
  const written = writeReports(dir, run, summary, analysis);
  return { summary, analysis, results, written };
}

/** A new run directory's scenario and events: the load's second 0 and nothing else happened. */
function writeOwnRunFiles(dir: string, scenarioFile: string, startEpochMs: number): void {
  const paths = runFilesOf(dir);
  writeFileSync(paths.scenario, readFileSync(scenarioFile, 'utf8'));
  const events = new EventLog(paths.events);
  events.start(startEpochMs);
  events.close();
}

/** A directory `codestorm faults` wrote, and no load's metrics yet: nothing is overwritten. */
function checkFaultsRun(dir: string): void {
  const paths = runFilesOf(dir);
  if (!existsSync(paths.events)) throw invalidInput('RUN_DIR_INVALID', `--run: ${dir}: no ${RUN_FILES.events}; expected the run directory of codestorm faults`);
  if (existsSync(paths.metrics) && statSync(paths.metrics).size > 0) {
    throw invalidInput('RUN_DIR_INVALID', `--run: ${dir}: already holds ${RUN_FILES.metrics}; a load's results join a faults run once, into a directory of its own`);
  }
}

/**
 * One clock for the load and the faults: second 0 becomes k6's first second, and the faults
 * run's events and scrapes move by the difference between the two, whichever began first.
 */
function alignFaultsRun(dir: string, k6StartEpochMs: number): void {
  const paths = runFilesOf(dir);
  const zero = secondZeroOf(readEvents(paths.events));
  if (zero === undefined) throw invalidInput('RUN_DIR_INVALID', `--run: ${paths.events}: no event gives a wall-clock time; cannot line the faults up with k6's results`);
  const bySeconds = (zero - k6StartEpochMs) / 1000;
  shiftEvents(paths.events, bySeconds);
  shiftServer(paths.server, bySeconds);
}
