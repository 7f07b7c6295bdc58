import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { cityJourneyOptions, faultClockOf } from '../../sim/plan.js';
import { analyze } from '../analyze/analyze.js';
import { measuredSummary, withAnalysis } from '../analyze/summary.js';
import { appendStepSummary } from '../report/ci.js';
import { describeValues } from '../report/custom.js';
import { writeReports } from '../report/render.js';
import { defaultWorkers, runEngine } from '../engine/engine.js';
import { createRandom } from '../engine/random.js';
import { clearStrayHolders } from '../faults/db-stall.js';
import { checkControllers, planFaults, Timeline, type PlannedFault } from '../faults/timeline.js';
import type { Controllers } from '../faults/types.js';
import { ToxiproxyControl } from '../stack/toxiproxy-control.js';
import { scrapeEverySecond } from '../engine/scrape.js';
import { compiled } from '../package-root.js';
import { totalDurationOf } from '../engine/executors/index.js';
import { EventLog, MetricsWriter, readRunDir, runFilesOf, ServerLog, writeSummary, type Summary } from '../run-files/index.js';
import { errorMessage, ExitCode, invalidInput } from '../errors.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import { pinSelf } from '../stack/cpus.js';
import { prepareCity, type PreparedCity } from '../stack/prepare.js';
import { startStack, type Stack, type StackOptions } from '../stack/stack.js';
import { guardExternalToxiproxy } from '../stack/state.js';
import { Teardown } from '../stack/teardown.js';
import type { CommandIO } from './io.js';
import { parseCount } from './options.js';
import { progress } from './progress.js';
import { parseProfile } from './server.js';
import { settingsFor } from './settings.js';
import { serverLabel } from '../report/settings.js';

export interface RunFlags {
  readonly target?: string;
  readonly out?: string;
  readonly seed?: string;
  readonly profile: string;
  readonly workers?: string;
  readonly quiet?: boolean;
  readonly json?: boolean;
  /** --set KEY=VALUE, repeatable: resilience settings of the reference server (src/cli/settings.ts). */
  readonly set?: readonly string[];
}

/**
 * `codestorm run SCENARIO`: load and check the scenario, bring up the reference stack if it
 * targets `reference`, run the engine, write the run directory, and answer with an exit code:
 * 0 every threshold held, 99 one failed, 2 invalid input, 1 the harness failed or was stopped.
 */
export async function runCommand(file: string, flags: RunFlags, io: CommandIO): Promise<ExitCode> {
  const loaded = await loadScenario(file);
  const scenario = loaded.scenario;
  const profile = parseProfile(flags.profile);
  const seed = flags.seed !== undefined ? parseCount('--seed', flags.seed, 0, 2 ** 31 - 1) : (scenario.seed ?? randomInt(2 ** 31 - 1));
  const workers = flags.workers === undefined ? defaultWorkers() : parseCount('--workers', flags.workers, 1, 64);
  const faults = planFaults(scenario.faults ?? [], faultClockOf(scenario));
  const targetRaw = flags.target ?? scenario.target;
  const external = targetRaw === 'reference' ? undefined : parseTarget(targetRaw, flags.target !== undefined ? '--target' : `${file}: target`);
  const settings = settingsFor(flags.set, external);
  // A fault with nothing to act through is invalid input, reported before anything starts.
  if (external !== undefined) checkControllers(faults, externalControllers(io.env), file);

  const dir = flags.out ?? path.join('reports', `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${scenario.name}`);
  mkdirSync(dir, { recursive: true });
  const files = runFilesOf(dir);
  const seeded = parseDocument(loaded.text);
  seeded.set('seed', seed);
  writeFileSync(files.scenario, seeded.toString());
  const metrics = new MetricsWriter(files.metrics);
  const events = new EventLog(files.events);
  const event = (name: string, fields: Record<string, unknown> = {}): void => events.write(name, fields);

  const say = (line: string): void => {
    // On a terminal the progress line is being redrawn: clear it, the bar redraws next second.
    if (flags.quiet !== true) io.stderr(`${io.stderrIsTTY ? '\r\u001b[2K' : ''}${line}\n`);
  };
  const { teardown, abort } = stopOnSignal(io, say, (signal) => {
    say(`codestorm: ${signal}: stopping the run; partial results stay in ${dir}`);
    event('interrupted', { signal });
  });

  try {
    let stack: ScenarioStack | undefined;
    if (external === undefined) {
      stack = await startScenarioStack(loaded, seed, { profile, resilience: settings, env: io.env, say, teardown });
      stack.server.on('event', (e) => event(`server-${e.event}`, { ...e }));
      if (stack.prepared !== undefined) {
        event('prior-state', { sessions: stack.prepared.sessionResidents, cached: stack.prepared.cachedResidents, warmupRequests: stack.prepared.warmupRequests, residents: loaded.city?.population.residents ?? 0 });
      }
      void stack.died.then((why) => {
        event('stack-died', { why });
        abort.abort();
      });
    }
    const origin = external ?? stack!.url;
    const controllers: Controllers =
      stack === undefined
        ? externalControllers(io.env)
        : { toxiproxy: stack.toxiproxy.client, redisUrl: stack.redis.url, databaseUrl: stack.postgres.url, server: stack.server };
    checkControllers(faults, controllers, file);
    if (stack === undefined && controllers.toxiproxy !== undefined && faults.some((f) => f.spec.kind === 'network')) await guardExternalToxiproxy(controllers.toxiproxy.apiUrl, teardown, io.env, say);
    await clearLeftovers(faults, controllers, say);
    event('run-start', { scenario: scenario.name, seed, target: origin, profile: stack === undefined ? null : profile, settings, workers });
    const server = serverLabel(stack === undefined ? null : profile, settings);
    say(`codestorm: running ${scenario.name} against ${origin}${server === null ? '' : ` (${server})`} (seed ${seed}, ${workers} worker${workers === 1 ? '' : 's'}); results in ${dir}`);
    const timeline = new Timeline({ faults, controllers, random: createRandom(seed).fork('faults'), teardown, event, say });
    const stopFaults = teardown.add('undo the faults', () => timeline.stop());
    const scrapeUrl = scenario.scrape ?? stack?.metricsUrl;
    let stopScraping = async (): Promise<void> => {};
    const serverLog = scrapeUrl === undefined ? undefined : new ServerLog(files.server);
    // Second 0 of the run, once every engine worker is ready: metrics, events, scrapes and
    // faults all count from here.
    const onStart = (startAt: Date): void => {
      events.start(startAt.getTime());
      timeline.start(performance.now() + (startAt.getTime() - Date.now()));
      if (scrapeUrl !== undefined && serverLog !== undefined) {
        const scraper = scrapeEverySecond(scrapeUrl, (scrape) => serverLog.write(scrape), startAt.getTime());
        stopScraping = teardown.add('stop scraping the server\'s metrics', () => scraper.stop());
      }
    };
    const totalS = Math.ceil(totalDurationOf(loaded.load) / 1000);
    const bar = progress(io.stderr, { tty: io.stderrIsTTY, quiet: flags.quiet === true, totalS });
    const result = await runEngine({
      origin,
      load: loaded.load,
      journeys: scenario.journeys,
      ...(loaded.city !== undefined
        ? {
            module: { file: loaded.module ?? compiled('sim/journeys/index.js'), options: cityJourneyOptions(loaded.city, seed, stack?.prepared) },
            ...(loaded.city.mix === undefined ? {} : { mix: loaded.city.mix }),
          }
        : loaded.module !== undefined
          ? { module: { file: loaded.module, options: {} } }
          : {}),
      thresholds: loaded.thresholds,
      seed,
      workers,
      ...cityConnections(loaded, workers),
      metrics,
      signal: abort.signal,
      onStart,
      onSecond: (second) => bar.second(second),
    });
    bar.end();
    await stopFaults();
    await stopScraping();
    event('run-end', { stopped: result.stopped ?? null, durationS: result.durationS });
    // The analysis reads only what the run wrote, fault windows from events.ndjson included,
    // exactly as `codestorm report` will later: a re-rendered summary agrees with this one.
    const runDir = readRunDir(dir);
    const analysis = analyze(runDir, loaded.slo);
    const measured = measuredSummary({
      scenario: scenario.name,
      seed,
      profile: stack === undefined ? null : profile,
      target: origin,
      startedAt: result.startedAt,
      aggregate: result.aggregate,
      thresholds: result.thresholds,
      stopped: result.stopped,
      faults: timeline.outcomes(),
      metrics: result.metrics,
      settings,
    });
    const summary = withAnalysis(measured, analysis);
    writeSummary(files.summary, summary);
    writeReports(dir, runDir, summary, analysis);
    await appendStepSummary(io.env, dir);
    if (flags.json === true) io.stdout(`${JSON.stringify(summary)}\n`);
    else io.stdout(describe(summary, dir));
    if (summary.interrupted) return ExitCode.harnessFailed;
    return summary.verdict === 'pass' ? ExitCode.ok : ExitCode.thresholdsFailed;
  } finally {
    await teardown.run();
    events.close();
  }
}

/**
 * What a command that starts things needs for Ctrl-C and SIGTERM: a teardown that undoes them
 * and a signal that stops the load; on a signal, `said` reports it, then both fire.
 */
export function stopOnSignal(io: CommandIO, say: (line: string) => void, said: (signal: NodeJS.Signals) => void): { teardown: Teardown; abort: AbortController } {
  const teardown = new Teardown((step, err) => say(`codestorm: teardown step "${step}" failed: ${errorMessage(err)}`));
  const abort = new AbortController();
  void io.interrupted.then((signal) => {
    said(signal);
    abort.abort();
    void teardown.run();
  });
  return { teardown, abort };
}

/** The reference stack for a scenario, with what the run needs to know of how it was prepared. */
export interface ScenarioStack extends Stack {
  /** A city scenario's state before the clock (sessions held, codes cached), made real. */
  readonly prepared: PreparedCity | undefined;
}

/**
 * The reference stack for a scenario: a city scenario's residents are the server's, the same
 * count from the same seed, and the city's state before the clock starts is prepared on it.
 */
export async function startScenarioStack(
  loaded: LoadedScenario,
  seed: number,
  options: Pick<StackOptions, 'profile' | 'env' | 'say' | 'teardown' | 'resilience'>,
): Promise<ScenarioStack> {
  const city = loaded.city;
  const stack = await startStack({ ...options, ...(city === undefined ? {} : { residents: city.population.residents, seed }) });
  if (stack.cpus !== undefined) {
    // As if each had a machine of its own: the generator never starves the system it measures.
    options.teardown?.add('give the load generator every CPU again', pinSelf(stack.cpus.generator));
    options.say?.(`codestorm: the stack runs on CPU ${stack.cpus.stack}, the load generator on CPU ${stack.cpus.generator}`);
  }
  if (city === undefined) return { ...stack, prepared: undefined };
  const prepared = await prepareCity(stack, { seed, residents: city.population.residents, prior: city.prior });
  options.say?.(
    `codestorm: the city before the clock: ${prepared.sessionResidents.toLocaleString('en')} residents hold a session (${share(prepared.sessionResidents, city.population.residents)}), ` +
      `${prepared.cachedResidents.toLocaleString('en')} codes cached (${share(prepared.cachedResidents, city.population.residents)}), the server warmed with ${prepared.warmupRequests.toLocaleString('en')} requests; prepared in ${prepared.seconds.toFixed(1)} s`,
  );
  return { ...stack, prepared };
}

/**
 * A city's people each have their own phone: a connection apiece, as many as can be mid-journey
 * at once (maxInFlight), so that the load generator's own socket pool never queues them.
 */
export function cityConnections(loaded: LoadedScenario, workers: number): { connections?: number } {
  if (loaded.city === undefined) return {};
  const load = loaded.load;
  const inFlight = load.executor === 'constant-vus' || load.executor === 'ramping-vus' ? undefined : load.maxInFlight;
  return inFlight === undefined ? {} : { connections: Math.max(1, Math.ceil(inFlight / workers)) };
}

function share(part: number, whole: number): string {
  return `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;
}

/** Against an external target, faults act through what the environment names. */
function externalControllers(env: NodeJS.ProcessEnv): Controllers {
  const toxiproxy = env['TOXIPROXY_URL'];
  const redisUrl = env['REDIS_URL'];
  const databaseUrl = env['DATABASE_URL'];
  return {
    ...(toxiproxy === undefined || toxiproxy === '' ? {} : { toxiproxy: new ToxiproxyControl(toxiproxy) }),
    ...(redisUrl === undefined || redisUrl === '' ? {} : { redisUrl }),
    ...(databaseUrl === undefined || databaseUrl === '' ? {} : { databaseUrl }),
  };
}

/** What a crashed earlier run may have left: toxics on the links, sessions holding locks. */
async function clearLeftovers(faults: readonly PlannedFault[], controllers: Controllers, say: (line: string) => void): Promise<void> {
  if (faults.some((f) => f.spec.kind === 'network') && controllers.toxiproxy !== undefined) await controllers.toxiproxy.reset();
  if (faults.some((f) => f.spec.kind === 'db-stall') && controllers.databaseUrl !== undefined) {
    const ended = await clearStrayHolders(controllers.databaseUrl);
    if (ended > 0) say(`codestorm: ended ${ended} database session${ended === 1 ? '' : 's'} an earlier run's faults left behind`);
  }
}

export function parseTarget(raw: string, where: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput('TARGET_INVALID', `${where}: expected "reference" or an http:// URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:') throw invalidInput('TARGET_INVALID', `${where}: only http:// targets are supported, got "${raw}"`);
  if (url.pathname !== '/' || url.search !== '') {
    throw invalidInput('TARGET_INVALID', `${where}: give the origin only (http://host:port); paths belong in the steps`);
  }
  return url.origin;
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
    ...s.faults.map((f) =>
      f.startS === null
        ? `  fault      ${f.name} (${f.kind} on ${f.target}) never began${f.failed === null ? '' : `: ${f.failed}`}`
        : `  fault      ${f.name} (${f.kind} on ${f.target}) +${f.startS}s → +${f.endS ?? '?'}s${f.failed === null ? '' : `, ${f.failed}`}`,
    ),
    ...Object.entries(s.metrics).map(([name, m]) => `  metric     ${name}: ${describeValues(m.type, m.unit, m.values)}`),
    ...s.thresholds.map((t) => `  ${t.ok ? '✓' : '✗'} ${t.metric}: ${t.expr} (${t.value ?? 'no data'})`),
    `  results in ${dir}`,
  ];
  return `${lines.join('\n')}\n`;
}
