import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { analyze, type Analysis } from '../analyze/analyze.js';
import { measuredSummary, withAnalysis } from '../analyze/summary.js';
import { RunAggregate } from '../engine/aggregate.js';
import { evaluate } from '../engine/thresholds.js';
import { invalidInput } from '../errors.js';
import { writeReports } from '../report/render.js';
import { EventLog, MetricsWriter, readRunDir, runFilesOf, writeSummary, type Summary } from '../run-files/index.js';
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

export async function importK6Run(files: readonly string[], scenarioFile: string, dir: string): Promise<K6Import> {
  if (!existsSync(scenarioFile)) throw invalidInput('FLAG_INVALID', `--scenario: ${scenarioFile}: no such file`);
  // Checked before the run directory exists: a typo leaves no half-made folder behind.
  for (const file of files) if (!existsSync(file)) throw invalidInput('K6_RESULTS_INVALID', `--from-k6: ${file}: no such file`);
  mkdirSync(dir, { recursive: true });
  const paths = runFilesOf(dir);
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
  writeFileSync(paths.scenario, readFileSync(scenarioFile, 'utf8'));
  const events = new EventLog(paths.events);
  events.start(results.startEpochMs);
  events.close();
  const scenario = loaded.scenario;
  const measured = measuredSummary({
    scenario: scenario.name,
    seed: scenario.seed ?? 0,
    profile: null,
    target: `k6 (${results.files} runner${results.files === 1 ? '' : 's'})`,
    startedAt: new Date(results.startEpochMs),
    aggregate,
    thresholds: evaluate(loaded.thresholds, aggregate, aggregate.seconds * 1000),
    stopped: undefined,
    metrics: results.declarations,
    settings: {},
  });
  const run = readRunDir(dir);
  const analysis = analyze(run, loaded.slo);
  const summary = withAnalysis(measured, analysis);
  writeSummary(paths.summary, summary);
  const written = writeReports(dir, run, summary, analysis);
  return { summary, analysis, results, written };
}
