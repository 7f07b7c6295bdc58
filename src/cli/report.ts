import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyze } from '../analyze/analyze.js';
import { readRunDir } from '../analyze/read.js';
import type { Summary } from '../engine/summary.js';
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
  const loaded = await loadScenario(run.scenarioFile, { metrics: run.metrics, metricsFrom: path.join(dir, 'metrics.ndjson') });
  if (run.summary === undefined) {
    throw invalidInput('RUN_DIR_INVALID', `${path.join(dir, 'summary.json')}: missing; the run did not finish, so its verdict is unknown`);
  }
  const analysis = analyze(run, loaded.slo);
  const before = run.summary as unknown as Summary;
  const summary: Summary = {
    ...before,
    breakingPoint: analysis.breakingPoint,
    faults: (before.faults ?? []).map((f) => {
      const a = analysis.faults.find((x) => x.name === f.name);
      return { ...f, recoveryS: a?.recoveryS ?? null, surges: a?.surges ?? [] };
    }),
    slo: analysis.slo,
    capacity: analysis.capacity,
    metastable: analysis.metastable,
    // Runs from before custom metrics have none.
    metrics: before.metrics ?? {},
  };
  writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const written = writeReports(dir, run, summary, analysis);
  io.stdout(`${summary.scenario}: ${summary.verdict.toUpperCase()}; wrote summary.json and ${written.length} renderings in ${dir} (open ${path.join(dir, 'report.html')})\n`);
  return summary.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
}
