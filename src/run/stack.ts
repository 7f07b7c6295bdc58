import type { LoadedScenario } from '../scenario/load.js';
import { pinSelf } from '../stack/cpus.js';
import { prepareCity, type PreparedCity } from '../stack/prepare.js';
import { startStack, type Stack, type StackOptions } from '../stack/stack.js';

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

function share(part: number, whole: number): string {
  return `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;
}
