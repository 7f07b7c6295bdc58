import { faultClockOf } from '../../sim/plan.js';
import { analyze } from '../analyze/analyze.js';
import { measuredSummary, withAnalysis } from '../analyze/summary.js';
import type { End } from '../dashboard/protocol.js';
import { LiveRun } from '../dashboard/live-run.js';
import { runEngine, type EngineResult } from '../engine/engine.js';
import { totalDurationOf } from '../engine/executors/index.js';
import { createRandom } from '../engine/random.js';
import type { MergedSecond } from '../engine/second.js';
import { CodestormError } from '../errors.js';
import { checkControllers, keepSettings, planFaults, Timeline, type PlannedFault } from '../faults/timeline.js';
import type { Controllers } from '../faults/types.js';
import { writeReports } from '../report/render.js';
import { serverLabel } from '../report/settings.js';
import { HistoryWriter, MetricsWriter, readRunDir, writeSummary, type Summary } from '../run-files/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { ProfileName, ResilienceConfig } from '../server/config.js';
import { guardExternalToxiproxy } from '../stack/state.js';
import type { Teardown } from '../stack/teardown.js';
import { checkRun } from './check-run.js';
import { clearLeftovers, controllersOf } from './controllers.js';
import { openRunDir, secondZero, type OpenRunDir } from './run-dir.js';
import { withDashboard, type DashboardSpec } from './dashboard.js';
import { cityConnections, journeyModule } from './journeys.js';
import { stopOnSignal } from './signals.js';
import { startScenarioStack, type ScenarioStack } from './stack.js';

/** A run as the command resolved it from the scenario and the flags. */
export interface RunSpec {
  /** The scenario file, as errors name it. */
  readonly file: string;
  readonly loaded: LoadedScenario;
  readonly profile: ProfileName;
  readonly seed: number;
  readonly workers: number;
  /** An http:// origin to load, or undefined for the reference stack. */
  readonly external: string | undefined;
  readonly settings: Partial<ResilienceConfig>;
  readonly dir: string;
  /** --dashboard: a live page of the run while it runs. */
  readonly dashboard?: DashboardSpec | undefined;
}

/** What the run touches outside itself: the environment, the stop signals, the user's eyes. */
export interface RunHooks {
  readonly env: NodeJS.ProcessEnv;
  readonly interrupted: Promise<NodeJS.Signals>;
  readonly say: (line: string) => void;
  /** What the user must see even with --quiet (the dashboard's address); `say` when not given. */
  readonly notice?: (line: string) => void;
  readonly progress?: { second(second: MergedSecond): void; end(): void };
}

/** The run directory's append-only files, open for the length of the run. */
interface RunFiles extends OpenRunDir {
  readonly metrics: MetricsWriter;
  readonly history: HistoryWriter;
}

/** What the run acts on: the origin to load and what faults act through. */
interface Target {
  readonly stack: ScenarioStack | undefined;
  readonly origin: string;
  readonly controllers: Controllers;
}

/**
 * One scenario, start to end: bring up the reference stack if it targets `reference`, run the
 * engine with the faults on their timeline, undo everything, then analyse and write the run
 * directory (../../shared/DESIGN.md, "A run directory"). Returns the summary it wrote.
 */
export async function runScenario(spec: RunSpec, hooks: RunHooks): Promise<Summary> {
  const { faults, notes } = keepSettings(planFaults(spec.loaded.scenario.faults ?? [], faultClockOf(spec.loaded.scenario)), spec.settings);
  for (const note of notes) hooks.say(note);
  // A fault with nothing to act through is invalid input, reported before anything starts.
  if (spec.external !== undefined) checkControllers(faults, controllersOf(undefined, hooks.env), spec.file);
  const dir = openRunDir(spec.dir, spec.loaded, spec.seed);
  const out: RunFiles = { ...dir, metrics: new MetricsWriter(dir.files.metrics), history: new HistoryWriter(dir.files.history) };
  const { loaded } = spec;
  const live = () => new LiveRun({ dir: spec.dir, mode: 'run', slo: loaded.slo, thresholds: loaded.thresholds, plannedS: Math.ceil(totalDurationOf(loaded.load) / 1000) });
  return withDashboard(spec.dashboard, spec.dir, live, { notice: hooks.notice ?? hooks.say, interrupted: hooks.interrupted }, () => runIn(spec, hooks, out, faults), runEnd);
}

async function runIn(spec: RunSpec, hooks: RunHooks, out: RunFiles, faults: readonly PlannedFault[]): Promise<Summary> {
  let over = false;
  const { teardown, abort } = stopOnSignal(hooks.interrupted, hooks.say, (signal) => {
    // A Ctrl-C after the end only closes a lingering dashboard; the run is written already.
    if (over) return;
    hooks.say(`codestorm: ${signal}: stopping the run; partial results stay in ${spec.dir}`);
    out.event('interrupted', { signal });
  });
  try {
    const target = await bringUp(spec, hooks, out, teardown, abort).catch((err: unknown) => {
      // A signal while the stack starts tears it down under its start: that is why it failed.
      throw abort.signal.aborted ? interruptedBeforeRun() : err;
    });
    if (abort.signal.aborted) throw interruptedBeforeRun();
    checkControllers(faults, target.controllers, spec.file);
    if (target.stack === undefined && target.controllers.toxiproxy !== undefined && faults.some((f) => f.spec.kind === 'network')) {
      await guardExternalToxiproxy(target.controllers.toxiproxy.apiUrl, teardown, hooks.env, hooks.say);
    }
    await clearLeftovers(faults, target.controllers, hooks.say);
    announce(spec, hooks, out, target);
    const { result, timeline } = await drive(spec, hooks, out, target, { faults, teardown, abort });
    return await finish(spec, hooks, out, target, result, timeline);
  } finally {
    over = true;
    await teardown.run();
    out.events.close();
  }
}

function interruptedBeforeRun(): CodestormError {
  return new CodestormError('INTERRUPTED', 'interrupted while the stack was starting: no load was run');
}

/** The dashboard's last words: the verdict in a line, the correctness check when one ran, and the report to open. */
function runEnd(s: Summary): Omit<End, 'dir'> {
  const held = s.thresholds.filter((t) => t.ok).length;
  const c = s.correctness;
  const parts = [
    `${s.scenario}: ${s.requests.total} requests, p99 ${s.latencyMs?.p99 ?? '–'} ms`,
    ...(s.thresholds.length === 0 ? [] : [`${held} of ${s.thresholds.length} thresholds held`]),
    s.breakingPoint === null ? 'no breaking point' : `it broke at ${s.breakingPoint.atS} s`,
    ...(c === null ? [] : [`${c.violations} correctness violation${c.violations === 1 ? '' : 's'} in ${c.operations} operations`]),
    ...(s.interrupted ? ['interrupted'] : s.stopped === 'threshold' ? ['stopped early by an abortOnFail threshold'] : []),
  ];
  const tables =
    c === null
      ? []
      : [
          {
            id: 'correctness',
            title: `Correctness (${c.operations} operations judged)`,
            head: ['invariant', 'violations', 'first example'],
            rows: Object.entries(c.byKind).map(([kind, n]) => {
              const first = c.examples.find((e) => e.kind === kind);
              return { cells: [kind, String(n), first === undefined ? '–' : `+${first.t.toFixed(3)} s: ${first.detail}`], marks: ['', n === 0 ? 'ok' : 'bad', ''] as const };
            }),
          },
        ];
  return { verdict: s.verdict, headline: `${parts.join('; ')}.`, report: 'report.html', tables };
}

async function bringUp(spec: RunSpec, hooks: RunHooks, out: RunFiles, teardown: Teardown, abort: AbortController): Promise<Target> {
  if (spec.external !== undefined) return { stack: undefined, origin: spec.external, controllers: controllersOf(undefined, hooks.env) };
  const stack = await startScenarioStack(spec.loaded, spec.seed, { profile: spec.profile, resilience: spec.settings, env: hooks.env, say: hooks.say, teardown });
  stack.server.on('event', (e) => out.event(`server-${e.event}`, { ...e }));
  if (stack.prepared !== undefined) {
    const p = stack.prepared;
    out.event('prior-state', { sessions: p.sessionResidents, cached: p.cachedResidents, warmupRequests: p.warmupRequests, residents: spec.loaded.city?.population.residents ?? 0 });
  }
  void stack.died.then((why) => {
    out.event('stack-died', { why });
    abort.abort();
  });
  return { stack, origin: stack.url, controllers: controllersOf(stack, hooks.env) };
}

function announce(spec: RunSpec, hooks: RunHooks, out: RunFiles, target: Target): void {
  const profile = target.stack === undefined ? null : spec.profile;
  const { scenario } = spec.loaded;
  out.event('run-start', { scenario: scenario.name, seed: spec.seed, target: target.origin, profile, settings: spec.settings, workers: spec.workers });
  const server = serverLabel(profile, spec.settings);
  hooks.say(
    `codestorm: running ${scenario.name} against ${target.origin}${server === null ? '' : ` (${server})`} (seed ${spec.seed}, ${spec.workers} worker${spec.workers === 1 ? '' : 's'}); results in ${spec.dir}`,
  );
}

interface Drive {
  readonly faults: readonly PlannedFault[];
  readonly teardown: Teardown;
  readonly abort: AbortController;
}

/** The engine's run, with the faults on their timeline and the server scraped each second. */
async function drive(spec: RunSpec, hooks: RunHooks, out: RunFiles, target: Target, d: Drive): Promise<{ result: EngineResult; timeline: Timeline }> {
  const { loaded, seed, workers } = spec;
  const timeline = new Timeline({ faults: d.faults, controllers: target.controllers, random: createRandom(seed).fork('faults'), teardown: d.teardown, event: out.event, say: hooks.say });
  const stopFaults = d.teardown.add('undo the faults', () => timeline.stop());
  // Second 0 of the run, once every engine worker is ready: metrics, events, scrapes and
  // faults all count from here.
  const zero = secondZero(out, timeline, loaded.scenario.scrape ?? target.stack?.metricsUrl, d.teardown);
  const result = await runEngine({
    origin: target.origin,
    load: loaded.load,
    journeys: loaded.scenario.journeys,
    ...journeyModule(loaded, seed, target.stack?.prepared),
    ...(loaded.city?.mix === undefined ? {} : { mix: loaded.city.mix }),
    thresholds: loaded.thresholds,
    seed,
    workers,
    ...cityConnections(loaded, workers),
    metrics: out.metrics,
    history: out.history,
    signal: d.abort.signal,
    onStart: (startAt) => zero.start(startAt),
    ...(hooks.progress === undefined ? {} : { onSecond: (second: MergedSecond) => hooks.progress!.second(second) }),
  });
  hooks.progress?.end();
  await stopFaults();
  await zero.stopScraping();
  out.event('run-end', { stopped: result.stopped ?? null, durationS: result.durationS, interruptedIterations: result.interrupted });
  return { result, timeline };
}

/**
 * The analysis reads only what the run wrote, fault windows from events.ndjson included, exactly
 * as `codestorm report` will later: a re-rendered summary agrees with this one.
 */
async function finish(spec: RunSpec, hooks: RunHooks, out: RunFiles, target: Target, result: EngineResult, timeline: Timeline): Promise<Summary> {
  // With the faults undone and the load over: the history judged against what the system settled on.
  const check = await checkRun(spec.loaded, spec.seed, target.stack, out.files.history, result, hooks.say);
  const runDir = readRunDir(spec.dir);
  const analysis = analyze(runDir, spec.loaded.slo);
  const measured = measuredSummary({
    scenario: spec.loaded.scenario.name,
    seed: spec.seed,
    profile: target.stack === undefined ? null : spec.profile,
    target: target.origin,
    startedAt: result.startedAt,
    aggregate: result.aggregate,
    thresholds: check?.thresholds ?? result.thresholds,
    stopped: result.stopped,
    interruptedIterations: result.interrupted,
    faults: timeline.outcomes(),
    metrics: result.metrics,
    settings: spec.settings,
  });
  const summary = { ...withAnalysis(measured, analysis), correctness: check?.report ?? null };
  writeSummary(out.files.summary, summary);
  writeReports(spec.dir, runDir, summary, analysis);
  return summary;
}
