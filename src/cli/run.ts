import { appendStepSummary } from '../report/ci.js';
import { describeValues } from '../report/custom.js';
import { serverLabel } from '../report/settings.js';
import { totalDurationOf } from '../engine/executors/index.js';
import { ExitCode } from '../errors.js';
import { defaultRunDir, type Summary } from '../run-files/index.js';
import { runScenario } from '../run/scenario-run.js';
import { loadScenario } from '../scenario/load.js';
import { faultLine } from './faults.js';
import type { CommandIO } from './io.js';
import { compressOption } from './options.js';
import { progress } from './progress.js';
import { dashboardSpec, type DashboardFlags } from './dashboard-flags.js';
import { scenarioOptions, type ScenarioFlags } from './scenario-flags.js';

export interface RunFlags extends ScenarioFlags, DashboardFlags {
  readonly out?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

/**
 * `codestorm run SCENARIO`: load and check the scenario, run it (src/run/scenario-run.ts), and
 * answer with an exit code: 0 every threshold held, 99 one failed, 2 invalid input, 1 the
 * harness failed or was stopped.
 */
export async function runCommand(file: string, flags: RunFlags, io: CommandIO): Promise<ExitCode> {
  const loaded = await loadScenario(file, compressOption(flags.compress));
  const options = scenarioOptions(file, loaded, flags);
  const dashboard = dashboardSpec(flags);
  const dir = flags.out ?? defaultRunDir(loaded.scenario.name);
  // On a terminal the progress line is being redrawn: clear it, the bar redraws next second.
  const notice = (line: string): void => io.stderr(`${io.stderrIsTTY ? '\r\u001b[2K' : ''}${line}\n`);
  const say = (line: string): void => {
    if (flags.quiet !== true) notice(line);
  };
  if (loaded.compressed !== undefined) say(`--compress ${flags.compress}: the load of each real second held: ${loaded.compressed.join('; ')}`);
  const totalS = Math.ceil(totalDurationOf(loaded.load) / 1000);
  const bar = progress(io.stderr, { tty: io.stderrIsTTY, quiet: flags.quiet === true, totalS });
  const summary = await runScenario({ file, loaded, dir, ...options, dashboard }, { env: io.env, interrupted: io.interrupted, say, notice, progress: bar });
  await appendStepSummary(io.env, dir);
  io.stdout(flags.json === true ? `${JSON.stringify(summary)}\n` : describe(summary, dir));
  if (summary.interrupted) return ExitCode.harnessFailed;
  return summary.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
}

/** Said only when the generator fell behind its own schedule: the figures after it are partly the generator's. */
function generatorLines(s: Summary): string[] {
  const g = s.generator;
  if (g === null || g.behindFromS === null) return [];
  return [
    `  generator  behind its schedule from ${g.behindFromS} s, ${g.secondsBehind} s in all, arrivals up to ${Math.round(g.arrivalLagMaxMs)} ms late (at ${g.atS} s):`,
    '             from there the target was sent less than the load offered: the figures after it measure the generator too',
  ];
}

function describe(s: Summary, dir: string): string {
  const server = serverLabel(s.profile, s.settings ?? {});
  const lines = [
    `${s.scenario}: ${s.verdict.toUpperCase()}${s.stopped === 'threshold' ? ' (stopped early: a threshold with abortOnFail failed)' : s.interrupted ? ' (interrupted)' : ''}`,
    ...(server === null ? [] : [`  server     ${server}`]),
    `  requests   ${s.requests.total} (ok ${s.requests.ok}, failed ${s.requests.failed}), dropped arrivals ${s.requests.dropped}`,
    `  rate       offered ${s.rate.offeredAvg}/s, achieved ${s.rate.achievedAvg}/s, peak offered ${s.rate.peakOffered}/s`,
    s.latencyMs === null
      ? '  latency    no requests'
      : `  latency    p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`,
    // Due → written: the generator's own delay and any wait for a free connection (latency includes it).
    ...(s.sendLagMs === null ? [] : [`  send lag   p50 ${s.sendLagMs.p50} ms, p99 ${s.sendLagMs.p99} ms, max ${s.sendLagMs.max} ms`]),
    ...generatorLines(s),
    ...s.faults.map(faultLine),
    ...Object.entries(s.metrics).map(([name, m]) => `  metric     ${name}: ${describeValues(m.type, m.unit, m.values)}`),
    ...s.thresholds.map((t) => `  ${t.ok ? '✓' : '✗'} ${t.metric}: ${t.expr} (${t.value ?? 'no data'})`),
    `  results in ${dir}`,
  ];
  return `${lines.join('\n')}\n`;
}
