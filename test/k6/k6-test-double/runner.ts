import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { recording, resetRecording, scenarioTags } from './recorder.js';

/**
 * Runs an exported script.js as k6 would, as far as this double goes: the script's imports of
 * k6 modules point at this folder, `__ENV` and `__VU` are set, and each of `options.scenarios`
 * runs open-model: a ramping-arrival-rate scenario starts an iteration of its `exec` at each
 * whole arrival of its stages (k = 0, 1, … at Λ(t) = k), and drops it, counted, when `maxVUs`
 * iterations are already in flight.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const MODULES: Readonly<Record<string, string>> = {
  k6: 'k6.ts',
  'k6/http': 'http.ts',
  'k6/timers': 'timers.ts',
  'k6/metrics': 'metrics.ts',
  'k6/execution': 'execution.ts',
};

interface Stage {
  readonly duration: string;
  readonly target: number;
}
interface ScenarioOptions {
  readonly executor: string;
  readonly exec: string;
  readonly startRate?: number;
  readonly timeUnit?: string;
  readonly maxVUs?: number;
  readonly stages?: readonly Stage[];
  readonly tags?: Readonly<Record<string, string>>;
}

export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (m === null) throw new Error(`k6 test double: a duration it cannot read: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** The arrival times (ms from the start) of a ramping-arrival-rate scenario. */
export function arrivalTimes(scenario: Pick<ScenarioOptions, 'startRate' | 'timeUnit' | 'stages'>): number[] {
  const unitMs = durationMs(scenario.timeUnit ?? '1s');
  const times: number[] = [];
  let rate = (scenario.startRate ?? 0) / unitMs; // arrivals per ms
  let before = 0;
  let startMs = 0;
  let k = 0;
  for (const stage of scenario.stages ?? []) {
    const d = durationMs(stage.duration);
    const to = stage.target / unitMs;
    const slope = d > 0 ? (to - rate) / d : 0;
    const within = d * (rate + to) / 2;
    while (d > 0 && k < before + within) {
      const need = k - before; // solve rate·t + slope·t²/2 = need
      const t = Math.abs(slope) < 1e-15 ? need / rate : (-rate + Math.sqrt(Math.max(0, rate * rate + 2 * slope * need))) / slope;
      times.push(startMs + Math.min(d, Math.max(0, t)));
      k++;
    }
    before += within;
    startMs += d;
    rate = to;
  }
  return times;
}

export interface LoadedScript {
  readonly options: { readonly scenarios: Readonly<Record<string, ScenarioOptions>>; readonly thresholds?: unknown };
  readonly [exec: string]: unknown;
}

/** Imports script.js with its k6 imports pointing here; `env` becomes __ENV. */
export async function loadScript(file: string, env: Readonly<Record<string, string>>): Promise<LoadedScript> {
  let text = await readFile(file, 'utf8');
  text = text.replace(/from\s+(['"])(k6(?:\/[a-z]+)?)\1/g, (_whole, _q: string, name: string) => {
    const target = MODULES[name];
    if (target === undefined) throw new Error(`k6 test double: no stand-in for "${name}"`);
    return `from ${JSON.stringify(path.join(here, target))}`;
  });
  const runnable = path.join(path.dirname(file), 'script.double.mjs');
  await writeFile(runnable, text);
  Object.assign(globalThis, { __ENV: { ...env }, __VU: 1, __ITER: 0 });
  resetRecording();
  return (await import(pathToFileURL(runnable).href)) as LoadedScript;
}

/** Plays every scenario of the script's options; resolves when every iteration has ended. */
export async function runScenarios(script: LoadedScript): Promise<typeof recording> {
  resetRecording();
  const running: Promise<void>[] = [];
  for (const [name, scenario] of Object.entries(script.options.scenarios)) {
    if (scenario.executor !== 'ramping-arrival-rate') throw new Error(`k6 test double: runs ramping-arrival-rate only, not ${scenario.executor}`);
    const exec = script[scenario.exec];
    if (typeof exec !== 'function') throw new Error(`k6 test double: the script exports no function "${scenario.exec}"`);
    const counts = (recording.iterations[name] = { started: 0, dropped: 0, failed: 0, errors: [] as string[] });
    const maxVUs = scenario.maxVUs ?? 1;
    const tags = { scenario: name, ...scenario.tags };
    let inFlight = 0;
    const iterations: Promise<void>[] = [];
    const start = recording.startedAtMs;
    const times = arrivalTimes(scenario);
    running.push(
      (async () => {
        for (const at of times) {
          const wait = start + at - performance.now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
          if (inFlight >= maxVUs) {
            counts.dropped++;
            continue;
          }
          inFlight++;
          counts.started++;
          iterations.push(
            scenarioTags.run(tags, async () => {
              try {
                await (exec as () => Promise<void>)();
              } catch (err) {
                counts.failed++;
                if (counts.errors.length < 5) counts.errors.push(String(err));
              } finally {
                inFlight--;
              }
            }),
          );
        }
        await Promise.all(iterations);
      })(),
    );
  }
  await Promise.all(running);
  return recording;
}
