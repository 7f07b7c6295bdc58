import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cityJourneyOptions } from '../../sim/plan.js';
import { parseSloFlags, searchCapacity, type StepResult } from '../analyze/capacity.js';
import { countWithin, DEFAULT_MULTIPLES, goodputLimitMs, parseMultiples, runOverload } from '../analyze/overload.js';
import { RunAggregate } from '../engine/aggregate.js';
import { percentileIntervalMs, summarize } from '../engine/histogram.js';
import { defaultWorkers, runEngine } from '../engine/engine.js';
import { constantArrivalRate } from '../engine/executors/constant-arrival-rate.js';
import { parseDuration } from '../engine/executors/duration.js';
import { evaluate, type ThresholdSet } from '../engine/thresholds.js';
import { CodestormError, ExitCode, invalidInput } from '../errors.js';
import { compiled } from '../package-root.js';
import { overloadLine, renderCapacityHtml, renderCapacityJunit, renderCapacityMarkdown } from '../report/capacity.js';
import { baselineLine, judge, readBaseline } from '../analyze/capacity-verdict.js';
import { appendStepSummary } from '../report/ci.js';
import { serverLabel } from '../report/settings.js';
import { MetricsWriter } from '../run-files/metrics.js';
import { loadScenario } from '../scenario/load.js';
import type { CommandIO } from './io.js';
import { parseCount } from './options.js';
import { cityConnections, parseTarget, startScenarioStack, stopOnSignal, type ScenarioStack } from './run.js';
import { parseProfile } from './server.js';
import { settingsFor } from './settings.js';

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
export interface CapacityFlags {
  readonly slo?: readonly string[];
  readonly baseline?: string;
  readonly maxRegression?: string;
  readonly json?: boolean;
  readonly target?: string;
  readonly out?: string;
  readonly profile: string;
  readonly seed?: string;
  readonly workers?: string;
  readonly start?: string;
  readonly max?: string;
  readonly step?: string;
  readonly settle?: string;
  readonly refine?: string;
  readonly confirm?: string;
  /** --overload LIST (a string), or false from --no-overload. */
  readonly overload?: string | false;
  readonly set?: readonly string[];
  readonly quiet?: boolean;
}

/**
 * Arrivals the first step measures at least (after its warm-up second), lengthening it past
 * --step when the start rate is low: a p99 needs 368 samples before its 95 % confidence interval
 * has a top (percentileIntervalMs), and the gate compares those intervals.
 */
export const FIRST_STEP_ARRIVALS = 500;

export async function capacityCommand(file: string, flags: CapacityFlags, io: CommandIO): Promise<ExitCode> {
  const loaded = await loadScenario(file);
  const scenario = loaded.scenario;
  const profile = parseProfile(flags.profile);
  const slo: ThresholdSet = flags.slo !== undefined && flags.slo.length > 0 ? parseSloFlags(flags.slo) : loaded.slo.thresholds;
  const seed = flags.seed !== undefined ? parseCount('--seed', flags.seed, 0, 2 ** 31 - 1) : (scenario.seed ?? randomInt(2 ** 31 - 1));
  const workers = flags.workers === undefined ? defaultWorkers() : parseCount('--workers', flags.workers, 1, 64);
  const startRps = flags.start === undefined ? 25 : positive('--start', flags.start);
  const maxRps = flags.max === undefined ? 20_000 : positive('--max', flags.max);
  if (maxRps < startRps) throw invalidInput('FLAG_INVALID', `--max: expected at least --start (${startRps}), got ${maxRps}`);
  const stepMs = flags.step === undefined ? 10_000 : durationFlag('--step', flags.step);
  const settleMs = flags.settle === undefined ? 3_000 : durationFlag('--settle', flags.settle, true);
  const refine = flags.refine === undefined ? 4 : parseCount('--refine', flags.refine, 0, 10);
  const confirm = flags.confirm === undefined ? 1 : parseCount('--confirm', flags.confirm, 0, 5);
  const multiples = flags.overload === false ? [] : flags.overload === undefined ? DEFAULT_MULTIPLES : parseMultiples(flags.overload);
  const maxRegression = flags.maxRegression === undefined ? 10 : percent('--max-regression', flags.maxRegression);
  const baseline = flags.baseline === undefined ? undefined : readBaseline(flags.baseline);
  const targetRaw = flags.target ?? scenario.target;
  const external = targetRaw === 'reference' ? undefined : parseTarget(targetRaw, flags.target !== undefined ? '--target' : `${file}: target`);
  const settings = settingsFor(flags.set, external);
  const limitMs = goodputLimitMs(slo);

  const dir = flags.out ?? path.join('reports', `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${scenario.name}-capacity`);
  mkdirSync(path.join(dir, 'steps'), { recursive: true });
  const say = (line: string): void => {
    if (flags.quiet !== true) io.stderr(`${line}\n`);
  };
  const { teardown, abort } = stopOnSignal(io, say, (signal) => say(`codestorm: ${signal}: stopping the capacity search`));
  try {
    let stack: ScenarioStack | undefined;
    if (external === undefined) {
      stack = await startScenarioStack(loaded, seed, { profile, resilience: settings, env: io.env, say, teardown });
    }
    const origin = external ?? stack!.url;
    const server = serverLabel(external === undefined ? profile : null, settings);
    say(`codestorm: capacity of ${origin}${server === null ? '' : ` (${server})`} for ${scenario.name}: steps of ${stepMs / 1000} s from ${startRps}/s (the first long enough for ${FIRST_STEP_ARRIVALS} arrivals), SLO ${slo.map((t) => `${t.key} ${t.expr}`).join(', ')}`);
    let index = 0;
    // One step at a constant rate, measured over its judged part; the search and the overload
    // steps both run through here.
    const measure = async (rateRps: number, kind: 'search' | 'overload'): Promise<StepResult> => {
      if (abort.signal.aborted) throw new CodestormError('INTERRUPTED', 'interrupted: the capacity search stopped before its next step');
      if (index > 0 && settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
      index++;
      // The first step is the one the baseline gate reads a p99 from: it runs long enough to
      // measure FIRST_STEP_ARRIVALS, so that p99 has a confidence interval closed at the top.
      const warmS = stepMs >= 3_000 ? 1 : 0;
      const durationMs = index === 1 ? Math.max(stepMs, warmS * 1000 + Math.ceil(FIRST_STEP_ARRIVALS / rateRps) * 1000) : stepMs;
      const load = constantArrivalRate.validate({ rate: rateRps, duration: durationMs, maxInFlight: loaded.load.executor === 'constant-vus' || loaded.load.executor === 'ramping-vus' ? 1_000 : loaded.load.maxInFlight }, 'load');
      const metricsFile = path.join(dir, 'steps', `${String(index).padStart(2, '0')}-${rateRps}rps${kind === 'overload' ? '-overload' : ''}.ndjson`);
      writeFileSync(metricsFile, '');
      // A step is judged without its first second: new connections and a cold JIT are the
      // harness warming up, not the target at that rate.
      const judged = new RunAggregate();
      await runEngine({
        origin,
        load,
        journeys: scenario.journeys,
        ...(loaded.city !== undefined
          ? { module: { file: loaded.module ?? compiled('sim/journeys/index.js'), options: cityJourneyOptions(loaded.city, seed, stack?.prepared) } }
          : loaded.module !== undefined
            ? { module: { file: loaded.module, options: {} } }
            : {}),
        ...cityConnections(loaded, workers),
        thresholds: [],
        seed: seed + index,
        workers,
        metrics: new MetricsWriter(metricsFile),
        signal: abort.signal,
        onSecond: (second) => {
          if (second.t >= warmS) judged.add(second);
        },
      });
      const a = judged;
      const verdicts = evaluate(slo, a, durationMs - warmS * 1000);
      const failing = verdicts.find((v) => !v.ok);
      const counts = a.counts();
      const total = Object.values(counts).reduce((s, n) => s + n, 0);
      const histogram = a.latency();
      const latency = histogram === undefined ? undefined : summarize(histogram);
      const okLatency = a.latency({ outcome: 'ok' });
      const good = limitMs === null || okLatency === undefined ? counts.ok : countWithin(okLatency, limitMs);
      const judgedS = Math.max(1, durationMs / 1000 - warmS);
      const reason =
        a.dropped > 0
          ? `${a.dropped} arrivals dropped: more than maxInFlight iterations were waiting on the target`
          : failing !== undefined
            ? `${failing.threshold.key}: ${failing.threshold.expr} failed at ${failing.value}`
            : null;
      const step: StepResult = {
        rateRps,
        ok: reason === null && !abort.signal.aborted,
        reason,
        p50Ms: latency?.p50 ?? null,
        p99Ms: latency?.p99 ?? null,
        p99IntervalMs: histogram === undefined || histogram.totalCount === 0 ? null : percentileIntervalMs(histogram, 99),
        errorRate: total === 0 ? null : Math.round((10_000 * (total - counts.ok)) / total) / 10_000,
        goodRps: Math.round((10 * counts.ok) / judgedS) / 10,
        goodputRps: Math.round((10 * good) / judgedS) / 10,
        byOutcome: Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)),
        late: counts.ok - good,
        dropped: a.dropped,
      };
      return step;
    };
    const probe = async (rateRps: number): Promise<StepResult> => {
      const step = await measure(rateRps, 'search');
      const reason = step.reason;
      say(`  ${step.ok ? 'held ' : 'broke'} at ${rateRps}/s: p99 ${step.p99Ms ?? '–'} ms, errors ${percentText(step.errorRate)}${reason === null ? '' : ` (${reason})`}`);
      return step;
    };
    const found = await searchCapacity(probe, { startRps, maxRps, refine, confirm });
    if (found.sloHeld && multiples.length > 0) {
      say(`codestorm: past the knee: steps at ${multiples.map((m) => `${m}×`).join(', ')} the capacity of ${found.capacityRps}/s, measured, not gated`);
    }
    const overload = await runOverload(
      async (planned) => {
        const step = await measure(planned.rateRps, 'overload');
        say(`  overload ${planned.multiple}× at ${planned.rateRps}/s${planned.capped ? ' (capped by --max)' : ''}: goodput ${step.goodputRps}/s, p99 ${step.p99Ms ?? '–'} ms, errors ${percentText(step.errorRate)}`);
        return step;
      },
      found,
      { multiples, maxRps },
    );
    const report = judge(found, { scenario: scenario.name, target: origin, profile: external === undefined ? profile : null, settings, slo, baseline, maxRegression, runDir: dir, maxRps, overload, goodputLimitMs: limitMs });
    writeFileSync(path.join(dir, 'capacity.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(dir, 'capacity.html'), renderCapacityHtml(report));
    writeFileSync(path.join(dir, 'summary.md'), renderCapacityMarkdown(report));
    writeFileSync(path.join(dir, 'junit.xml'), renderCapacityJunit(report));
    await appendStepSummary(io.env, dir);
    if (flags.json === true) io.stdout(`${JSON.stringify(report)}\n`);
    else io.stdout(`${report.verdict.toUpperCase()}: ${report.reason}\n${report.overloadShape === null ? '' : `  overload: ${overloadLine(report)}\n`}  results in ${dir}\n`);
    if (report.baseline !== null && !report.baseline.ok) io.stderr(`codestorm: ${baselineLine(report.baseline, report)}\n`);
    return report.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
  } finally {
    await teardown.run();
  }
}

function percentText(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 1000) / 10} %`;
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

function durationFlag(flag: string, raw: string, zeroOk = false): number {
  const ms = parseDuration(/^\d+$/.test(raw) ? `${raw}s` : raw, flag);
  if (ms < (zeroOk ? 0 : 1_000)) throw invalidInput('FLAG_INVALID', `${flag}: expected a duration of at least ${zeroOk ? '0s' : '1s'}, got "${raw}"`);
  return ms;
}
