import { setTimeout as sleep } from 'node:timers/promises';
import { faultClockOf } from '../../sim/plan.js';
import { totalDurationOf } from '../engine/executors/index.js';
import { createRandom } from '../engine/random.js';
import { LiveRun } from '../dashboard/live-run.js';
import type { End } from '../dashboard/protocol.js';
import { checkControllers, planFaults, Timeline, type FaultOutcome, type PlannedFault } from '../faults/timeline.js';
import type { Controllers } from '../faults/types.js';
import type { LoadedScenario } from '../scenario/load.js';
import { guardExternalToxiproxy } from '../stack/state.js';
import { clearLeftovers, controllersOf } from './controllers.js';
import { withDashboard, type DashboardSpec } from './dashboard.js';
import { openRunDir, secondZero, type OpenRunDir } from './run-dir.js';
import type { RunHooks } from './scenario-run.js';
import { stopOnSignal } from './signals.js';

/** A faults-only run as the command resolved it. */
export interface FaultsSpec {
  /** The scenario file, as errors name it. */
  readonly file: string;
  readonly loaded: LoadedScenario;
  readonly seed: number;
  /** The system's http:// origin: recorded, and the default scrape is the scenario's own. */
  readonly target: string;
  /** Prometheus metrics to scrape each second into server.ndjson, if any. */
  readonly scrape: string | undefined;
  readonly dir: string;
  /** Epoch ms of second 0; undefined starts at once. */
  readonly startAtMs: number | undefined;
  /** --dashboard: a live page of the faults and the scrapes. */
  readonly dashboard?: DashboardSpec | undefined;
}

export interface FaultsResult {
  readonly faults: readonly FaultOutcome[];
  /** Seconds from second 0 to the end, or to the interruption. */
  readonly durationS: number;
  readonly interrupted: boolean;
}

/**
 * The scenario's fault timeline and the scrapes, without its load: for a load that runs
 * elsewhere (k6, `export k6`), on the same clock. Faults act through what the environment names
 * (TOXIPROXY_URL, REDIS_URL, DATABASE_URL); the run lasts as long as the scenario's load would,
 * and writes events.ndjson and server.ndjson, which `report --from-k6 … --run DIR` joins to the
 * k6 results. Every fault is undone on every way out, as in `run`.
 */
export async function runFaults(spec: FaultsSpec, hooks: Omit<RunHooks, 'progress'>): Promise<FaultsResult> {
  const { loaded } = spec;
  const faults = planFaults(loaded.scenario.faults ?? [], faultClockOf(loaded.scenario));
  const controllers = controllersOf(undefined, hooks.env);
  // A fault with nothing to act through is invalid input, reported before anything starts.
  checkControllers(faults, controllers, spec.file);
  const out = openRunDir(spec.dir, loaded, spec.seed);
  const live = () => new LiveRun({ dir: spec.dir, mode: 'faults', slo: loaded.slo, thresholds: [], plannedS: Math.ceil(totalDurationOf(loaded.load) / 1000) });
  return withDashboard(spec.dashboard, spec.dir, live, { notice: hooks.notice ?? hooks.say, interrupted: hooks.interrupted }, () => faultsIn(spec, hooks, out, faults, controllers), faultsEnd);
}

async function faultsIn(spec: FaultsSpec, hooks: Omit<RunHooks, 'progress'>, out: OpenRunDir, faults: readonly PlannedFault[], controllers: Controllers): Promise<FaultsResult> {
  const { loaded } = spec;
  const { say } = hooks;
  let interrupted = false;
  let over = false;
  const { teardown, abort } = stopOnSignal(hooks.interrupted, say, (signal) => {
    // A Ctrl-C after the end only closes a lingering dashboard.
    if (over) return;
    interrupted = true;
    say(`codestorm: ${signal}: stopping the faults and undoing them; what ran stays in ${spec.dir}`);
    out.event('interrupted', { signal });
  });
  try {
    if (controllers.toxiproxy !== undefined && faults.some((f) => f.spec.kind === 'network')) await guardExternalToxiproxy(controllers.toxiproxy.apiUrl, teardown, hooks.env, say);
    await clearLeftovers(faults, controllers, say);
    out.event('run-start', { mode: 'faults', scenario: loaded.scenario.name, seed: spec.seed, target: spec.target, profile: null, faults: faults.length });
    const timeline = new Timeline({ faults, controllers, random: createRandom(spec.seed).fork('faults'), teardown, event: out.event, say });
    const stopFaults = teardown.add('undo the faults', () => timeline.stop());
    const zero = secondZero(out, timeline, spec.scrape, teardown);
    const durationMs = totalDurationOf(loaded.load);
    const startAtMs = await untilStart(spec.startAtMs, abort.signal, say);
    zero.start(new Date(startAtMs));
    say(`codestorm: second 0 at ${new Date(startAtMs).toISOString()}: ${faults.length} fault${faults.length === 1 ? '' : 's'} on the timeline of ${loaded.scenario.name} for ${durationMs / 1000} s against ${spec.target}; results in ${spec.dir}`);
    await sleep(Math.max(0, startAtMs + durationMs - Date.now()), undefined, { signal: abort.signal }).catch(() => {});
    await stopFaults();
    await zero.stopScraping();
    const durationS = Math.round(Math.min(durationMs, Date.now() - startAtMs)) / 1000;
    out.event('run-end', { stopped: interrupted ? 'signal' : null, durationS });
    return { faults: timeline.outcomes(), durationS, interrupted };
  } finally {
    over = true;
    await teardown.run();
    out.events.close();
  }
}

function faultsEnd(r: FaultsResult): Omit<End, 'dir'> {
  const failed = r.faults.filter((f) => f.failed !== null).length;
  const verdict = r.interrupted || failed > 0 ? 'fail' : 'done';
  const what = r.interrupted ? 'interrupted' : failed > 0 ? `${failed} of ${r.faults.length} faults failed` : `${r.faults.length} fault${r.faults.length === 1 ? '' : 's'} ran`;
  return { verdict, headline: `${what} in ${r.durationS} s, every fault undone; join a load's k6 results with codestorm report --from-k6 FILE… --run DIR.`, report: null };
}


/** Waits for second 0 (--start-at), unless stopped first; returns its epoch ms. */
async function untilStart(startAtMs: number | undefined, signal: AbortSignal, say: (line: string) => void): Promise<number> {
  if (startAtMs === undefined || startAtMs <= Date.now()) return Date.now();
  say(`codestorm: waiting ${Math.round((startAtMs - Date.now()) / 1000)} s for second 0 (--start-at ${new Date(startAtMs).toISOString()})`);
  await sleep(startAtMs - Date.now(), undefined, { signal }).catch(() => {});
  return signal.aborted ? Date.now() : startAtMs;
}
