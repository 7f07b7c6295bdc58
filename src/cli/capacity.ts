import { parseSloFlags } from '../analyze/capacity.js';
import { baselineLine, readBaseline } from '../analyze/capacity-verdict.js';
import { DEFAULT_MULTIPLES, parseMultiples } from '../analyze/overload.js';
import type { ThresholdSet } from '../engine/thresholds.js';
import { ExitCode, invalidInput } from '../errors.js';
import { overloadLine } from '../report/capacity.js';
import { appendStepSummary } from '../report/ci.js';
import { defaultRunDir } from '../run-files/index.js';
import { runCapacity, type CapacitySpec } from '../run/capacity-run.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';
import { durationFlag, parseCount } from './options.js';
import { dashboardSpec, type DashboardFlags } from './dashboard-flags.js';
import { scenarioOptions, type ScenarioFlags } from './scenario-flags.js';

/**
 * `codestorm capacity SCENARIO`: the highest arrival rate the target sustains within the SLO.
 * The scenario gives the target and the journeys; its `load` is ignored. Steps at a constant
 * rate double from --start until one fails the SLO, then bisect the bracket (--refine steps; a
 * step that fails there is run again, --confirm times, and fails only if every run does);
 * every step runs --step long, with --settle of quiet before the next. The answer is written to
 * the run directory (capacity.json, capacity.html, summary.md, junit.xml, each step's metrics)
 * and, with --json, printed as one object. With --baseline, a capacity or a light-load p99 worse
 * by more than --max-regression percent fails the gate. After the search, overload steps at
 * multiples of the capacity (--overload, default 1.5,2,3; --no-overload) measure how much goodput
 * the target keeps past its knee (src/analyze/overload.ts); they never change the answer or the gate.
 *
 * Exit codes: 0 the SLO held at some rate and no regression; 99 the SLO held at no rate, or a
 * regression; 2 invalid input; 1 the harness failed.
 */
export interface CapacityFlags extends ScenarioFlags, DashboardFlags {
  readonly slo?: readonly string[];
  readonly baseline?: string;
  readonly maxRegression?: string;
  readonly json?: boolean;
  readonly out?: string;
  readonly start?: string;
  readonly max?: string;
  readonly step?: string;
  readonly settle?: string;
  readonly refine?: string;
  readonly confirm?: string;
  /** --overload LIST (a string), or false from --no-overload. */
  readonly overload?: string | false;
  readonly quiet?: boolean;
}

export async function capacityCommand(file: string, flags: CapacityFlags, io: CommandIO): Promise<ExitCode> {
  const loaded = await loadScenario(file);
  const spec = capacitySpec(file, loaded, flags);
  const notice = (line: string): void => io.stderr(`${line}\n`);
  const say = (line: string): void => {
    if (flags.quiet !== true) notice(line);
  };
  const report = await runCapacity(spec, { env: io.env, interrupted: io.interrupted, say, notice });
  await appendStepSummary(io.env, spec.dir);
  if (flags.json === true) io.stdout(`${JSON.stringify(report)}\n`);
  else io.stdout(`${report.verdict.toUpperCase()}: ${report.reason}\n${report.overloadShape === null ? '' : `  overload: ${overloadLine(report)}\n`}  results in ${spec.dir}\n`);
  if (report.baseline !== null && !report.baseline.ok) io.stderr(`codestorm: ${baselineLine(report.baseline, report)}\n`);
  return report.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
}

/** The flags resolved against the scenario; a bad one is invalid input (exit 2), before anything starts. */
function capacitySpec(file: string, loaded: LoadedScenario, flags: CapacityFlags): CapacitySpec {
  const slo: ThresholdSet = flags.slo !== undefined && flags.slo.length > 0 ? parseSloFlags(flags.slo) : loaded.slo.thresholds;
  const options = scenarioOptions(file, loaded, flags);
  const dashboard = dashboardSpec(flags);
  const startRps = flags.start === undefined ? 25 : positive('--start', flags.start);
  const maxRps = flags.max === undefined ? 20_000 : positive('--max', flags.max);
  if (maxRps < startRps) throw invalidInput('FLAG_INVALID', `--max: expected at least --start (${startRps}), got ${maxRps}`);
  return {
    file,
    loaded,
    ...options,
    dir: flags.out ?? defaultRunDir(`${loaded.scenario.name}-capacity`),
    dashboard,
    slo,
    startRps,
    maxRps,
    stepMs: flags.step === undefined ? 10_000 : durationFlag('--step', flags.step),
    settleMs: flags.settle === undefined ? 3_000 : durationFlag('--settle', flags.settle, true),
    refine: flags.refine === undefined ? 4 : parseCount('--refine', flags.refine, 0, 10),
    confirm: flags.confirm === undefined ? 1 : parseCount('--confirm', flags.confirm, 0, 5),
    multiples: flags.overload === false ? [] : flags.overload === undefined ? DEFAULT_MULTIPLES : parseMultiples(flags.overload),
    maxRegression: flags.maxRegression === undefined ? 10 : percent('--max-regression', flags.maxRegression),
    baseline: flags.baseline === undefined ? undefined : readBaseline(flags.baseline),
  };
}

function positive(flag: string, raw: string): number {
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw invalidInput('FLAG_INVALID', `${flag}: expected a number of arrivals per second > 0, got "${raw}"`);
  return v;
}

function percent(flag: string, raw: string): number {
  const v = Number(raw.replace(/%$/, ''));
  if (!Number.isFinite(v) || v < 0 || v > 100) throw invalidInput('FLAG_INVALID', `${flag}: expected a percentage from 0 to 100, got "${raw}"`);
  return v;
}

