import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyze } from '../analyze/analyze.js';
import { readRunDir, runFilesOf } from '../run-files/index.js';
import { ExitCode, invalidInput } from '../errors.js';
import { chartSpecs } from '../report/charts.js';
import { differences, overlay, renderCompareHtml, type ComparedRun } from '../report/compare.js';
import { loadScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';

/**
 * `codestorm compare RUN_A RUN_B [--out FILE] [--json]`: one page with both runs overlaid and a
 * table of differences (default compare.html in the current directory). Always exit 0 when both
 * runs could be read: comparing is not judging (`codestorm capacity --baseline` judges).
 */
export async function compareCommand(dirA: string, dirB: string, flags: { out?: string; json?: boolean }, io: CommandIO): Promise<ExitCode> {
  const [a, b] = await Promise.all([load(dirA), load(dirB)]);
  const labels = [path.basename(path.resolve(dirA)), path.basename(path.resolve(dirB))] as const;
  const runA: ComparedRun = { label: labels[0], summary: a.summary, analysis: a.analysis };
  const runB: ComparedRun = { label: labels[1] === labels[0] ? `${labels[1]} (B)` : labels[1], summary: b.summary, analysis: b.analysis };
  if (flags.json === true) {
    io.stdout(`${JSON.stringify({ a: dirA, b: dirB, differences: differences(runA, runB) })}\n`);
    return ExitCode.ok;
  }
  const charts = overlay(chartSpecs(a.run, a.analysis), chartSpecs(b.run, b.analysis), [runA.label, runB.label]);
  const out = flags.out ?? 'compare.html';
  writeFileSync(out, renderCompareHtml(runA, runB, charts));
  io.stdout(`wrote ${out}: ${runA.label} vs ${runB.label}\n`);
  for (const d of differences(runA, runB)) io.stdout(`  ${d.what.padEnd(36)} ${String(d.a ?? '–').padStart(14)} ${String(d.b ?? '–').padStart(14)}${d.changePct === null ? '' : `  ${d.changePct > 0 ? '+' : ''}${d.changePct} %`}\n`);
  return ExitCode.ok;
}

async function load(dir: string) {
  const run = readRunDir(dir);
  const loaded = await loadScenario(run.scenarioFile, { metrics: run.metrics, metricsFrom: runFilesOf(dir).metrics });
  if (run.summary === undefined) throw invalidInput('RUN_DIR_INVALID', `${runFilesOf(dir).summary}: missing; the run did not finish`);
  return { run, summary: run.summary, analysis: analyze(run, loaded.slo) };
}
