import { cityJourneyOptions } from '../../sim/plan.js';
import type { EngineOptions } from '../engine/engine.js';
import { compiled } from '../package-root.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { PreparedCity } from '../stack/prepare.js';

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
 * at once (maxInFlight), so that the load generator's own socket pool never queues them.
 */
export function cityConnections(loaded: LoadedScenario, workers: number): { connections?: number } {
  if (loaded.city === undefined) return {};
  const load = loaded.load;
  const inFlight = load.executor === 'constant-vus' || load.executor === 'ramping-vus' ? undefined : load.maxInFlight;
  return inFlight === undefined ? {} : { connections: Math.max(1, Math.ceil(inFlight / workers)) };
}
