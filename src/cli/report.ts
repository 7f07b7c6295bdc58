import path from 'node:path';
import { analyze } from '../analyze/analyze.js';
import { withAnalysis } from '../analyze/summary.js';
import { defaultRunDir, readRunDir, runFilesOf, writeSummary } from '../run-files/index.js';
import { ExitCode, invalidInput } from '../errors.js';
import { writeReports } from '../report/render.js';
import { importK6Run } from '../k6/import.js';
import { loadScenario } from '../scenario/load.js';
import { faultLine } from './faults.js';
import type { CommandIO } from './io.js';

/**
 * `codestorm report RUN_DIR`: analyses a run directory again from its files (metrics, events,
 * the scenario as run) and renders it again: summary.json's analysis, summary.md, junit.xml.
 * Nothing is re-run. Exit 0 when the run's thresholds held, 99 when one failed.
 */
export interface ReportFlags {
  readonly fromK6?: readonly string[];
  readonly scenario?: string;
  readonly out?: string;
  /** With --from-k6: the run directory of `codestorm faults` to join the load to. */
  readonly run?: string;
}

export async function reportCommand(dir: string | undefined, flags: ReportFlags, io: CommandIO): Promise<ExitCode> {
  if (flags.fromK6 !== undefined) return fromK6(dir, flags.fromK6, flags, io);
  if (dir === undefined) throw invalidInput('FLAG_INVALID', 'report: expected a run directory, or --from-k6 FILE… --scenario SCENARIO');
  const only = flags.scenario !== undefined ? '--scenario' : flags.out !== undefined ? '--out' : flags.run !== undefined ? '--run' : undefined;
  if (only !== undefined) throw invalidInput('FLAG_INVALID', `${only}: only with --from-k6`);
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

/**
 * `report --from-k6 FILE… --scenario SCENARIO [--out DIR]`: the runners' results merged into a new
 * run directory (src/k6/import.ts), then judged and rendered like any run. With `--run DIR`, into
 * the run directory of `codestorm faults` instead, on one clock with its faults and scrapes, so
 * the report shows each fault's impact on the k6 load. Exit 99 when a threshold failed over the
 * whole test, whatever each runner alone would have said.
 */
async function fromK6(dir: string | undefined, files: readonly string[], flags: ReportFlags, io: CommandIO): Promise<ExitCode> {
  if (dir !== undefined) throw invalidInput('FLAG_INVALID', `--from-k6: writes a new run directory (--out), not into ${dir}`);
  if (flags.run !== undefined && flags.out !== undefined) throw invalidInput('FLAG_INVALID', `--out: not with --run; the results join the faults run in ${flags.run}`);
  if (flags.run === undefined && flags.scenario === undefined) {
    throw invalidInput('FLAG_INVALID', '--scenario: missing; --from-k6 needs the scenario that was exported, for its thresholds and SLO (or --run DIR, a faults run that holds it)');
  }
  const out = flags.run ?? flags.out ?? defaultRunDir(`${path.basename(flags.scenario!).replace(/\.ya?ml$/, '')}-k6`);
  const { summary, results, written } = await importK6Run(files, { dir: out, scenarioFile: flags.scenario, join: flags.run !== undefined });
  io.stdout(
    `${summary.scenario}: ${summary.verdict.toUpperCase()} over ${results.files} k6 runner${results.files === 1 ? '' : 's'} (${results.points.toLocaleString('en')} points, ${summary.requests.total.toLocaleString('en')} requests, ${results.seconds} s); wrote a run directory with ${written.length} renderings in ${out} (open ${path.join(out, 'report.html')})\n`,
  );
  for (const f of summary.faults) io.stdout(`${faultLine(f)}\n`);
  for (const t of summary.thresholds) if (!t.ok) io.stdout(`  threshold failed: ${t.metric}: ${t.expr} (${t.value ?? '–'})\n`);
  return summary.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
}
