import { randomInt } from 'node:crypto';
import { defaultWorkers } from '../engine/engine.js';
import { invalidInput } from '../errors.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { ProfileName, ResilienceConfig } from '../server/config.js';
import { parseCount } from './options.js';
import { parseProfile } from './server.js';
import { settingsFor } from './settings.js';

/** The flags every command that runs a scenario takes (run, capacity). */
export interface ScenarioFlags {
  readonly target?: string;
  readonly seed?: string;
  readonly profile: string;
  readonly workers?: string;
  /** --set KEY=VALUE, repeatable: resilience settings of the reference server (src/cli/settings.ts). */
  readonly set?: readonly string[];
  /** --compress N: the city clock replayed at N, the load of each real second held (sim/city/recompress.ts). */
  readonly compress?: string;
}

export interface ScenarioOptions {
  readonly profile: ProfileName;
  /** --seed, else the scenario's, else a fresh one (written into the run). */
  readonly seed: number;
  readonly workers: number;
  /** An http:// origin, or undefined for the reference stack. */
  readonly external: string | undefined;
  readonly settings: Partial<ResilienceConfig>;
}

/** The flags of a scenario run resolved against its scenario; a bad one is invalid input (exit 2). */
export function scenarioOptions(file: string, loaded: LoadedScenario, flags: ScenarioFlags): ScenarioOptions {
  const scenario = loaded.scenario;
  const profile = parseProfile(flags.profile);
  const seed = flags.seed !== undefined ? parseCount('--seed', flags.seed, 0, 2 ** 31 - 1) : (scenario.seed ?? randomInt(2 ** 31 - 1));
  const workers = flags.workers === undefined ? defaultWorkers() : parseCount('--workers', flags.workers, 1, 64);
  const targetRaw = flags.target ?? scenario.target;
  const external = targetRaw === 'reference' ? undefined : parseTarget(targetRaw, flags.target !== undefined ? '--target' : `${file}: target`);
  return { profile, seed, workers, external, settings: settingsFor(flags.set, external) };
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
