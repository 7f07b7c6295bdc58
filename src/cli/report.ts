import path from 'node:path';
import { analyze } from '../analyze/analyze.js';
import { withAnalysis } from '../analyze/summary.js';
import { readRunDir, runFilesOf, writeSummary } from '../run-files/index.js';
import { ExitCode, invalidInput } from '../errors.js';
import { writeReports } from '../report/render.js';
import { loadScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';

/**
 * `codestorm report RUN_DIR`: analyses a run directory again from its files (metrics, events,
 * the scenario as run) and renders it again: summary.json's analysis, summary.md, junit.xml.
 * Nothing is re-run. Exit 0 when the run's thresholds held, 99 when one failed.
 */
export async function reportCommand(dir: string, io: CommandIO): Promise<ExitCode> {
  const run = readRunDir(dir);
  const loaded = await loadScenario(run.scenarioFile, { metrics: run.metrics, metricsFrom: runFilesOf(dir).metrics });
  if (run.summary === undefined) {
    throw invalidInput('RUN_DIR_INVALID', `${runFilesOf(dir).summary}: missing; the run did not finish, so its verdict is unknown`);
  }
  // The fault windows come from events.ndjson, as they did when the run wrote the summary.
  const analysis = analyze(run, loaded.slo);
  const summary = withAnalysis(run.summary, analysis);
  writeSummary(runFilesOf(dir).summary, summary);
  const written = writeReports(dir, run, summary, analysis);
  io.stdout(`${summary.scenario}: ${summary.verdict.toUpperCase()}; wrote summary.json and ${written.length} renderings in ${dir} (open ${path.join(dir, 'report.html')})\n`);
  return summary.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
}
