import { formatClockTime, simTimeAt } from '../../sim/clock.js';
import { faultClock } from '../../sim/clock.js';
import { cityPlan, simClockOf, type CityPlan } from '../../sim/plan.js';
import { planFaults } from '../faults/timeline.js';
import { planOf, totalDurationOf } from '../engine/executors/index.js';
import { planExpected, planRateAt } from '../engine/executors/rate-plan.js';
import { ExitCode } from '../errors.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import { DEFAULT_SEED } from '../stack/defaults.js';
import type { CommandIO } from './io.js';
import { compressOption, parseCount } from './options.js';

/**
 * `codestorm plan SCENARIO [--json]`: what a scenario will do, without running it — the curve
 * (city-wide and as sent), the journey mix, the faults, the population, a sample of the
 * residents. The JSON holds no timestamps: the same scenario and seed give the same bytes.
 */
export interface PlanFlags {
  readonly json?: boolean;
  readonly seed?: string;
  /** --compress N: the plan of the city clock replayed at N, the load of each real second held. */
  readonly compress?: string;
}

export interface ScenarioPlan {
  readonly scenario: string;
  readonly file: string;
  readonly seed: number;
  readonly seedFrom: 'flag' | 'scenario' | 'default';
  readonly target: string;
  readonly load: {
    readonly executor: string;
    readonly durationS: number;
    /** Expected arrivals (open model); null for the closed model, whose count depends on the target. */
    readonly arrivals: number | null;
    readonly peakRps: number | null;
  };
  readonly journeys: readonly { readonly name: string; readonly kind: 'steps' | 'built-in'; readonly weight: number; readonly use?: string }[];
  readonly thresholds: readonly string[];
  readonly faults: readonly {
    readonly name: string;
    readonly kind: string;
    readonly target: string;
    readonly at: string;
    /** Real seconds from the run's start. */
    readonly startS: number;
    readonly endS: number;
    /** On the city clock, when there is one. */
    readonly clock: { readonly start: string; readonly end: string } | null;
    readonly spec: unknown;
  }[];
  readonly city: CityPlan | null;
  /** With --compress: what it changed in the scenario, "field old → new" each. */
  readonly compressed?: readonly string[];
}

export function scenarioPlan(loaded: LoadedScenario, seedFlag: number | undefined): ScenarioPlan {
  const { scenario, load } = loaded;
  const seed = seedFlag ?? scenario.seed ?? DEFAULT_SEED;
  const seedFrom = seedFlag !== undefined ? 'flag' : scenario.seed !== undefined ? 'scenario' : 'default';
  const durationMs = totalDurationOf(load);
  const clock = simClockOf(scenario);
  const open = load.executor === 'constant-vus' || load.executor === 'ramping-vus' ? undefined : planOf(load);
  let peak = 0;
  if (open !== undefined) for (const s of open.segments) peak = Math.max(peak, s.fromRate, s.toRate);
  return {
    scenario: scenario.name,
    file: loaded.file,
    seed,
    seedFrom,
    target: scenario.target,
    load: {
      executor: load.executor,
      durationS: durationMs / 1000,
      arrivals: open === undefined ? null : Math.round(planExpected(open, 0, durationMs) * 10) / 10,
      peakRps: open === undefined ? null : Math.round(peak * 100) / 100,
    },
    journeys: scenario.journeys.map((j) => (j.use === undefined ? { name: j.name, kind: 'steps', weight: j.weight } : { name: j.name, kind: 'built-in', weight: j.weight, use: j.use })),
    thresholds: loaded.thresholds.map((t) => `${t.key}: ${t.expr}`),
    faults: planFaults(scenario.faults ?? [], clock === undefined ? undefined : faultClock(clock)).map((f) => ({
      name: f.name,
      kind: f.spec.kind,
      target: f.target,
      at: f.spec.at,
      startS: Math.round(f.startMs) / 1000,
      endS: Math.round(f.endMs) / 1000,
      clock: clock === undefined ? null : { start: formatClockTime(simTimeAt(clock, f.startMs / 1000)), end: formatClockTime(simTimeAt(clock, f.endMs / 1000)) },
      spec: f.spec,
    })),
    city: loaded.city === undefined ? null : cityPlan(loaded.city, seed),
    ...(loaded.compressed === undefined ? {} : { compressed: loaded.compressed }),
  };
}

export async function planCommand(file: string, flags: PlanFlags, io: CommandIO): Promise<ExitCode> {
  const loaded = await loadScenario(file, compressOption(flags.compress));
  const seed = flags.seed === undefined ? undefined : parseCount('--seed', flags.seed, 0, 2 ** 31 - 1);
  const plan = scenarioPlan(loaded, seed);
  io.stdout(flags.json === true ? `${JSON.stringify(plan)}\n` : describePlan(plan, loaded));
  return ExitCode.ok;
}

const n = (v: number): string => v.toLocaleString('en');
const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
const secs = (ms: number): string => `${ms / 1000} s`;

function describePlan(plan: ScenarioPlan, loaded: LoadedScenario): string {
  const out: string[] = [];
  out.push(`${plan.scenario} (${plan.file}), seed ${plan.seed}${plan.seedFrom === 'default' ? ' (default: the scenario gives none)' : ''}, target ${plan.target}`);
  const l = plan.load;
  out.push(`load: ${l.executor} for ${l.durationS} s${l.arrivals === null ? ' (closed model)' : `, ${n(l.arrivals)} arrivals expected, peak ${l.peakRps}/s`}`);
  if (plan.compressed !== undefined) out.push(`--compress: the load of each real second held: ${plan.compressed.join('; ')}`);
  if (plan.city !== null) out.push(...describeCity(plan.city));
  else out.push(...describeJourneys(plan, loaded));
  if (plan.faults.length === 0) out.push('faults: none');
  else {
    out.push('faults:');
    for (const f of plan.faults) {
      const when = f.clock === null ? '' : ` (${f.clock.start}–${f.clock.end})`;
      out.push(`  ${f.name.padEnd(20)} ${f.kind.padEnd(16)} ${f.target.padEnd(28)} +${f.startS}s → +${f.endS}s${when}`);
    }
  }
  out.push(`thresholds: ${plan.thresholds.length === 0 ? 'none' : plan.thresholds.join('; ')}`);
  return `${out.join('\n')}\n`;
}

/** A city's clock, population, state before the clock, people, streams, curve and sample residents. */
function describeCity(city: CityPlan): string[] {
  const out: string[] = [];
  const p = city.population;
  out.push(city.clock === null ? 'clock: none (the rate comes from load)' : `clock: ${city.clock.start}–${city.clock.end} simulated, ×${city.clock.compress}: ${city.clock.realDurationS} s of real time`);
  out.push(`population: ${n(p.residents)} residents (scale ${p.scale} of ${n(p.city)}), ${n(p.compounds)} compounds, ${n(p.sites)} sampling sites, ${n(p.tables)} tables`);
  out.push(`  ages ${p.ageMix.map((a) => `${a.ages}: ${n(a.residents)}`).join(', ')}`);
  out.push(`  districts ${p.districts.map((d) => `${d.name} ${n(d.residents)}`).join(', ')}`);
  const pr = city.prior;
  out.push(`before the clock: ${n(pr.sessionResidents)} residents hold a session (${pct(pr.sessions)}, a model choice); ${n(pr.cachedResidents)} codes cached (${pct(pr.cache)}, ${
    pr.cacheSource === 'derived'
      ? `derived: ${n(pr.opensInWindow ?? 0)} code opens city-wide in the ${pr.cacheWindowS / 60} min before the start`
      : pr.cacheSource === 'scenario'
        ? 'given by the scenario'
        : 'no clock to derive it from'
  })`);
  const pe = city.people;
  out.push(
    `people: patience ${secs(pe.patienceMs)} (real) on a spinner; after the app gave up, re-install: young ${pct(pe.reinstall.young)}, adults ${pct(pe.reinstall.adult)}, elderly ${pct(pe.reinstall.elderly)}; ` +
      (pe.comeBack.times === 0 ? 'a code that would not show is not opened again' : `a code that would not show is opened again up to ${pe.comeBack.times}× about every ${secs(pe.comeBack.afterMs)} (real)`),
  );
  out.push(...describeStreams(city));
  out.push('sample residents:');
  for (const r of city.sample) out.push(`  #${r.index} ${r.idNumber} ${r.name} ${r.district} ${r.birthDate} ${r.sex} compound ${r.compound}`);
  return out;
}

/** Each stream's arrivals and peak, city-wide and as sent, and the curve as a bar per sample. */
function describeStreams(city: CityPlan): string[] {
  const out = ['streams (city: whole city per simulated second; sent: per real second):'];
  const cityPart = (c: { arrivals: number; peakRps: number; peakAt: string } | null) =>
    c === null ? `city ${'–'.padStart(11)}${' '.repeat(37)}` : `city ${n(c.arrivals).padStart(11)} arrivals, peak ${String(c.peakRps).padStart(8)}/s at ${c.peakAt}`;
  for (const s of city.streams) {
    out.push(
      `  ${s.journey.padEnd(20)} ${s.use.padEnd(19)} ${cityPart(s.city)}` +
        ` | sent ${n(s.scaled.arrivals).padStart(9)}, peak ${String(s.scaled.peakRps).padStart(7)}/s at +${s.scaled.peakAtS}s | retry ${s.retry.policy}`,
    );
  }
  const t = city.totals;
  out.push(`  ${'all'.padEnd(40)} ${cityPart(t.city)} | sent ${n(t.scaled.arrivals).padStart(9)}, peak ${String(t.scaled.peakRps).padStart(7)}/s at +${t.scaled.peakAtS}s`);
  out.push('curve (sent per real second):');
  const every = Math.max(1, Math.ceil(city.curve.length / 12));
  const max = Math.max(...city.curve.map((c) => c.scaledRps), 1);
  city.curve.forEach((c, i) => {
    if (i % every === 0 || i === city.curve.length - 1) out.push(`  +${String(c.tS).padStart(7)}s ${c.clock} ${String(c.scaledRps).padStart(9)}/s ${'█'.repeat(Math.round((30 * c.scaledRps) / max))}`);
  });
  return out;
}

/** A scenario without a city: its journeys, and its open model's curve in ten steps. */
function describeJourneys(plan: ScenarioPlan, loaded: LoadedScenario): string[] {
  const out = [`journeys: ${plan.journeys.map((j) => `${j.name} (weight ${j.weight})`).join(', ')}`];
  if (plan.load.arrivals !== null && loaded.load.executor !== 'constant-vus' && loaded.load.executor !== 'ramping-vus') {
    const open = planOf(loaded.load);
    const steps = 10;
    out.push('curve:');
    for (let k = 0; k <= steps; k++) {
      const t = (open.durationMs * k) / steps;
      out.push(`  +${(t / 1000).toFixed(1).padStart(7)}s ${planRateAt(open, Math.min(t, open.durationMs - 1e-6)).toFixed(1).padStart(9)}/s`);
    }
  }
  return out;
}
