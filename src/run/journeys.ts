import { cityJourneyOptions } from '../../sim/plan.js';
import { socketBudget } from '../analyze/overload.js';
import type { EngineOptions } from '../engine/engine.js';
import { compiled } from '../package-root.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { PreparedCity } from '../stack/prepare.js';
import { openFileLimit } from './open-files.js';

/**
 * The journeys module the engine's workers load: a city scenario's simulated residents (its own
 * module, or sim/journeys), a scenario's own module, or none when the steps are plain YAML.
 */
export function journeyModule(loaded: LoadedScenario, seed: number, prepared: PreparedCity | undefined): Pick<EngineOptions, 'module'> {
  if (loaded.city !== undefined) {
    return { module: { file: loaded.module ?? compiled('sim/journeys/index.js'), options: cityJourneyOptions(loaded.city, seed, prepared) } };
  }
  return loaded.module === undefined ? {} : { module: { file: loaded.module, options: {} } };
}

/**
 * A city's people each have their own phone: a connection apiece, as many as can be mid-journey
 * at once (maxInFlight), up to the sockets one process can hold (socketBudget). Past that, the
 * people mid-journey are still there: a request waits in the generator's pool for a socket with
 * its clock (and its person's patience) running from when it was made, instead of the person
 * being dropped. Dropped people stop asking, and that, not the server, ended a collapsed
 * server's outage: the city's phones would have kept tapping. `openFiles`: the process's limit.
 */
export function cityConnections(loaded: LoadedScenario, workers: number, openFiles = openFileLimit()): { connections?: number } {
  if (loaded.city === undefined) return {};
  const load = loaded.load;
  const inFlight = load.executor === 'constant-vus' || load.executor === 'ramping-vus' ? undefined : load.maxInFlight;
  return inFlight === undefined ? {} : { connections: Math.max(1, Math.ceil(Math.min(inFlight, socketBudget(openFiles)) / workers)) };
}
