import { parseDuration } from '../engine/executors/duration.js';
import type { Random } from '../engine/random.js';
import type { InvalidInputCode } from '../error-codes.js';
import { errorMessage, invalidFields, invalidInput } from '../errors.js';
import type { Teardown } from '../stack/teardown.js';
import { cacheCorruption } from './cache-corruption.js';
import { dbStall } from './db-stall.js';
import { network } from './network.js';
import { processKind } from './process.js';
import type { FaultKindName, FaultSpec } from './schema.js';
import type { ActiveFault, ControllerName, Controllers, FaultKind } from './types.js';

/**
 * The fault timeline: each fault of a scenario placed on the run's real clock, begun and undone
 * on time, with a begin and an end event each. Every fault that began is registered with the
 * run's teardown the moment it began, so it is undone on every exit path: its own end, the end
 * of the run, an abort, SIGINT or SIGTERM, an exception.
 */
export const KINDS: Readonly<Record<FaultKindName, FaultKind>> = {
  network: network as FaultKind,
  'cache-corruption': cacheCorruption as FaultKind,
  'db-stall': dbStall as FaultKind,
  process: processKind as FaultKind,
};

export interface PlannedFault {
  readonly name: string;
  readonly spec: FaultSpec;
  readonly kind: FaultKind;
  readonly target: string;
  /** Real ms from the run's start. */
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * A scenario's time, as the faults need it: how fast it runs against real time, and where a
 * time of day falls. A city's clock gives one (sim/clock.ts `faultClock`); faults know no city.
 */
export interface ScenarioClock {
  /** Scenario seconds per real second. */
  readonly compress: number;
  /** Real seconds from the run's start at a time of day ("09:02"); undefined when it is not one. */
  realSecondsAt(timeOfDay: string): number | undefined;
}

/** "09:02" on the scenario's clock, or "+30s" from the start (in the scenario's time) → real ms from the run's start. */
export function realMsAt(at: string, clock: ScenarioClock | undefined, where: string, code: InvalidInputCode): number {
  if (at.startsWith('+')) {
    const scenarioMs = parseDuration(at.slice(1), where);
    return clock === undefined ? scenarioMs : scenarioMs / clock.compress;
  }
  const realS = clock?.realSecondsAt(at);
  if (realS === undefined) throw invalidFields(code, [{ path: where, message: 'a time of day needs a city clock' }]);
  return realS * 1000;
}

export function planFaults(specs: readonly FaultSpec[], clock: ScenarioClock | undefined): PlannedFault[] {
  const toReal = (scenarioMs: number) => (clock === undefined ? scenarioMs : scenarioMs / clock.compress);
  return specs.map((spec, i) => {
    const where = `faults[${i}]`;
    const startMs = realMsAt(spec.at, clock, `${where}.at`, 'FAULT_INVALID');
    const kind = KINDS[spec.kind];
    return {
      name: spec.name ?? `${spec.kind}-${i}`,
      spec,
      kind,
      target: kind.target(spec),
      startMs: Math.max(0, startMs),
      endMs: Math.max(0, startMs) + toReal(parseDuration(spec.duration, `${where}.duration`)),
    };
  });
}

/**
 * A setting given with `--set` holds for the whole run: a kill's `restartWith` does not change it
 * back at the restart (the command line over the scenario, as k6's flags over a script's
 * options). Returns the faults with those settings taken out of their restarts, and a line for
 * each fault that lost one.
 */
export function keepSettings(faults: readonly PlannedFault[], settings: Readonly<Record<string, unknown>>): { faults: PlannedFault[]; notes: string[] } {
  const notes: string[] = [];
  const kept = faults.map((f) => {
    if (f.spec.kind !== 'process' || f.spec.restartWith === undefined) return f;
    const overridden = Object.keys(f.spec.restartWith).filter((key) => key in settings);
    if (overridden.length === 0) return f;
    notes.push(`codestorm: fault ${f.name}: restarts without its restartWith ${overridden.join(', ')}: --set holds for the whole run`);
    const restartWith = Object.fromEntries(Object.entries(f.spec.restartWith).filter(([key]) => !(key in settings)));
    const { restartWith: _, ...rest } = f.spec;
    return { ...f, spec: Object.keys(restartWith).length === 0 ? rest : { ...rest, restartWith } };
  });
  return { faults: kept, notes };
}

/** Every fault's controller must be there before anything starts; otherwise invalid input. */
export function checkControllers(faults: readonly PlannedFault[], controllers: Controllers, file: string): void {
  const has: Record<ControllerName, boolean> = {
    toxiproxy: controllers.toxiproxy !== undefined,
    redis: controllers.redisUrl !== undefined,
    postgres: controllers.databaseUrl !== undefined,
    server: controllers.server !== undefined,
  };
  const how: Record<ControllerName, string> = {
    toxiproxy: 'set TOXIPROXY_URL to the Toxiproxy API in front of the target',
    redis: "set REDIS_URL to the target's Redis",
    postgres: "set DATABASE_URL to the target's Postgres",
    server: 'process faults need the reference stack (target: reference)',
  };
  const problems = faults.flatMap((f, i) => {
    const need = f.kind.needs(f.spec);
    return has[need] ? [] : [`${file}: faults[${i}] (${f.name}): no ${need} to act through: ${how[need]}`];
  });
  if (problems.length > 0) throw invalidInput('FAULT_UNREACHABLE', problems.join('\n'));
  for (const f of faults) {
    if (f.spec.kind === 'network' && controllers.toxiproxy !== undefined && f.spec.link === '') throw invalidInput('FAULT_INVALID', `${file}: ${f.name}: link is empty`);
  }
}

export interface TimelineOptions {
  readonly faults: readonly PlannedFault[];
  readonly controllers: Controllers;
  readonly random: Random;
  readonly teardown: Teardown;
  /** Appends one line to events.ndjson. */
  readonly event: (name: string, fields: Record<string, unknown>) => void;
  readonly say: (line: string) => void;
}

export interface FaultOutcome {
  readonly name: string;
  readonly kind: FaultKindName;
  readonly target: string;
  /** Real seconds from the run's start, as it happened (null: it never began). */
  readonly startS: number | null;
  readonly endS: number | null;
  readonly failed: string | null;
}

export class Timeline {
  readonly #o: TimelineOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #outcomes = new Map<string, { startS: number | null; endS: number | null; failed: string | null }>();
  readonly #undo = new Map<string, () => Promise<void>>();
  #t0 = 0;
  #stopped = false;

  constructor(options: TimelineOptions) {
    this.#o = options;
    for (const f of options.faults) this.#outcomes.set(f.name, { startS: null, endS: null, failed: null });
  }

  /** Schedules every fault against `t0` (performance.now() at the run's second 0). */
  start(t0: number): void {
    this.#t0 = t0;
    for (const fault of this.#o.faults) {
      this.#after(fault.startMs, () => void this.#begin(fault));
    }
  }

  /** Cancels what has not begun and undoes what is active. Safe to call more than once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([...this.#undo.values()].map((undo) => undo()));
  }

  outcomes(): FaultOutcome[] {
    return this.#o.faults.map((f) => ({ name: f.name, kind: f.spec.kind, target: f.target, ...this.#outcomes.get(f.name)! }));
  }

  #now(): number {
    return Math.round(performance.now() - this.#t0) / 1000;
  }

  #after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, Math.max(0, this.#t0 + ms - performance.now()));
    this.#timers.add(timer);
  }

  async #begin(fault: PlannedFault): Promise<void> {
    if (this.#stopped) return;
    const outcome = this.#outcomes.get(fault.name)!;
    let active: ActiveFault;
    try {
      active = await fault.kind.begin(fault.spec, this.#o.controllers, this.#o.random.fork(fault.name));
    } catch (err) {
      outcome.failed = errorMessage(err);
      this.#o.event('fault-failed', { fault: fault.name, kind: fault.spec.kind, target: fault.target, error: outcome.failed });
      this.#o.say(`codestorm: fault ${fault.name} could not begin: ${outcome.failed}`);
      return;
    }
    outcome.startS = this.#now();
    this.#o.say(`codestorm: +${outcome.startS}s fault ${fault.name} began: ${fault.spec.kind} on ${fault.target} ${brief(active.details)}`);
    this.#o.event('fault-begin', { fault: fault.name, kind: fault.spec.kind, target: fault.target, plannedS: fault.startMs / 1000, details: active.details });
    let undone: Promise<void> | undefined;
    const undo = (why: 'end' | 'stopped'): Promise<void> =>
      (undone ??= (async () => {
        this.#undo.delete(fault.name);
        try {
          const restored = await active.undo();
          outcome.endS = this.#now();
          this.#o.say(`codestorm: +${outcome.endS}s fault ${fault.name} undone: ${brief(restored)}`);
          this.#o.event('fault-end', { fault: fault.name, kind: fault.spec.kind, target: fault.target, why, undone: restored });
        } catch (err) {
          outcome.failed = `undo failed: ${errorMessage(err)}`;
          this.#o.event('fault-undo-failed', { fault: fault.name, kind: fault.spec.kind, target: fault.target, error: errorMessage(err) });
          this.#o.say(`codestorm: fault ${fault.name}: undo failed: ${errorMessage(err)}`);
        }
      })());
    const removeFromTeardown = this.#o.teardown.add(`undo fault ${fault.name}`, () => undo('stopped'));
    this.#undo.set(fault.name, () => undo('stopped'));
    if (this.#stopped) {
      await undo('stopped');
      return;
    }
    this.#after(fault.endMs, () => void undo('end').then(removeFromTeardown));
  }
}

/** {a: 1, b: [2, 3]} → "a=1 b=2,3", for one line on stderr. */
function brief(details: Readonly<Record<string, unknown>>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null && !Array.isArray(v) ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}
