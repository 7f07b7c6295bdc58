import type { Faker } from '@faker-js/faker';
import { compileJourneys, journeyPicker, mixPicker, type JourneyFactory, type MetricDeclarations, type WeightedJourney } from './journey.js';
import { importJourneyModule } from './journey-import.js';
import { checkDeclarations } from './metric-declarations.js';
import type { Random } from './random.js';
import type { WorkerPlan } from './worker-plan.js';

/** A worker's journeys: from the plan's module (as k6 loads a script), or compiled from the scenario's steps. */
export interface ModuleJourneys {
  /** Undefined without a module: the plan's declarative journeys are compiled instead. */
  readonly journeys: readonly WeightedJourney[] | undefined;
  /** The custom metrics the module declares (none without a module). */
  readonly declared: MetricDeclarations;
}

/** Loads the plan's journey module, if it names one. */
export async function loadModuleJourneys(plan: WorkerPlan): Promise<ModuleJourneys> {
  if (plan.module === undefined) return { journeys: undefined, declared: {} };
  const mod = (await importJourneyModule(plan.module.file)) as { journeys?: JourneyFactory; metrics?: unknown };
  if (typeof mod.journeys !== 'function') throw new Error(`${plan.module.file} does not export a journeys() function`);
  const declared = checkDeclarations(mod.metrics, plan.module.file);
  const journeys = mod.journeys(plan.module.options, { seed: plan.seed, index: plan.index, of: plan.of });
  return { journeys, declared };
}

/** How an arrival at tMs picks its journey: by the plan's mix over time, or by fixed weights. */
export function journeyChooser(plan: WorkerPlan, journeys: readonly WeightedJourney[] | undefined, faker: Faker): (random: Random, tMs: number) => WeightedJourney {
  const all = journeys ?? compileJourneys(plan.journeys, faker);
  if (plan.mix !== undefined) return mixPicker(all, plan.mix);
  const pick = journeyPicker(all);
  return (random) => pick(random);
}
