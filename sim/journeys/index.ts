import type { JourneyContext, WeightedJourney, WorkerIdentity } from '../../src/engine/journey.js';
import type { StreamName } from '../city/morning.js';
import { checkpoint } from './checkpoint.js';
import type { BuiltIn, Env } from './env.js';
import { lab } from './lab.js';
import type { CityJourneyOptions } from './options.js';
import { resident } from './resident.js';
import { RetryBudget } from './retry.js';
import { sampler } from './sampler.js';
import { CityState } from './state.js';

export { metrics } from './metrics.js';
export { openCode } from './open-code.js';
export type { CityJourneyOptions } from './options.js';
export { CityState } from './state.js';

/**
 * The people of a testing morning, as journeys the load engine runs in each worker thread
 * (it loads this module by path; see JourneyModuleRef). Each arrival draws a resident of the
 * simulated population, the same people the reference server was seeded with (same seed, same
 * count), and does what such a person does, one file each:
 *
 * - `resident.open-code` (resident.ts): opens the code (open-code.ts); signs in first when this
 *   client holds no session; taps refresh on a spinner by the retry policy; when the app gives
 *   up, a share of residents (more of the elderly) are left with a broken client and re-install:
 *   their next open signs in again from a cold client (`session.reinstall`).
 * - `sampler.table` (sampler.ts): the resident shows their code at a table; the sampler scans the
 *   tube, then the code; when the code will not load or the scan fails, the sampler types the ID number.
 * - `lab.result` (lab.ts): a lab posts a pooled tube's result (tubes this worker's tables filled),
 *   as the lab the tube's site sends to.
 * - `checkpoint.verify` (checkpoint.ts): a metro, shop or hospital gate verifies the code the
 *   resident shows; without one, the resident is turned away.
 *
 * Samplers, labs and gates send the staff credentials the stack issued (`staff`); without them
 * (another target) they send none, and a server that checks refuses them.
 */
const BUILT_IN: Readonly<Record<StreamName, BuiltIn>> = {
  'resident.open-code': resident,
  'sampler.table': sampler,
  'lab.result': lab,
  'checkpoint.verify': checkpoint,
};

export function journeys(options: unknown, worker: WorkerIdentity): WeightedJourney[] {
  const o = options as CityJourneyOptions;
  const state = new CityState(o, worker);
  return o.journeys.map((j) => {
    const env: Env = { state, retry: j.retry, budget: new RetryBudget(j.retry.budget) };
    return { name: j.name, weight: j.weight, run: (ctx: JourneyContext) => BUILT_IN[j.use](ctx, env) };
  });
}
