import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { invalidInput } from '../errors.js';
import type { LoadedScenario } from '../scenario/load.js';
import { DEFAULT_SEED } from '../stack/defaults.js';
import { k6Load, type K6Load } from './options.js';
import { withinTolerance } from './stages.js';
import { bundleScript } from './script.js';
import { CONFIGMAP_LIMIT_BYTES, configMapCommand, testRunYaml } from './testrun.js';
import { k6Readme } from './readme.js';

/**
 * `codestorm export k6`: a scenario as a k6 script (script.js), a k6-operator TestRun
 * (testrun.yaml) and a README.md saying how to run them and read them back. The load comes from
 * options.ts, the script from script.ts; faults stay with codestorm (`codestorm faults`).
 */
export interface ExportOptions {
  readonly outDir: string;
  readonly parallelism: number;
}

export interface ExportResult {
  readonly files: readonly string[];
  readonly scriptBytes: number;
  readonly load: K6Load;
  readonly seed: number;
  readonly configMapCommand: string;
  /** Things the user should know: faults left out, streams without arrivals, … */
  readonly notes: readonly string[];
}

export async function exportK6(loaded: LoadedScenario, options: ExportOptions): Promise<ExportResult> {
  const scenario = loaded.scenario;
  const seed = scenario.seed ?? DEFAULT_SEED;
  const load = k6Load(loaded);
  const script = await bundleScript({ loaded, load, seed, thresholds: scenario.thresholds ?? {} });
  const scriptBytes = Buffer.byteLength(script, 'utf8');
  if (scriptBytes > CONFIGMAP_LIMIT_BYTES) {
    throw invalidInput(
      'K6_SCRIPT_TOO_LARGE',
      `${loaded.file}: the exported script.js is ${scriptBytes.toLocaleString('en')} bytes, more than a ConfigMap holds (${CONFIGMAP_LIMIT_BYTES.toLocaleString('en')} bytes)`,
      'a smaller journey module; or build the script into the runner image instead of a ConfigMap',
    );
  }
  const notes: string[] = [];
  if ((scenario.faults ?? []).length > 0) {
    notes.push(`${scenario.faults!.length} fault(s) not exported: the script makes only the load; faults stay with codestorm run`);
  }
  for (const r of load.ramps) {
    if (r.ramp.planned === 0) notes.push(`journey "${r.journey}" has no arrivals in the plan: no k6 scenario for it`);
    else if (!withinTolerance(r.ramp.arrivals, r.ramp.planned, 0.01)) {
      notes.push(`journey "${r.journey}": its stages start ${r.ramp.arrivals.toFixed(1)} arrivals, the plan ${r.ramp.planned.toFixed(1)}: more than 1 % apart`);
    }
  }
  const target = scenario.target === 'reference' ? undefined : scenario.target;
  const command = configMapCommand(scenario.name);
  await mkdir(options.outDir, { recursive: true });
  const files = {
    'script.js': script,
    'testrun.yaml': testRunYaml({ name: scenario.name, parallelism: options.parallelism, target }),
    'README.md': k6Readme({ loaded, load, seed, parallelism: options.parallelism, scriptBytes, configMapCommand: command, target, notes }),
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(options.outDir, name), text);
  return { files: Object.keys(files).map((f) => path.join(options.outDir, f)), scriptBytes, load, seed, configMapCommand: command, notes };
}
