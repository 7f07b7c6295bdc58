import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { compiled } from '../package-root.js';
import { cityJourneyOptions } from '../../sim/plan.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { K6Load } from './options.js';

/**
 * script.js: one self-contained ES module for k6. Its entry (written here) is the only code
 * that imports k6's modules; it makes the custom metrics in k6's init context, builds the
 * adapter (runtime/context.ts) for this VU, and exports `options` and one function per
 * scenario's `exec`. esbuild bundles the entry with the journeys (the simulator's, a journey
 * module, or the declarative steps compiled by the engine's own compiler) and what they import;
 * k6's modules stay imports. The identities are made in the script by sim/identity's generator,
 * from the seed, as the engine's workers make them: no data ships with it.
 */
export interface ScriptInput {
  readonly loaded: LoadedScenario;
  readonly load: K6Load;
  readonly seed: number;
  readonly thresholds: unknown;
}

/**
 * The compiled modules are bundled (dist/, as the stack's server runs from it; `npm test` builds
 * first): tsc's output keeps class fields as assignments, which the script's type-check can follow.
 */
const CONTEXT = compiled('src/k6/runtime/context.js');
const BUFFER_SHIM = compiled('src/k6/runtime/buffer.js');
const CITY_JOURNEYS = compiled('sim/journeys/index.js');
const ENGINE_JOURNEY = compiled('src/engine/journey.js');
/** Modules that use Node's Buffer, given the shim instead. */
const USES_BUFFER = /[\\/]sim[\\/]city[\\/]prior\.js$/;

const bufferShim: Plugin = {
  name: 'codestorm-buffer-shim',
  setup(build) {
    build.onLoad({ filter: USES_BUFFER }, async (args) => ({
      contents: `import { Buffer } from ${JSON.stringify(BUFFER_SHIM)};\n${await readFile(args.path, 'utf8')}`,
      loader: 'js',
    }));
  },
};

/**
 * The part of the entry that is the same for every scenario: k6's metrics made in the init
 * context from the declarations in EXPORT, and this VU's runtime.
 */
const RUNTIME_SOURCE = `/** @param {string} name @param {{ type: string, unit?: string }} declaration */
function metricOf(name, declaration) {
  switch (declaration.type) {
    case 'counter': return new Counter(name);
    case 'gauge': return new Gauge(name);
    case 'rate': return new Rate(name);
    default: return new Trend(name, declaration.unit === 'ms');
  }
}
/** @type {Record<string, { add(value: number | boolean, tags?: Record<string, string>): unknown }>} */
const metrics = {};
for (const [name, declaration] of Object.entries(EXPORT.metrics)) metrics[name] = metricOf(name, declaration);

const target = __ENV.TARGET || EXPORT.target;
if (!target) throw new Error('set TARGET to the server\\'s base URL: k6 run -e TARGET=http://host:port script.js');

const runtime = createK6Runtime(
  {
    http,
    setTimeout,
    elapsedMs: () => exec.instance.currentTestRunDuration,
    vu: __VU,
    baseUrl: target.replace(/\\/+$/, ''),
    metrics,
  },
  { seed: __ENV.SEED ? Number(__ENV.SEED) : EXPORT.seed, vus: EXPORT.vus, journeys: makeJourneys },
);`;

export function entrySource(input: ScriptInput): string {
  const { loaded, load } = input;
  const options = { scenarios: load.scenarios, thresholds: input.thresholds };
  return `// codestorm export k6: ${loaded.scenario.name}. Generated; edit the scenario and export again.
import http from 'k6/http';
import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
import { createK6Runtime } from ${JSON.stringify(CONTEXT)};

const EXPORT = ${JSON.stringify(exportedData(input), null, 2)};
${journeysImport(loaded)}

export const options = ${JSON.stringify(options, null, 2)};

${RUNTIME_SOURCE}

${execsSource(load)}
`;
}

/** What the script carries as data (EXPORT): the journeys' options, made here for a city from the seed. */
function exportedData({ loaded, load, seed }: ScriptInput): Record<string, unknown> {
  const scenario = loaded.scenario;
  return {
    scenario: scenario.name,
    seed,
    target: scenario.target === 'reference' ? null : scenario.target,
    vus: load.vus,
    metrics: loaded.metrics,
    journeyOptions: loaded.city === undefined ? scenario.journeys : cityJourneyOptions(loaded.city, seed),
  };
}

/** Where the journeys come from (the simulator's, a journey module, or the declarative steps), as `makeJourneys`. */
function journeysImport(loaded: LoadedScenario): string {
  if (loaded.city !== undefined) {
    return `import { journeys as cityJourneys } from ${JSON.stringify(CITY_JOURNEYS)};\nconst makeJourneys = (worker) => cityJourneys(EXPORT.journeyOptions, worker);`;
  }
  const module = loaded.scenario.module;
  if (module !== undefined) {
    return `import { journeys as moduleJourneys } from ${JSON.stringify(loaded.module ?? path.resolve(path.dirname(loaded.file), module))};\nconst makeJourneys = (worker) => moduleJourneys(EXPORT.journeyOptions, worker);`;
  }
  return `import { compileJourneys } from ${JSON.stringify(ENGINE_JOURNEY)};\nconst makeJourneys = (_worker, faker) => compileJourneys(EXPORT.journeyOptions, faker);`;
}

/** One exported function per scenario's `exec`: its journey, or one picked by weight. */
function execsSource(load: K6Load): string {
  return load.execs
    .map((e) => `export function ${e.exec}() {\n  return ${e.journey === undefined ? 'runtime.runPicked()' : `runtime.run(${JSON.stringify(e.journey)})`};\n}`)
    .join('\n');
}

export async function bundleScript(input: ScriptInput): Promise<string> {
  const result = await build({
    stdin: { contents: entrySource(input), resolveDir: path.dirname(CONTEXT), sourcefile: 'codestorm-k6-entry.js', loader: 'js' },
    plugins: [bufferShim],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import', 'default'],
    // k6's JavaScript runtime: class fields and private members are lowered for it.
    target: 'es2020',
    external: ['k6', 'k6/*'],
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild wrote no script');
  return file.text;
}

