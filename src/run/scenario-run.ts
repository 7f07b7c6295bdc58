import { mkdirSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { faultClockOf } from '../../sim/plan.js';
import { analyze } from '../analyze/analyze.js';
import { measuredSummary, withAnalysis } from '../analyze/summary.js';
import { runEngine, type EngineResult } from '../engine/engine.js';
import { createRandom } from '../engine/random.js';
import { scrapeEverySecond } from '../engine/scrape.js';
import type { MergedSecond } from '../engine/second.js';
import { checkControllers, planFaults, Timeline, type PlannedFault } from '../faults/timeline.js';
import type { Controllers } from '../faults/types.js';
import { writeReports } from '../report/render.js';
import { serverLabel } from '../report/settings.js';
import { EventLog, MetricsWriter, readRunDir, runFilesOf, ServerLog, writeSummary, type Summary } from '../run-files/index.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { ProfileName, ResilienceConfig } from '../server/config.js';
import { guardExternalToxiproxy } from '../stack/state.js';
import type { Teardown } from '../stack/teardown.js';
import { clearLeftovers, controllersOf } from './controllers.js';
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
}

/** What the run touches outside itself: the environment, the stop signals, the user's eyes. */
export interface RunHooks {
  readonly env: NodeJS.ProcessEnv;
  readonly interrupted: Promise<NodeJS.Signals>;
  readonly say: (line: string) => void;
  readonly progress?: { second(second: MergedSecond): void; end(): void };
}

/** The run directory's append-only files, open for the length of the run. */
interface RunFiles {
  readonly files: ReturnType<typeof runFilesOf>;
  readonly metrics: MetricsWriter;
  readonly events: EventLog;
  readonly event: (name: string, fields?: Record<string, unknown>) => void;
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
  const faults = planFaults(spec.loaded.scenario.faults ?? [], faultClockOf(spec.loaded.scenario));
  // A fault with nothing to act through is invalid input, reported before anything starts.
  if (spec.external !== undefined) checkControllers(faults, controllersOf(undefined, hooks.env), spec.file);
  const out = openRunFiles(spec);
  const { teardown, abort } = stopOnSignal(hooks.interrupted, hooks.say, (signal) => {
    hooks.say(`codestorm: ${signal}: stopping the run; partial results stay in ${spec.dir}`);
    out.event('interrupted', { signal });
  });
  try {
    const target = await bringUp(spec, hooks, out, teardown, abort);
    checkControllers(faults, target.controllers, spec.file);
    if (target.stack === undefined && target.controllers.toxiproxy !== undefined && faults.some((f) => f.spec.kind === 'network')) {
      await guardExternalToxiproxy(target.controllers.toxiproxy.apiUrl, teardown, hooks.env, hooks.say);
    }
    await clearLeftovers(faults, target.controllers, hooks.say);
    announce(spec, hooks, out, target);
    const { result, timeline } = await drive(spec, hooks, out, target, { faults, teardown, abort });
    return finish(spec, out, target, result, timeline);
  } finally {
    await teardown.run();
    out.events.close();
  }
}

function openRunFiles(spec: RunSpec): RunFiles {
  mkdirSync(spec.dir, { recursive: true });
  const files = runFilesOf(spec.dir);
  // The scenario as run, with the seed it ran with: the run can be made again from its folder.
  const seeded = parseDocument(spec.loaded.text);
  seeded.set('seed', spec.seed);
  writeFileSync(files.scenario, seeded.toString());
  const events = new EventLog(files.events);
  return { files, metrics: new MetricsWriter(files.metrics), events, event: (name, fields = {}) => events.write(name, fields) };
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
  const scrapeUrl = loaded.scenario.scrape ?? target.stack?.metricsUrl;
  let stopScraping = async (): Promise<void> => {};
  const serverLog = scrapeUrl === undefined ? undefined : new ServerLog(out.files.server);
  // Second 0 of the run, once every engine worker is ready: metrics, events, scrapes and
  // faults all count from here.
  const onStart = (startAt: Date): void => {
    out.events.start(startAt.getTime());
    timeline.start(performance.now() + (startAt.getTime() - Date.now()));
    if (scrapeUrl !== undefined && serverLog !== undefined) {
      const scraper = scrapeEverySecond(scrapeUrl, (scrape) => serverLog.write(scrape), startAt.getTime());
      stopScraping = d.teardown.add('stop scraping the server\'s metrics', () => scraper.stop());
    }
  };
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
    signal: d.abort.signal,
    onStart,
    ...(hooks.progress === undefined ? {} : { onSecond: (second: MergedSecond) => hooks.progress!.second(second) }),
  });
  hooks.progress?.end();
  await stopFaults();
  await stopScraping();
  out.event('run-end', { stopped: result.stopped ?? null, durationS: result.durationS });
  return { result, timeline };
}

/**
 * The analysis reads only what the run wrote, fault windows from events.ndjson included, exactly
 * as `codestorm report` will later: a re-rendered summary agrees with this one.
 */
function finish(spec: RunSpec, out: RunFiles, target: Target, result: EngineResult, timeline: Timeline): Summary {
  const runDir = readRunDir(spec.dir);
  const analysis = analyze(runDir, spec.loaded.slo);
  const measured = measuredSummary({
    scenario: spec.loaded.scenario.name,
    seed: spec.seed,
    profile: target.stack === undefined ? null : spec.profile,
    target: target.origin,
    startedAt: result.startedAt,
    aggregate: result.aggregate,
    thresholds: result.thresholds,
    stopped: result.stopped,
    faults: timeline.outcomes(),
    metrics: result.metrics,
    settings: spec.settings,
  });
  const summary = withAnalysis(measured, analysis);
  writeSummary(out.files.summary, summary);
  writeReports(spec.dir, runDir, summary, analysis);
  return summary;
}
