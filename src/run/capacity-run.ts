import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { judge, type Baseline, type CapacityReport } from '../analyze/capacity-verdict.js';
import { LiveCapacity } from '../dashboard/live-capacity.js';
import type { End } from '../dashboard/protocol.js';
import { searchCapacity, type StepResult } from '../analyze/capacity.js';
import { countWithin, goodputLimitMs, overloadInFlight, runOverload, socketBudget } from '../analyze/overload.js';
import { RunAggregate } from '../engine/aggregate.js';
import { runEngine } from '../engine/engine.js';
import { constantArrivalRate } from '../engine/executors/constant-arrival-rate.js';
import { percentileIntervalMs, summarize } from '../engine/histogram.js';
import { scrapeEverySecond, type Scraper } from '../engine/scrape.js';
import { evaluate, type ThresholdSet } from '../engine/thresholds.js';
import { CodestormError } from '../errors.js';
import { renderCapacityHtml, renderCapacityJunit, renderCapacityMarkdown } from '../report/capacity.js';
import { serverLabel } from '../report/settings.js';
import { MetricsWriter, ServerLog, StepLog, STEPS_FILE } from '../run-files/index.js';
import { withDashboard } from './dashboard.js';
import type { RunHooks, RunSpec } from './scenario-run.js';
import { cityConnections, journeyModule } from './journeys.js';
import { openFileLimit } from './open-files.js';
import { stopOnSignal } from './signals.js';
import { startScenarioStack, type ScenarioStack } from './stack.js';
import { readTcpCounters, tcpDelta, tcpText, type TcpCounters } from './tcp-counters.js';

/**
 * Arrivals the first step measures at least (after its warm-up second), lengthening it past
 * --step when the start rate is low: a p99 needs 368 samples before its 95 % confidence interval
 * has a top (percentileIntervalMs), and the gate compares those intervals.
 */
export const FIRST_STEP_ARRIVALS = 500;

/** A capacity search as the command resolved it (src/cli/capacity.ts documents each flag). */
export interface CapacitySpec extends RunSpec {
  readonly slo: ThresholdSet;
  readonly startRps: number;
  readonly maxRps: number;
  readonly stepMs: number;
  readonly settleMs: number;
  readonly refine: number;
  readonly confirm: number;
  /** Overload steps' multiples of the capacity; none for --no-overload. */
  readonly multiples: readonly number[];
  readonly maxRegression: number;
  readonly baseline: Baseline | undefined;
}

/** What every step of one search shares. */
interface Search {
  readonly spec: CapacitySpec;
  readonly origin: string;
  readonly stack: ScenarioStack | undefined;
  readonly signal: AbortSignal;
  readonly limitMs: number | null;
  /** The target's Prometheus metrics, scraped each second of every step: the scenario's scrape, or the reference stack's. */
  readonly scrapeUrl: string | undefined;
  /** steps.ndjson: each step's result as it completes. */
  readonly log: StepLog;
  /** Steps run so far. */
  steps: number;
}

/**
 * The highest arrival rate the target sustains within the SLO: steps at a constant rate double
 * from the start until one fails, then bisect the bracket (src/analyze/capacity.ts); then the
 * overload steps past it. Writes capacity.json, capacity.html, summary.md, junit.xml and each
 * step's metrics (and the target's, scraped each second) into the run directory, and returns the judged report.
 */
export async function runCapacity(spec: CapacitySpec, hooks: Omit<RunHooks, 'progress'>): Promise<CapacityReport> {
  mkdirSync(path.join(spec.dir, 'steps'), { recursive: true });
  let live: LiveCapacity | undefined;
  const model = () => (live = new LiveCapacity({ dir: spec.dir, name: spec.loaded.scenario.name, slo: spec.slo }));
  const end = (report: CapacityReport): Omit<End, 'dir'> => {
    live?.finished(report);
    return { verdict: report.verdict, headline: report.reason, report: 'capacity.html' };
  };
  return withDashboard(spec.dashboard, spec.dir, model, { notice: hooks.notice ?? hooks.say, interrupted: hooks.interrupted }, () => capacityIn(spec, hooks), end);
}

async function capacityIn(spec: CapacitySpec, hooks: Omit<RunHooks, 'progress'>): Promise<CapacityReport> {
  const { say } = hooks;
  let over = false;
  const { teardown, abort } = stopOnSignal(hooks.interrupted, say, (signal) => {
    // A Ctrl-C after the end only closes a lingering dashboard.
    if (!over) say(`codestorm: ${signal}: stopping the capacity search`);
  });
  try {
    const stack = spec.external === undefined
      ? await startScenarioStack(spec.loaded, spec.seed, { profile: spec.profile, resilience: spec.settings, env: hooks.env, say, teardown })
      : undefined;
    const origin = spec.external ?? stack!.url;
    const search: Search = { spec, origin, stack, signal: abort.signal, limitMs: goodputLimitMs(spec.slo), scrapeUrl: spec.loaded.scenario.scrape ?? stack?.metricsUrl, log: new StepLog(path.join(spec.dir, STEPS_FILE)), steps: 0 };
    const profile = spec.external === undefined ? spec.profile : null;
    const server = serverLabel(profile, spec.settings);
    say(
      `codestorm: capacity of ${origin}${server === null ? '' : ` (${server})`} for ${spec.loaded.scenario.name}: steps of ${spec.stepMs / 1000} s from ${spec.startRps}/s (the first long enough for ${FIRST_STEP_ARRIVALS} arrivals), SLO ${spec.slo.map((t) => `${t.key} ${t.expr}`).join(', ')}`,
    );
    const report = await searchAndJudge(search, say, profile);
    writeCapacityFiles(spec.dir, report);
    return report;
  } finally {
    over = true;
    await teardown.run();
  }
}

async function searchAndJudge(search: Search, say: (line: string) => void, profile: RunSpec['profile'] | null): Promise<CapacityReport> {
  const { spec } = search;
  const probe = async (rateRps: number): Promise<StepResult> => {
    const { step, tcp } = await measureStep(search, rateRps, 'search');
    say(`  ${step.ok ? 'held ' : 'broke'} at ${rateRps}/s: p99 ${step.p99Ms ?? '–'} ms, errors ${percentText(step.errorRate)}${step.reason === null ? '' : ` (${step.reason})`}${tcpText(tcp)}`);
    return step;
  };
  const found = await searchCapacity(probe, { startRps: spec.startRps, maxRps: spec.maxRps, refine: spec.refine, confirm: spec.confirm });
  if (found.sloHeld && spec.multiples.length > 0) {
    say(`codestorm: past the knee: steps at ${spec.multiples.map((m) => `${m}×`).join(', ')} the capacity of ${found.capacityRps}/s, measured, not gated`);
  }
  const overload = await runOverload(
    async (planned) => {
      const { step, tcp } = await measureStep(search, planned.rateRps, 'overload', planned.multiple);
      say(`  overload ${planned.multiple}× at ${planned.rateRps}/s${planned.capped ? ' (capped by --max)' : ''}: goodput ${step.goodputRps}/s, p99 ${step.p99Ms ?? '–'} ms, errors ${percentText(step.errorRate)}${tcpText(tcp)}`);
      return step;
    },
    found,
    { multiples: spec.multiples, maxRps: spec.maxRps },
  );
  return judge(found, {
    scenario: spec.loaded.scenario.name,
    target: search.origin,
    profile,
    settings: spec.settings,
    slo: spec.slo,
    baseline: spec.baseline,
    maxRegression: spec.maxRegression,
    runDir: spec.dir,
    maxRps: spec.maxRps,
    overload,
    goodputLimitMs: search.limitMs,
  });
}

/** A step's result, and what the kernel dropped meanwhile (Linux only; see tcp-counters.ts). */
interface MeasuredStep {
  readonly step: StepResult;
  readonly tcp: TcpCounters | undefined;
}

/**
 * One step at a constant rate, measured over its judged part; the search and the overload steps
 * both run through here. A step is judged without its first second: new connections and a cold
 * JIT are the harness warming up, not the target at that rate.
 */
async function measureStep(search: Search, rateRps: number, kind: 'search' | 'overload', multiple: number | null = null): Promise<MeasuredStep> {
  const { spec } = search;
  if (search.signal.aborted) throw new CodestormError('INTERRUPTED', 'interrupted: the capacity search stopped before its next step');
  if (search.steps > 0 && spec.settleMs > 0) await new Promise((r) => setTimeout(r, spec.settleMs));
  const index = ++search.steps;
  const warmS = spec.stepMs >= 3_000 ? 1 : 0;
  // The first step is the one the baseline gate reads a p99 from: it runs long enough to measure
  // FIRST_STEP_ARRIVALS, so that p99 has a confidence interval closed at the top.
  const durationMs = index === 1 ? Math.max(spec.stepMs, warmS * 1000 + Math.ceil(FIRST_STEP_ARRIVALS / rateRps) * 1000) : spec.stepMs;
  const loadKind = spec.loaded.load.executor;
  const scenarioMaxInFlight = loadKind === 'constant-vus' || loadKind === 'ramping-vus' ? 1_000 : spec.loaded.load.maxInFlight;
  // Past the knee the whole offered load must reach the target, each arrival on a socket of its own.
  const maxInFlight = kind === 'overload' ? overloadInFlight(rateRps, durationMs, scenarioMaxInFlight, openFileLimit()) : scenarioMaxInFlight;
  const connections = kind === 'overload' ? { connections: Math.ceil(Math.min(maxInFlight, socketBudget(openFileLimit())) / spec.workers) } : cityConnections(spec.loaded, spec.workers);
  const load = constantArrivalRate.validate({ rate: rateRps, duration: durationMs, maxInFlight }, 'load');
  const metricsFile = path.join(spec.dir, 'steps', `${String(index).padStart(2, '0')}-${rateRps}rps${kind === 'overload' ? '-overload' : ''}.ndjson`);
  writeFileSync(metricsFile, '');
  const judged = new RunAggregate();
  const tcpBefore = readTcpCounters();
  // The server's side of the step, second by second, beside the step's metrics and on the same clock.
  const serverFile = search.scrapeUrl === undefined ? undefined : metricsFile.replace(/\.ndjson$/, '-server.ndjson');
  const serverLog = serverFile === undefined ? undefined : new ServerLog(serverFile);
  let scraper: Scraper | undefined;
  try {
    await runEngine({
      origin: search.origin,
      load,
      journeys: spec.loaded.scenario.journeys,
      ...journeyModule(spec.loaded, spec.seed, search.stack?.prepared),
      ...connections,
      thresholds: [],
      seed: spec.seed + index,
      workers: spec.workers,
      metrics: new MetricsWriter(metricsFile),
      signal: search.signal,
      onStart: (startAt) => {
        if (search.scrapeUrl !== undefined && serverLog !== undefined) scraper = scrapeEverySecond(search.scrapeUrl, (scrape) => serverLog.write(scrape), startAt.getTime());
      },
      onSecond: (second) => {
        if (second.t >= warmS) judged.add(second);
      },
    });
  } finally {
    await scraper?.stop();
  }
  const measured = stepResult(rateRps, judged, { slo: spec.slo, judgedMs: durationMs - warmS * 1000, limitMs: search.limitMs });
  const step = search.signal.aborted ? { ...measured, ok: false } : measured;
  const tcp = tcpDelta(tcpBefore, readTcpCounters());
  search.log.write({ index, kind, multiple, file: path.relative(spec.dir, metricsFile), ...(serverFile === undefined ? {} : { serverFile: path.relative(spec.dir, serverFile) }), ...step, ...(tcp === undefined ? {} : { tcp }) });
  return { step, tcp };
}

/** A step's result from its judged seconds: pure, so the verdict of a step is testable alone. */
export function stepResult(rateRps: number, a: RunAggregate, o: { slo: ThresholdSet; judgedMs: number; limitMs: number | null }): StepResult {
  const failing = evaluate(o.slo, a, o.judgedMs).find((v) => !v.ok);
  const counts = a.counts();
  const total = Object.values(counts).reduce((s, n) => s + n, 0);
  const histogram = a.latency();
  const latency = histogram === undefined ? undefined : summarize(histogram);
  const okLatency = a.latency({ outcome: 'ok' });
  const good = o.limitMs === null || okLatency === undefined ? counts.ok : countWithin(okLatency, o.limitMs);
  const judgedS = Math.max(1, o.judgedMs / 1000);
  const reason =
    a.dropped > 0
      ? `${a.dropped} arrivals dropped: more than maxInFlight iterations were waiting on the target`
      : failing !== undefined
        ? `${failing.threshold.key}: ${failing.threshold.expr} failed at ${failing.value}`
        : null;
  return {
    rateRps,
    ok: reason === null,
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
}

function writeCapacityFiles(dir: string, report: CapacityReport): void {
  writeFileSync(path.join(dir, 'capacity.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(dir, 'capacity.html'), renderCapacityHtml(report));
  writeFileSync(path.join(dir, 'summary.md'), renderCapacityMarkdown(report));
  writeFileSync(path.join(dir, 'junit.xml'), renderCapacityJunit(report));
}

function percentText(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 1000) / 10} %`;
}
